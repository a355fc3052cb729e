"""A small picture of AIKI's mood over the last days (people would rather look than read numbers)."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from bot.mood import MoodEvent, MoodState


def render_mood_chart(events: list[MoodEvent], now_state: MoodState, zone: ZoneInfo, days: int) -> bytes:
    """PNG bytes: valence and arousal after each event, up to now. CPU work: call it in a thread."""
    # A Figure of its own, not pyplot's global state: this runs in a worker thread (matplotlib's advice for servers).
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import DateFormatter, date2num
    from matplotlib.figure import Figure

    points = sorted(events, key=lambda e: e.created_at)
    moments = [e.created_at.astimezone(zone) for e in points] + [now_state.updated_at.astimezone(zone)]
    times = [float(date2num(moment)) for moment in moments]  # type: ignore[no-untyped-call]
    valence = [e.valence_after for e in points] + [now_state.valence]
    arousal = [e.arousal_after for e in points] + [now_state.arousal]

    figure = Figure(figsize=(6, 2.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    axes.axhline(0, color="#999999", linewidth=0.8)
    axes.plot(times, valence, marker="o", color="#e4572e", label="valence (glad ↔ sad)")
    axes.plot(times, arousal, marker="s", color="#4c72b0", label="arousal (excited ↔ calm)", alpha=0.8)
    axes.set_ylim(-1.05, 1.05)
    axes.set_title(f"Mood over the last {days} days: {now_state.name} now", fontsize=10)
    axes.xaxis.set_major_formatter(DateFormatter("%d.%m", tz=zone))  # type: ignore[no-untyped-call]
    axes.legend(loc="lower left", fontsize=7, frameon=False)
    axes.grid(alpha=0.25)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
