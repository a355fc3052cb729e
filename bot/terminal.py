"""`aiki chat`: a conversation with the same consciousness core in the terminal, no Discord needed."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import TextIO

from bot.core import Consciousness, Incoming, Person
from bot.errors import AikiError
from bot.memory.models import Origin, OriginSource

HELP = """Type a message and press Enter. Commands:
  /remember TEXT   store a memory
  /recall QUERY    what AIKI remembers about QUERY
  /mood            AIKI's mood towards you, and why
  /forget ID       forget one memory (ids come from /recall)
  /forget all      forget everything about you (asks first)
  /help            this text
  /quit            leave (Ctrl-D works too)"""

ORIGIN = Origin(OriginSource.CLI)


class Terminal:
    def __init__(
        self, core: Consciousness, person: Person, read: Callable[[str], str] = input, out: TextIO = sys.stdout
    ):
        self.core = core
        self.person = person
        self._read = read
        self.out = out

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    async def ask(self, prompt: str) -> str | None:
        try:
            return await asyncio.to_thread(self._read, prompt)
        except EOFError:
            return None

    async def run(self) -> None:
        self.say(f"AIKI is listening (as {self.person.name or self.person.scope}). /help for commands.")
        while True:
            line = await self.ask("you> ")
            if line is None or line.strip() in {"/quit", "/exit"}:
                self.say("Ha det!")
                return
            if not line.strip():
                continue
            try:
                await self.handle(line.strip())
            except AikiError as exc:
                self.say(f"aiki: {exc}")

    async def handle(self, line: str) -> None:
        command, _, rest = line.partition(" ")
        rest = rest.strip()
        if command == "/help":
            self.say(HELP)
        elif command == "/remember":
            memory = await self.core.remember(self.person, rest, ORIGIN)
            self.say(f"Remembered ({memory.id[:8]}).")
        elif command == "/recall":
            await self.recall(rest)
        elif command == "/mood":
            await self.mood()
        elif command == "/forget":
            await self.forget(rest)
        elif command.startswith("/"):
            self.say(f"Unknown command {command}. /help lists them.")
        else:
            await self.chat(line)

    async def chat(self, text: str) -> None:
        self.out.write("aiki> ")
        async for chunk in self.core.respond(Incoming(self.person, text, ORIGIN)):
            self.out.write(chunk)
            self.out.flush()
        self.say()

    async def recall(self, query: str) -> None:
        if not query:
            self.say("Usage: /recall QUERY")
            return
        found = await self.core.recall(self.person, query)
        if not found:
            self.say("Nothing comes to mind.")
        for item in found:
            memory = item.hit.memory
            day = memory.created_at.astimezone(self.core.zone).strftime("%Y-%m-%d")
            self.say(f"[{memory.id[:8]}] {day} {memory.kind.value} ({memory.origin.source.value}): {memory.text}")

    async def mood(self) -> None:
        report = await self.core.mood_report(self.person)
        state = report.state
        self.say(f"I feel {state.name} (valence {state.valence:+.2f}, arousal {state.arousal:+.2f}).")
        for event in report.events[:5]:
            when = event.created_at.astimezone(self.core.zone).strftime("%Y-%m-%d %H:%M")
            self.say(f"  {when}: {event.reason}")

    async def forget(self, what: str) -> None:
        if what == "all":
            answer = await self.ask("Forget everything about you: memories, history and mood? Type yes: ")
            if (answer or "").strip().lower() != "yes":
                self.say("Nothing was forgotten.")
                return
            report = await self.core.forget_everything(self.person)
            self.say(f"Forgotten: {report.memories} memories, {report.turns} messages.")
            return
        memory_id = await self._full_id(what)
        if memory_id and await self.core.forget(self.person, memory_id):
            self.say("Forgotten.")
        else:
            self.say("No memory of yours has that id. /recall shows ids.")

    async def _full_id(self, prefix: str) -> str | None:
        """Accept the 8-character ids /recall prints."""
        if not prefix:
            return None
        offset: str | None = None
        while True:
            page, offset = await self.core.list_memories(self.person, 256, offset)
            for memory in page:
                if memory.id.startswith(prefix):
                    return memory.id
            if offset is None:
                return None
