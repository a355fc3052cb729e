"""A small picture of AIKI's mood over the last days (people would rather look than read numbers)."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.mood import MoodEvent, MoodState


def render_mood_chart(events: list[MoodEvent], now_state: MoodState, zone: ZoneInfo, days: int) -> bytes:
    """PNG bytes: valence and arousal after each event, up to now. CPU work: call it in a thread."""
    import matplotlib

    matplotlib.use("Agg")  # no screen
    from matplotlib import pyplot as plt
    from matplotlib.dates import DateFormatter

    points = sorted(events, key=lambda e: e.created_at)
    times: list[datetime] = [e.created_at.astimezone(zone) for e in points] + [now_state.updated_at.astimezone(zone)]
    valence = [e.valence_after for e in points] + [now_state.valence]
    arousal = [e.arousal_after for e in points] + [now_state.arousal]

    figure, axes = plt.subplots(figsize=(6, 2.6), dpi=100)
    try:
        axes.axhline(0, color="#999999", linewidth=0.8)
        axes.plot(times, valence, marker="o", color="#e4572e", label="valence (glad ↔ sad)")
        axes.plot(times, arousal, marker="s", color="#4c72b0", label="arousal (excited ↔ calm)", alpha=0.8)
        axes.set_ylim(-1.05, 1.05)
        axes.set_title(f"Mood over the last {days} days: {now_state.name} now", fontsize=10)
        axes.xaxis.set_major_formatter(DateFormatter("%d.%m", tz=zone))
        axes.legend(loc="lower left", fontsize=7, frameon=False)
        axes.grid(alpha=0.25)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)
