"""The fine-tuning export: AIKI's conversation history and the imported conversations as chat-format JSONL.

Each example is `{"messages": [{"role": "system", "content": <persona>}, user, assistant, ...]}`, a window of
one conversation that fits the token budget. AIKI's own turns are cut into conversations where the person
was silent for more than SESSION_GAP. Facts stay out: they live in Qdrant and reach the model through
retrieval (the hybrid mode), so the model learns how AIKI talks, not what it knows.

Quality: a reply is not learned when the owner marked it bad, when it is shorter than `min_words`, when its
origin is not in `learn_from`, or when a model the owner does not count as AIKI wrote it (`bot.training.voices`:
test models, earlier fine-tuned AIKIs, the base model being trained; `aiki finetune models`). Without weights
such a reply is removed with the message it answered; with `weights` it stays as context with `"weight": 0`
and the learned replies get `"weight": 1`. The summary counts both by reason, and names the models.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from bot import tokens
from bot.llm import SAME_ROLE_JOIN, ChatMessage
from bot.state.store import StateStore, Turn
from bot.state.training import HistoryTurn
from bot.training.hybrid import LiveContext, Moment
from bot.training.origins import AIKI, ORIGINS
from bot.training.scrub import Scrubber
from bot.training.validate import MIN_EXAMPLES

SESSION_GAP = timedelta(hours=6)


@dataclass(frozen=True)
class ExportOptions:
    min_words: int = 2  # "ok" is not worth learning
    validation: float = 0.1  # share of conversations in the validation file
    dedupe: bool = True
    scrub: bool = True
    weights: bool = False
    learn_from: frozenset[str] = frozenset(ORIGINS)
    max_tokens: int = 4_096  # per example; long conversations become several examples
    seed: str = "aiki"  # salt of the deterministic train/validation split
    exclude_models: Mapping[str, str] = field(default_factory=dict)  # model -> why its replies are not learned


@dataclass
class ExportReport:
    conversations: int = 0
    train: int = 0
    validation: int = 0
    folded: int = 0  # validation examples moved into training: too few for a validation file
    learned: int = 0
    context_only: Counter[str] = field(default_factory=Counter)  # replies kept at weight 0, by why
    history_turns: int = 0  # turns of the live history put before examples as context (the hybrid)
    dropped: Counter[str] = field(default_factory=Counter)
    scrubbed: Counter[str] = field(default_factory=Counter)

    def summary(self, train_path: Path, validation_path: Path | None) -> str:
        lines = [f"wrote {self.train:,} training examples to {train_path}"]
        if validation_path is not None and self.validation:
            lines.append(f"wrote {self.validation:,} validation examples to {validation_path}")
        if self.folded:
            lines.append(
                f"no validation file: {self.folded:,} held-out examples are fewer than the {MIN_EXAMPLES} a "
                "validation file needs, so they went into the training file"
            )
        lines.append(f"from {self.conversations:,} conversations; {self.learned:,} replies to learn")
        if self.context_only:
            why = ", ".join(f"{n:,} {why}" for why, n in self.context_only.most_common())
            lines.append(f"kept as context with weight 0: {self.context_only.total():,} replies ({why})")
        if self.history_turns:
            lines.append(f"the live history before a conversation, as context: {self.history_turns:,} turns (weight 0)")
        dropped = ", ".join(f"{n:,} {why}" for why, n in self.dropped.most_common())
        lines.append(f"left out: {dropped or 'nothing'}")
        found = ", ".join(f"{n:,} {what}" for what, n in sorted(self.scrubbed.items()) if n)
        lines.append(f"scrubbed: {found or 'nothing found'}")
        lines.append("facts are not in the file: they stay in Qdrant and reach the model through retrieval")
        return "\n".join(lines)


@dataclass
class _Message:
    role: str
    content: str
    turns: list[HistoryTurn]  # as stored: one message of the example may join several in a row
    learn: bool = True
    why_not: str | None = None


@dataclass
class Example:
    messages: list[dict[str, Any]]
    moment: Moment | None  # what the last reply answers, for a live-style system message
    not_learned: list[str]  # why, for each reply in it at weight 0


SystemFor = Callable[[Moment], Awaitable[LiveContext]]  # the live context of a moment (bot.training.hybrid)
HYBRID_EXTRA_TOKENS = 1_500  # room a live-style system message takes beyond the persona: memories, mood, intention


async def conversations(history: AsyncIterator[HistoryTurn]) -> AsyncIterator[tuple[str, list[HistoryTurn]]]:
    """Group the ordered history into conversations: by imported conversation, or by silence for AIKI's own."""
    key: str | None = None
    group: list[HistoryTurn] = []
    async for turn in history:
        if turn.conversation_id is not None:
            turn_key = turn.conversation_id
        elif (
            group
            and group[-1].conversation_id is None
            and group[-1].scope == turn.scope
            and turn.created_at - group[-1].created_at <= SESSION_GAP
        ):
            turn_key = key or ""
        else:
            turn_key = f"{AIKI}:{turn.scope}:{turn.id}"
        if turn_key != key and group:
            yield key or "", group
            group = []
        key = turn_key
        group.append(turn)
    if group:
        yield key or "", group


