"""One reply's way through the mind, as one object: perceive → recall → feel → decide → phrase → finish.

An `Answering` is made for each reply (a burst of one person's messages in one place, stored already by
`Consciousness.receive`) and carries what its steps find, so a step takes the turn, not nine loose values. Each
step's time lands in `stats.steps` (bench/turn.py reads them).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.llm import ContextTooLongError, PicturesRefusedError
from bot.memory.models import SearchFilter
from bot.mind.afterwards import Afterwards
from bot.mind.appraisal import appraise
from bot.mind.appraisal_meaning import sense_of
from bot.mind.audience import audience_at
from bot.mind.checkin_hooks import CheckinHooks
from bot.mind.faculties import Faculties
from bot.mind.feelings import Feelings
from bot.mind.intention import Situation, attune, choose
from bot.mind.learning import AIKI_SPEAKER, Exchange, Said
from bot.mind.prompt import PromptParts, as_said, build_messages, prompt_tokens, recent
from bot.mind.recollection import Held, recollect
from bot.mind.retrieval import Recalled
from bot.mind.turn import Burst, Incoming, Prepared, ReplyStats, StepTimer
from bot.mood import MoodEvent, MoodEventKind, MoodState
from bot.pictures import MAX_PICTURES, Picture
from bot.places import Audience
from bot.state.store import Turn
from bot.tokens import shorten

log = logging.getLogger(__name__)

# What recall and the mood read when a message is only a picture (its words are empty).
PICTURE_WORDS = "a picture"


@dataclass(frozen=True)
class Note:
    """A line for the person before the reply (a file not looked at, pictures not seen): shown, never stored as
    AIKI's words."""

    text: str


