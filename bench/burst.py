"""Burst benchmark: one person sends N messages at a steady rate through the Discord surface; how long until a
reply that covers each of them, and how many model calls per message.

The whole product path runs: dpytest feeds gateway MESSAGE_CREATE events to the real `AikiBot` built by
`build_bot` (the chat cog, the real core on Qdrant Edge + SQLite + the offline test embedding model), and the core
talks over HTTP to `tests.llm_server.FakeLLMServer`, made to wait `--model-s` seconds before each answer (a fast
hosted model). A message counts as answered by the first reply AIKI sends to it or to a later message of the
same person in that channel (a reply that takes several messages into account answers all of them).

    python bench/burst.py                      # 200 messages at 2 per second, 0.5 s per model call
    python bench/burst.py --messages 50 --rate 5 --model-s 1
    python bench/burst.py --messages 40 --rate 0.5 --pause-s 0     # answering at once, without the pause
    python bench/burst.py --help

Prints p50 / p95 / max seconds from a message to its first covering reply, replies sent, chat model calls per
message and fact-learning calls per message. Temporary files are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import discord  # noqa: E402
import discord.ext.test as dpytest  # noqa: E402
from discord.ext.test import backend  # noqa: E402

from bench.common import machine_line, say  # noqa: E402
from bot.access import Access  # noqa: E402
from bot.checkins.scheduler import CheckinScheduler  # noqa: E402
from bot.discord_bot.client import build_bot, minimal_intents  # noqa: E402
from bot.memory.embedder import FastEmbedder  # noqa: E402
from bot.settings import Settings  # noqa: E402
from scripts.test_model import TEST_MODEL, seed_cache  # noqa: E402
from tests.core_fixtures import Clock, Replies, build_core, close_core, open_core  # noqa: E402
from tests.discord_world import PeopleLater  # noqa: E402
from tests.llm_server import Delay, FakeLLMServer  # noqa: E402


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class SentLog:
    """Every message AIKI sends: when, and which message it replies to (None: a follow-up part)."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, int | None]] = []

    def install(self) -> None:
        original = discord.abc.Messageable.send
        log = self

        async def send(self: discord.abc.Messageable, *args: Any, **kwargs: Any) -> discord.Message:
            message = await original(self, *args, **kwargs)
            reference = kwargs.get("reference")
            log.sent.append(
                (time.monotonic(), getattr(reference, "message_id", None) or getattr(reference, "id", None))
            )
            return message

        discord.abc.Messageable.send = send  # type: ignore[method-assign]


async def run(args: argparse.Namespace) -> None:
    embedder = FastEmbedder.load(TEST_MODEL, seed_cache(args.cache_dir))
    server = FakeLLMServer().start()
    server.responder = Replies(default="Skjønner! Fortell meg gjerne mer om det.")
    server.fail_with(Delay(args.model_s))
    sent = SentLog()
    sent.install()
    with tempfile.TemporaryDirectory() as tmp:
        core = await open_core(build_core(Path(tmp), embedder, server, Clock(), timeout_s=60))
        intents = minimal_intents()
        intents.members = True  # dpytest makes its members through the member cache
        scheduler = CheckinScheduler(core.clock)
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        if args.pause_s is not None:
            settings = settings.model_copy(update={"reply_pause_s": args.pause_s})
        access = PeopleLater()
        bot, _ = build_bot(core, settings, scheduler, access, core.clock, False, intents)  # type: ignore[arg-type]
        await bot._async_setup_hook()
        dpytest.configure(bot, members=1)
        backend.get_state().loop = asyncio.get_running_loop()
        member = dpytest.get_config().members[0]
        access.known = Access(frozenset({member.id}), frozenset())
        await bot.setup_hook()
        dm = await member.create_dm()
        say(
            f"{args.messages} messages at {args.rate}/s, {args.model_s} s per model call, AIKI pauses"
            f" {settings.reply_pause_s} s after a message; {machine_line()}"
        )
        arrivals: list[tuple[float, int]] = []
        for number in range(args.messages):
            message = backend.make_message(f"melding {number}: jeg tenker høyt om dagen min", member, dm)
            arrivals.append((time.monotonic(), message.id))
            await asyncio.sleep(1 / args.rate)
        await dpytest.run_all_events()
        await core.drain()
        waits = [first_cover(sent.sent, at, message_id) for at, message_id in arrivals]
        chats = [b for b in server.chat_requests if "response_format" not in b]
        learning = len(server.chat_requests) - len(chats)
        answered = [w for w in waits if w is not None]
        say(
            f"time to first covering reply: p50 {percentile(answered, 0.5):.1f} s, p95 {percentile(answered, 0.95):.1f}"
            f" s, max {max(answered):.1f} s; unanswered {len(waits) - len(answered)}"
        )
        replies = sum(1 for _, ref in sent.sent if ref is not None)
        say(
            f"replies {replies}; chat model calls {len(chats)} ({len(chats) / args.messages:.2f} per message); "
            f"learning calls {learning} ({learning / args.messages:.2f} per message)"
        )
        scheduler.shutdown()
        await dpytest.empty_queue()
        await close_core(core)
    server.stop()


def first_cover(sent: list[tuple[float, int | None]], at: float, message_id: int) -> float | None:
    for when, reference in sent:
        if reference is not None and reference >= message_id and when >= at:
            return when - at
    return None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200, help="messages the person sends (default 200)")
    parser.add_argument("--rate", type=float, default=2.0, help="messages per second (default 2)")
    parser.add_argument("--model-s", type=float, default=0.5, help="seconds each model call takes (default 0.5)")
    parser.add_argument(
        "--pause-s", type=float, default=None, help="AIKI's pause after a message (default: AIKI_REPLY_PAUSE_S's)"
    )
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".cache" / "test-model")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    main()
