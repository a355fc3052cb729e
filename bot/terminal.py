"""`aiki chat`: a conversation with the same consciousness core in the terminal, no Discord needed.

On a terminal the line is read with prompt_toolkit: line editing, history (this session only, never written to
disk), long and multi-line pastes kept whole. Ctrl-C while AIKI answers cuts that reply off (your message is
already stored); Ctrl-C at the prompt or Ctrl-D leaves. A Ctrl-C that lands after the reply ended but before the
prompt is back does nothing: it was meant for the reply, and leaving is only ever asked for at the prompt. Piped
input is read as plain lines. Bytes that are not UTF-8, from the keyboard or the LLM, become U+FFFD instead of
ending the session.

Who hears SIGINT: prompt_toolkit installs its own handler while it reads a line and removes it afterwards (AIKI's
with it), so AIKI installs its handler again each time a line was read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol, TextIO

from bot.errors import AikiError
from bot.mind.core import Consciousness, Incoming, Person
from bot.places import Origin, OriginSource

if TYPE_CHECKING:
    from prompt_toolkit.input import Input
    from prompt_toolkit.output import Output

log = logging.getLogger(__name__)

HELP = """Type a message and press Enter (paste as much as you like). Commands:
  /remember TEXT   store a memory
  /recall QUERY    what AIKI remembers about QUERY
  /mood            AIKI's mood towards you, and why
  /about-me        what AIKI understands about you (built while you are away)
  /forget ID       forget one memory (ids come from /recall)
  /forget all      forget everything about you (asks first)
  /help            this text
  /quit            leave (Ctrl-D works too; Ctrl-C cuts a reply off, and leaves at the prompt)"""

ORIGIN = Origin(OriginSource.CLI)
# A reply that stopped early ends with this note on its own line: docs/conversation.md's words, as Discord shows them.
CUT_OFF = "(cut off: {why})"
STOPPED = "you pressed Ctrl-C"


def clean(text: str) -> str:
    """Text safe to store and print: lone surrogates (undecodable bytes) become U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if _has_surrogates(text) else text


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class LineReader(Protocol):
    async def read(self, prompt: str) -> str | None:
        """The next line without its newline; None at the end of input (Ctrl-D) or when the person leaves."""
        ...


class CallableReader:
    """Lines from a function (`input`, or a test's list), called in a worker thread; EOFError ends the input."""

    def __init__(self, read: Callable[[str], str]) -> None:
        self._read = read

    async def read(self, prompt: str) -> str | None:
        try:
            return await asyncio.to_thread(self._read, prompt)
        except (EOFError, KeyboardInterrupt):
            return None


class PipeReader:
    """Plain lines from a byte stream (stdin that is not a terminal), decoded with errors='replace'.

    A daemon thread reads, so a pending read never keeps the program from exiting.
    """

    def __init__(self, stream: TextIO, out: TextIO) -> None:
        self._buffer = stream.buffer
        self._out = out

    async def read(self, prompt: str) -> str | None:
        self._out.write(prompt)
        self._out.flush()
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bytes] = loop.create_future()

        def work() -> None:
            try:
                raw = self._buffer.readline()
            except (OSError, ValueError):
                raw = b""

            def deliver() -> None:
                if not done.done():
                    done.set_result(raw)

            loop.call_soon_threadsafe(deliver)

        threading.Thread(target=work, daemon=True, name="aiki-stdin").start()
        raw = await done
        if not raw:
            return None
        return raw.decode("utf-8", "replace").rstrip("\r\n")


class PromptReader:
    """A real line editor (prompt_toolkit): arrows, history, bracketed paste of long and multi-line text."""

    def __init__(self, input: Input | None = None, output: Output | None = None) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import InMemoryHistory

        self._session: PromptSession[str] = PromptSession(history=InMemoryHistory(), input=input, output=output)

    async def read(self, prompt: str) -> str | None:
        try:
            return clean(await self._session.prompt_async(prompt))
        except (EOFError, KeyboardInterrupt):
            return None