class Answering:
    def __init__(self, mind: Faculties, feelings: Feelings, hooks: CheckinHooks, afterwards: Afterwards, burst: Burst):
        self.mind = mind
        self.feelings = feelings
        self.hooks = hooks
        self.afterwards = afterwards
        self.burst = burst
        self.incoming = burst.last.incoming
        self.now = mind.clock()
        self.stats = ReplyStats()
        self._step = StepTimer(self.stats.steps)
        self._said: list[str] = []  # the reply so far
        self._noted = False  # a note was shown: the reply starts on a line of its own
        self._looked = False  # the model was shown this burst's pictures and answered
        self.prepared: Prepared | None = None

    async def run(self) -> AsyncGenerator[str, None]:
        """The reply, streamed. Storage tells the truth whatever happens: a finished reply is stored and learned, a
        cut-off one is `partial`, a message with no reply `failed`; the person's words are learned all the same."""
        self.stats.steps["store"] = stored_ms = sum(message.store_ms for message in self.burst.messages)
        step = self._step
        # Learning after earlier replies waits until this turn's request is sent (bench/turn.py: +9-11 ms on 2 cores).
        preparing = self.afterwards.preparing()
        try:
            for line in self.burst.unread:
                yield self._note(f"({line})")
            with step("perceive"):
                audience = await self._perceive()
            with step("recall"):
                recalled, history, last_seen = await self._recall(audience)
            with step("feel"):
                events, mood = await self._feel(last_seen)
            with step("decide"):
                self.prepared = prepared = self._decide(audience, events, mood, recalled, history, last_seen)
            self.stats.intention, self.stats.memories = prepared.intention.kind.value, len(prepared.recalled)
            _log_decision(self.incoming.person.scope, prepared)

            def request_sent() -> None:
                self.stats.prepare_ms = stored_ms + step.since_start()
                preparing.release()

            with step("phrase"):
                async for piece in self._phrase(prepared, request_sent):
                    if isinstance(piece, Note):
                        yield self._note(piece.text)
                        continue
                    if self._noted and not self._said:
                        yield "\n"  # a blank line between the notes and the reply
                    self._said.append(piece)
                    yield piece
        except Exception:
            await self._unfinished()
            raise
        except (asyncio.CancelledError, GeneratorExit):
            # The person stopped the reply (Ctrl-C) or the surface went away: recorded the same way, but later,
            # since nothing may be awaited while a generator closes or a task is cancelled.
            self.afterwards.later(self._unfinished())
            raise
        finally:
            preparing.release()
        await self._finish(prepared)

    def _note(self, text: str) -> str:
        self._noted = True
        return f"{text}\n"

    @property
    def _words(self) -> str:
        """What recall and the mood read: the words, or for a message that is only a picture, that it is one."""
        return self.burst.text or PICTURE_WORDS

    async def _perceive(self) -> Audience:
        """Where the message was said, which check-in it answers, and whether it names a project to offer."""
        self.incoming = await self.hooks.link(self.incoming, self.now)
        await self.hooks.notice(self.incoming, self.burst.text, self.now)
        return await audience_at(self.mind.state, self.incoming.person, self.incoming.origin)

    async def _recall(self, audience: Audience) -> tuple[list[Recalled], list[Turn], datetime | None]:
        """Memories of this person visible here, ranked; the recent history; when they last wrote."""
        mind, burst, scope = self.mind, self.burst, self.incoming.person.scope
        budgets = mind.budgets
        # AIKI's identity is in every prompt already (loaded from its identity memories at start);
        # retrieval is for what AIKI knows of this person, from the places visible here.
        where = SearchFilter(scopes=(scope,), audience=audience)
        ids = burst.turn_ids
        turns, last_seen = await asyncio.gather(
            # Messages stored after this burst wait for the next reply: they are not history yet.
            mind.state.recent_turns(scope, budgets.history_turns + len(ids), audience, burst.last.turn_id),
            mind.state.last_user_turn_before(scope, min(ids)),
        )
        history = recent([t for t in turns if t.id not in ids][-budgets.history_turns :], budgets.history_tokens)
        # What the prompt's history already holds is not repeated in the memory block (tokens, and no echo).
        said = {t.content.strip() for t in history} | {m.text for m in burst.messages} | {burst.text}
        held = Held({t.id for t in history if t.id is not None} | set(ids), said)
        recalled = await recollect(mind.bank, self._words, where, self.now, mind.zone, budgets.memory_tokens, held)
        return recalled, history, last_seen

    async def _feel(self, last_seen: datetime | None) -> tuple[list[MoodEvent], MoodState]:
        """What the message does to AIKI's mood towards the person (bot/mind/appraisal.py), stored with its causes.

        Its meaning is read from the vector recall computed for the same text: the embedder keeps it, no second run.
        """
        text = self._words
        events = appraise(text, last_seen, self.now, await sense_of(self.mind.bank.embedder, text))
        return events, await self.feelings.feel(self.incoming.person.scope, events)

    def _decide(
        self,
        audience: Audience,
        events: list[MoodEvent],
        mood: MoodState,
        recalled: list[Recalled],
        history: list[Turn],
        last_seen: datetime | None,
    ) -> Prepared:
        """What AIKI wants to do with its reply (bot/mind/intention.py), and the message as the LLM will see it."""
        situation = Situation(
            message=self._words,
            mood=mood,
            recalled=recalled,
            last_seen=last_seen,
            now=self.now,
            recent_user_texts=[t.content for t in history if t.role == "user"],
            milestone=any(e.kind is MoodEventKind.MILESTONE for e in events),
            appraised=tuple(e.kind for e in events),
        )
        intention = choose(situation)
        thread = [quoted.text for quoted in self.incoming.reply_context if audience.sees(quoted.origin)]
        message = _framed(self.burst, thread, self.now)
        return Prepared(
            attune(mood, intention), intention, recalled, history, message, self.now, self.incoming.person.name
        )

    def _prompt_parts(self, prepared: Prepared, pictures: tuple[Picture, ...], shown: bool) -> PromptParts:
        mind = self.mind
        return PromptParts(
            mind.persona,
            prepared.mood,
            prepared.intention,
            prepared.recalled,
            prepared.history,
            _with_pictures(prepared.message, len(pictures), shown),
            prepared.now,
            mind.zone,
            prepared.name,
            pictures if shown else (),
        )

    async def _phrase(self, prepared: Prepared, on_request: Callable[[], None]) -> AsyncIterator[str | Note]:
        """Stream the reply, with the burst's pictures if the model is shown them. If the model refuses pictures, ask
        again without them (and say so); if the prompt is too long, trim memories and history and ask once more."""
        vision, model = self.mind.vision, self.mind.llm.model
        pictures = self.burst.pictures[-MAX_PICTURES:]  # a burst of picture messages: the latest few
        shown = bool(pictures) and await vision.shows(model)
        if pictures and not shown:
            if note := vision.blind_note(self.incoming.person.scope, self.incoming.origin, None):
                yield Note(note)
        budget, trimmed = self.mind.budgets.context_tokens, False
        while True:
            messages = build_messages(self._prompt_parts(prepared, pictures, shown), budget)
            on_request()
            produced = False
            try:
                async for chunk in self.mind.llm.stream(messages, prepared.mood.temperature):
                    if not produced and shown:
                        await vision.took(model)
                        self._looked = True
                    produced = True
                    yield chunk
                return
            except PicturesRefusedError as refused:
                if produced or not shown:
                    raise
                await vision.refused(model, refused)
                shown = False
                if note := vision.blind_note(self.incoming.person.scope, self.incoming.origin, refused):
                    yield Note(note)
            except ContextTooLongError:
                if produced or trimmed:
                    raise
                # The model's real context is smaller than configured: keep the persona, the intention and the
                # message (and its pictures), with only a little room left for the best memories and the history.
                bare_parts = self._prompt_parts(replace(prepared, recalled=[], history=[]), pictures, shown)
                bare = build_messages(bare_parts, 0)
                budget, trimmed = prompt_tokens(bare) + 300, True
                log.warning("prompt too long for the model; retrying with a budget of %d tokens", budget)

    async def _finish(self, prepared: Prepared) -> None:
        """After the reply: store it (→ `after_ms`), then learn from the exchange in the background."""
        reply = "".join(self._said).strip()
        started = time.perf_counter()
        reply_id = await self.mind.state.add_turn(self._reply(reply, "ok"))
        self.stats.after_ms = self.stats.steps["store reply"] = (time.perf_counter() - started) * 1000
        last = self.burst.last
        before = _context_lines(prepared, self.incoming)
        exchange = Exchange(
            self.incoming, last.text, reply, last.at, before, last.turn_id, reply_id, earlier=self._earlier()
        )
        looked_at = tuple(message for message in self.burst.messages if message.incoming.pictures and self._looked)
        self.afterwards.learn(replace(exchange, recalled=prepared.recalled, looked_at=looked_at))

    async def _unfinished(self) -> None:
        partial, last = "".join(self._said).strip(), self.burst.last
        if partial:
            await self.mind.state.add_turn(self._reply(partial, "partial"))
        else:
            for message in self.burst.messages:
                await self.mind.state.set_turn_status(message.turn_id, "failed")
        scope = self.incoming.person.scope
        log.info("turn for %s ended without a finished reply (%s)", scope, "partial" if partial else "failed")
        before = _context_lines(self.prepared, self.incoming) if self.prepared else ()
        self.afterwards.learn(
            Exchange(self.incoming, last.text, None, last.at, before, last.turn_id, earlier=self._earlier())
        )

    def _earlier(self) -> tuple[Said, ...]:
        """The burst's messages before the last: each is learned as a memory of its own."""
        return tuple(Said(message.text, message.at, message.turn_id) for message in self.burst.messages[:-1])

    def _reply(self, text: str, status: str) -> Turn:
        reply = stored_turn(self.incoming, "assistant", text, self.mind.clock())
        return replace(reply, status=status, model=self.mind.llm.model, answers_turn_id=self.burst.last.turn_id)