class Exporter:
    """Turns conversations into examples and writes them, de-duplicated and split."""

    def __init__(
        self,
        system: str,
        options: ExportOptions,
        train: TextIO,
        validation: TextIO | None,
        system_for: SystemFor | None = None,
    ) -> None:
        self.system = system
        self.system_for = system_for
        self.options = options
        self.train = train
        self.validation = validation
        self.report = ExportReport()
        self._scrub = Scrubber()
        self._seen: set[bytes] = set()
        self._system_tokens = tokens.message_tokens({"role": "system", "content": system}) + tokens.REPLY_PRIMING
        if system_for is not None:
            self._system_tokens += HYBRID_EXTRA_TOKENS

    async def add(self, key: str, turns: list[HistoryTurn]) -> None:
        self.report.conversations += 1
        to_validation = self.validation is not None and _fraction(self.options.seed + key) < self.options.validation
        for built in self.examples(turns):
            example = built.messages
            if self.system_for is not None and built.moment is not None:
                example = await self._live(self.system_for, example, built.moment)
            digest = _digest(example)
            if self.options.dedupe and digest in self._seen:
                self.report.dropped["duplicate examples"] += 1
                continue
            self._seen.add(digest)
            out = self.validation if to_validation and self.validation is not None else self.train
            out.write(json.dumps({"messages": example}, ensure_ascii=False) + "\n")
            if out is self.train:
                self.report.train += 1
            else:
                self.report.validation += 1
            self.report.learned += sum(1 for m in example if m["role"] == "assistant" and m.get("weight", 1))
            self.report.context_only.update(built.not_learned)
        self.report.scrubbed = Counter(self._scrub.found)

    async def _live(self, system_for: SystemFor, example: list[dict[str, Any]], moment: Moment) -> list[dict[str, Any]]:
        """The example as the live turn saw its last message: its system message, and (with weights, so they are
        not learned twice) the live history from before the example's own turns as context at weight 0."""
        used = self._system_tokens + sum(tokens.message_tokens(m) for m in example[1:])
        room = self.options.max_tokens - used if self.options.weights else 0
        live = await system_for(replace(moment, room=room))
        system = self._scrub(live.system) if self.options.scrub else live.system  # it quotes memories
        earlier = [self._context(role, group) for role, group in _runs(live.earlier)]
        if earlier and earlier[-1]["role"] == example[1]["role"]:
            if example[1]["role"] == "assistant":
                earlier.pop()  # never join context into a reply that is learned
            else:
                example[1] = {
                    **example[1],
                    "content": earlier.pop()["content"] + SAME_ROLE_JOIN + example[1]["content"],
                }
        self.report.history_turns += len(live.earlier)
        return [{"role": "system", "content": system}, *earlier, *example[1:]]

    def _context(self, role: str, turns: list[ChatMessage]) -> dict[str, Any]:
        text = SAME_ROLE_JOIN.join(t.content.strip() for t in turns)
        item: dict[str, Any] = {"role": role, "content": self._scrub(text) if self.options.scrub else text}
        if role == "assistant":
            item["weight"] = 0
        return item

    def examples(self, turns: list[HistoryTurn]) -> Iterator[Example]:
        """Windows of one conversation that fit the budget, each starting with the persona."""
        exchanges = self._exchanges(self._messages(turns))
        window: list[list[_Message]] = []
        used = self._system_tokens
        for exchange in exchanges:
            size = sum(tokens.message_tokens({"content": m.content}) for m in exchange)
            if self._system_tokens + size > self.options.max_tokens:
                self.report.dropped["exchanges over the token budget"] += 1
                continue
            if window and used + size > self.options.max_tokens:
                yield from self._finish(window)
                window, used = [], self._system_tokens
            window.append(exchange)
            used += size
        yield from self._finish(window)

    def _messages(self, turns: list[HistoryTurn]) -> list[_Message]:
        merged: list[tuple[str, list[HistoryTurn]]] = []
        for turn in turns:
            if not turn.content.strip():
                continue
            if merged and merged[-1][0] == turn.role:
                merged[-1][1].append(turn)
            else:
                merged.append((turn.role, [turn]))
        messages = []
        for role, group in merged:
            text = SAME_ROLE_JOIN.join(t.content.strip() for t in group)
            if self.options.scrub:
                text = self._scrub(text)
            message = _Message(role, text, group)
            if role == "assistant":
                origin = group[0].origin or AIKI
                if any(t.marked_bad for t in group):
                    message.learn, message.why_not = False, "replies marked bad"
                elif len(text.split()) < self.options.min_words:
                    message.learn, message.why_not = False, f"replies under {self.options.min_words} words"
                elif origin not in self.options.learn_from:
                    message.learn, message.why_not = False, f"{origin} replies (not in --learn-from)"
                elif excluded := [t.model for t in group if t.model in self.options.exclude_models]:
                    why = self.options.exclude_models[excluded[0] or ""]
                    message.learn, message.why_not = False, f"replies by {why} ({excluded[0]})"
            messages.append(message)
        return messages

    def _exchanges(self, messages: list[_Message]) -> list[list[_Message]]:
        """Each reply with the messages it answered; replies not learned go (or stay at weight 0)."""
        exchanges: list[list[_Message]] = []
        pending: list[_Message] = []
        for message in messages:
            pending.append(message)
            if message.role != "assistant":
                continue
            if not message.learn and not self.options.weights:
                self.report.dropped[message.why_not or "replies not learned"] += 1
                pending = []
                continue
            exchanges.append(pending)
            pending = []
        if pending:
            self.report.dropped["messages with no reply after them"] += len(pending)
        return exchanges

    def _finish(self, window: list[list[_Message]]) -> Iterator[Example]:
        # Replies at weight 0 after the last learned one teach nothing and only cost tokens.
        while window and not window[-1][-1].learn:
            self.report.dropped[window[-1][-1].why_not or "replies not learned"] += 1
            window = window[:-1]
        if not window:
            return
        example: list[dict[str, Any]] = [{"role": "system", "content": self.system}]
        for exchange in window:
            for message in exchange:
                item: dict[str, Any] = {"role": message.role, "content": message.content}
                if self.options.weights and message.role == "assistant":
                    item["weight"] = 1 if message.learn else 0
                example.append(item)
        messages = [m for exchange in window for m in exchange]
        not_learned = [m.why_not or "replies not learned" for m in messages if m.role == "assistant" and not m.learn]
        yield Example(example, _moment(window), not_learned)