def _cancelling() -> bool:
    """The session itself is being cancelled (not just the reply or the read that Ctrl-C stopped)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def default_reader(out: TextIO) -> LineReader:
    """prompt_toolkit on a terminal; plain lines when input is piped."""
    if sys.stdin.isatty() and out.isatty():
        return PromptReader()
    return PipeReader(sys.stdin, out)


class Terminal:
    def __init__(
        self,
        core: Consciousness,
        person: Person,
        read: Callable[[str], str] | LineReader | None = None,
        out: TextIO = sys.stdout,
    ):
        self.core = core
        self.person = person
        self.out = out
        if read is None:
            self._reader: LineReader = default_reader(out)
        elif callable(read):
            self._reader = CallableReader(read)
        else:
            self._reader = read
        self._reply: asyncio.Task[None] | None = None
        self._asking: asyncio.Task[str | None] | None = None
        self._hearing_ctrl_c = False  # AIKI's SIGINT handler belongs on the loop (the session runs, signals work)
        self._spoke = False  # the reply in progress has put words on the screen

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    async def ask(self, prompt: str) -> str | None:
        try:
            line = await self._reader.read(prompt)
        finally:
            if self._hearing_ctrl_c:
                self._hear_ctrl_c()  # prompt_toolkit removed AIKI's handler with its own
        return None if line is None else clean(line)

    def interrupt(self) -> None:
        """SIGINT: cut off the reply in progress; at a prompt that does not take Ctrl-C itself (piped input), leave.

        Anywhere else (the reply just ended, a command runs, prompt_toolkit is about to read) it does nothing.
        """
        if self._reply is not None and not self._reply.done():
            self._reply.cancel()
        elif self._asking is not None and not self._asking.done() and not isinstance(self._reader, PromptReader):
            self._asking.cancel()

    async def run(self) -> None:
        self.say(f"AIKI is listening (as {self.person.name or self.person.scope}). /help for commands.")
        notice = await self.core.take_late_forget_notice(self.person)
        if notice is not None:  # a forget of theirs that a stop cut short was finished at this start
            self.say(notice)
        with self._ctrl_c():
            while True:
                line = await self._next_line()
                if line is None or line.strip() in {"/quit", "/exit"}:
                    self.say("Ha det!")
                    return
                if not line.strip():
                    continue
                try:
                    await self.handle(line.strip())
                except AikiError as exc:
                    self.say(f"aiki: {exc}")

    async def _next_line(self) -> str | None:
        self._asking = asyncio.create_task(self.ask("you> "))
        try:
            return await self._asking
        except asyncio.CancelledError:
            if not self._asking.cancelled() or _cancelling():
                raise
            self.say()
            return None  # Ctrl-C at the prompt: leave
        finally:
            self._asking = None

    @contextlib.contextmanager
    def _ctrl_c(self) -> Iterator[None]:
        """While the session runs, SIGINT goes to `interrupt` instead of ending the program (Unix, main thread)."""
        self._hearing_ctrl_c = self._hear_ctrl_c()
        try:
            yield
        finally:
            if self._hearing_ctrl_c:
                self._hearing_ctrl_c = False
                asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)

    def _hear_ctrl_c(self) -> bool:
        """Put `interrupt` on the loop's SIGINT; False where signals cannot be handled here."""
        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, self.interrupt)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
            return False
        return True

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
        elif command == "/about-me":
            await self.about_me()
        elif command == "/forget":
            await self.forget(rest)
        elif command.startswith("/") and "\n" not in command:
            self.say(f"Unknown command {command}. /help lists them.")
        else:
            await self.chat(line)

    async def chat(self, text: str) -> None:
        self.out.write("aiki> ")
        self._spoke = False
        self._reply = asyncio.create_task(self._stream(text))
        try:
            await self._reply
        except asyncio.CancelledError:
            if not self._reply.cancelled() or _cancelling():
                raise
            self._cut_off(STOPPED)
            return
        except AikiError as exc:
            if not self._spoke:
                self.say()
                raise  # nothing was said: the error is the answer, on its own line
            self._cut_off(str(exc))
            return
        finally:
            self._reply = None
        self.say()

    def _cut_off(self, why: str) -> None:
        """The reply stopped early: the note goes on a line of its own below what was said."""
        self.say(("\n" if self._spoke else "") + CUT_OFF.format(why=why))

    async def _stream(self, text: str) -> None:
        try:
            async for chunk in self.core.respond(Incoming(self.person, text, ORIGIN)):
                self.out.write(clean(chunk))
                self.out.flush()
                self._spoke = self._spoke or bool(chunk.strip())
        except (AikiError, asyncio.CancelledError):
            raise
        except Exception as exc:  # e.g. a body that is not UTF-8: the session goes on, the message was stored
            log.warning("reply failed: %s", type(exc).__name__)
            raise AikiError(f"The reply failed ({type(exc).__name__}); your message was kept. Try again.") from None

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

    async def about_me(self) -> None:
        profile = await self.core.about(self.person, ORIGIN)
        if profile is None:
            self.say("I have not put together what I understand about you yet (it happens while you are away).")
            return
        day = profile.created_at.astimezone(self.core.zone).strftime("%Y-%m-%d")
        self.say(f"What I understand about you (as of {day}; /forget {profile.id[:8]} removes it):\n{profile.text}")

    async def forget(self, what: str) -> None:
        if not what:
            self.say("Usage: /forget ID (at least 4 characters of an id /recall shows), or /forget all")
            return
        if what.lower() == "all":
            answer = await self.ask("Forget everything about you: memories, history and mood? Type yes: ")
            if (answer or "").strip().lower() != "yes":
                self.say("Nothing was forgotten.")
                return
            report = await self.core.forget_everything(self.person)
            self.say(f"Forgotten: {report.memories} memories, {report.turns} messages.")
            return
        memory_id = await self.core.memory_id_from(self.person, what)  # too short or shared: the session shows why
        if memory_id and await self.core.forget(self.person, memory_id):
            self.say("Forgotten.")
        else:
            self.say("No memory of yours has that id. /recall shows ids.")