def stored_turn(incoming: Incoming, role: str, content: str, at: datetime) -> Turn:
    """A message of the conversation as SQLite keeps it, with the place it was said."""
    origin = incoming.origin
    return Turn(
        scope=incoming.person.scope,
        role=role,
        content=content,
        created_at=at,
        source=origin.source.value,
        guild_id=origin.guild_id,
        channel_id=origin.channel_id,
        message_id=origin.message_id if role == "user" else None,
    )


def _context_lines(prepared: Prepared, incoming: Incoming) -> tuple[str, ...]:
    """The last turns before this message as "Name: text" lines: the context a memory of it is stored with."""
    name = incoming.person.name or "The person"
    return tuple(
        f"{name if turn.role == 'user' else AIKI_SPEAKER}: {shorten(as_said(turn, with_seen=False), 300)}"
        for turn in prepared.history[-2:]
    )


def _framed(burst: Burst, thread: list[str], now: datetime) -> str:
    """The message as the model reads it: the reply thread it continues (every line quoted), and a word when it
    came while AIKI was away."""
    message = burst.text
    if thread:
        quoted = "\n".join(f"> {line}" for text in thread for line in text.splitlines() or [""])
        message = f"(replying to this earlier part of our conversation:\n{quoted})\n\n{message}"
    if burst.away:
        ago = _how_long(now - burst.messages[0].at)
        many = "these messages" if len(burst.messages) > 1 else "this message"
        message = (
            f"(You were offline when {many} arrived, {ago} ago; you are reading it only now. Say so briefly.)"
            f"\n\n{message}"
        )
    return message


def _with_pictures(message: str, count: int, shown: bool) -> str:
    """The message with a word about its pictures: shown below it, or sent but not seen by this model."""
    if not count:
        return message
    what = "a picture" if count == 1 else f"{count} pictures"
    if shown:
        return message if message.strip() else f"(They sent {what} without words.)"
    if message.strip():
        return f"{message}\n\n(They also sent {what}, which you cannot see.)"
    return f"(They sent {what} without words, which you cannot see.)"


def _how_long(span: timedelta) -> str:
    minutes = max(1, round(span.total_seconds() / 60))
    if minutes < 90:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    return f"{hours} hours" if hours < 48 else f"{round(hours / 24)} days"


def _log_decision(scope: str, prepared: Prepared) -> None:
    # Ids, kinds and counts only: never what anyone wrote (docs/privacy.md: logs).
    log.info(
        "turn for %s: intention %s, %d memories, %d history turns, mood %s",
        scope,
        prepared.intention.kind.value,
        len(prepared.recalled),
        len(prepared.history),
        prepared.mood.name,
    )