async def export(
    state: StateStore,
    scopes: list[str],
    system: str,
    options: ExportOptions,
    train_path: Path,
    validation_path: Path | None,
    progress: bool,
    system_for: SystemFor | None = None,
) -> ExportReport:
    """Write the files (complete or not at all: written beside, then renamed); returns what went where."""
    total = sum([await state.count_turns(scope) for scope in scopes])
    train_path.parent.mkdir(parents=True, exist_ok=True)
    partial = [path.with_name(path.name + ".partial") for path in (train_path, validation_path) if path]
    try:
        with (
            partial[0].open("w", encoding="utf-8") as train,
            partial[1].open("w", encoding="utf-8") if validation_path else nullcontext() as validation,
            tqdm(total=total, unit=" turns", desc="export", disable=not progress) as bar,
        ):
            exporter = Exporter(system, options, train, validation, system_for)
            async for key, turns in conversations(state.training.history(scopes)):
                await exporter.add(key, turns)
                bar.update(len(turns))
        report = exporter.report
        if validation_path is not None and report.validation < MIN_EXAMPLES:
            _fold(partial[1], partial[0], report)
            validation_path.unlink(missing_ok=True)  # an older export's file would not match this one
            validation_path = None
        for done, path in zip(partial, (train_path, validation_path), strict=False):
            if path is not None:
                done.replace(path)
    finally:
        for leftover in partial:
            leftover.unlink(missing_ok=True)
    return exporter.report


def _moment(window: list[list[_Message]]) -> Moment | None:
    """The moment the example's last reply answers: the person's message(s) before it, the example's turns before
    those as its history, and what was known then: what came before the first message it learns a reply to."""
    messages = [m for exchange in window for m in exchange]
    users = [index for index, m in enumerate(messages) if m.role == "user"]
    if not users:
        return None
    first_learned = next(exchange for exchange in window if exchange[-1].learn)  # `_finish` keeps one at least
    return Moment(
        scope=messages[-1].turns[-1].scope,
        message=[_as_turn(t) for t in messages[users[-1]].turns],
        history=[_as_turn(t) for m in messages[: users[-1]] for t in m.turns],
        known_before=first_learned[0].turns[0].created_at,
        imported=messages[-1].turns[-1].origin is not None,
    )


def _runs(turns: list[ChatMessage]) -> Iterator[tuple[str, list[ChatMessage]]]:
    """Messages in a row by one side, together (one message a side, as live prompts send them)."""
    run: list[ChatMessage] = []
    for turn in turns:
        if not turn.content.strip():
            continue
        if run and run[-1].role != turn.role:
            yield run[0].role, run
            run = []
        run.append(turn)
    if run:
        yield run[0].role, run


def _as_turn(turn: HistoryTurn) -> Turn:
    return Turn(turn.scope, turn.role, turn.content, turn.created_at, turn.source, turn.guild_id, turn.channel_id,
                id=turn.id, model=turn.model)  # fmt: skip


def _fold(validation: Path, train: Path, report: ExportReport) -> None:
    """Too few held-out examples for a validation file (trainers and providers refuse one): train on them."""
    with train.open("a", encoding="utf-8") as out:
        out.write(validation.read_text(encoding="utf-8"))
    report.train += report.validation
    report.folded, report.validation = report.validation, 0


def _fraction(key: str) -> float:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") / 2**64


def _digest(example: list[dict[str, Any]]) -> bytes:
    body = [(m["role"], " ".join(m["content"].lower().split())) for m in example if m["role"] != "system"]
    return hashlib.blake2b(json.dumps(body, ensure_ascii=False).encode(), digest_size=16).digest()


def validation_path_for(train: Path) -> Path:
    """train.jsonl -> train.validation.jsonl"""
    return train.with_name(f"{train.stem}.validation{train.suffix or '.jsonl'}")
