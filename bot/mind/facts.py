"""Learning durable facts about a person, in a way a weak model cannot corrupt.

Three guards, each learned from a real small model (issue: memory with a real model):
- extraction reads only the person's own words, with placeholders (not a realistic fact a model can copy) in its
  example, and validates each item on its own: one bad item never costs the good ones;
- a fact must be grounded in what the person said (it shares a content word with their message), so a copied
  example or an invented fact is dropped;
- a new fact meets the few known facts closest to it, with ids, and the model answers add / update(id) /
  same(id) / none (as mem0's update step does); the answer is validated, and if it is unusable, rules decide:
  a fact is superseded only by one about the same thing (same key *and* close in meaning), never by key alone.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from bot.clock import to_iso
from bot.llm import LLM, ChatMessage, LLMError
from bot.memory.bank import MemoryBank, NewMemory
from bot.memory.models import Memory, MemoryKind, ScoredMemory, SearchFilter
from bot.places import Audience, Origin

log = logging.getLogger(__name__)

# Cosine of two fact texts: this close, the same fact said again (merge).
SAME_FACT = 0.9
# Same key and this close: about the same thing, so the newer one replaces the older (when the model can't say).
SAME_SUBJECT = 0.6
# Known facts at least this close are shown to the model with the new one; below it, the new fact is just added.
RELATED = 0.45
RELATED_SHOWN = 4

EXTRACTION_PROMPT = """You extract durable facts about a person from what they just wrote.
A durable fact stays true for weeks or longer: where they live or work, people and pets in their life,
projects, preferences, health, plans with dates. Ignore small talk and moods of the moment.
Use only what the person wrote. Answer with JSON only, in this shape:
{"facts": [{"key": "<what the fact is about>", "text": "<one sentence stating the fact>", "importance": <0 to 1>}]}
- key: a short snake_case name of the attribute, the same key for the same attribute
  (for example lives_in, works_at, pet_name, sister_name, project_<name>)
- text: one sentence in the person's language, naming the person, using their own words
- importance: 0 to 1
Return {"facts": []} when they wrote nothing durable."""

DECISION_PROMPT = """You keep a person's list of facts up to date. You get one NEW fact and the KNOWN facts
closest to it, each with an id. Decide, answering with JSON only:
{"decision": "add"} - the new fact is about something none of the known facts cover
{"decision": "update", "id": "<id>"} - it replaces that known fact (the same thing has changed)
{"decision": "same", "id": "<id>"} - it says what that known fact already says
{"decision": "none"} - it is not a real fact about the person"""


class ExtractedFact(BaseModel):
    key: str = Field(pattern=r"^[a-z0-9_]{1,48}$")
    text: str = Field(min_length=3, max_length=500)
    importance: float = Field(default=0.6, ge=0, le=1)


class _ModelAnswer(BaseModel):
    decision: Literal["add", "update", "same", "none"]
    id: str | None = None


@dataclass(frozen=True)
class FactDecision:
    action: Literal["add", "update", "same", "none"]
    target: Memory | None = None
    by: Literal["model", "rules"] = "rules"


_WORD = re.compile(r"\w+", re.UNICODE)
# Words a fact sentence uses whatever it says; they ground nothing.
_FILLER = frozenset(
    "the and has have had was were are is who with that this they their them from for not her his she him "
    "lives live works work likes like loves love name named called person user owner "
    "har hadde var er som med det den der fra for ikke hun han hans hennes bor jobber liker heter navn".split()
)
_MAX_FACTS = 8


def _json_object(answer: str) -> object:
    """Models wrap JSON in code fences or prose; take the outermost object."""
    match = re.search(r"\{.*\}", answer, re.DOTALL)
    if match is None:
        raise ValueError("no JSON object in the answer")
    return json.loads(match.group(0))


def _stems(text: str) -> set[str]:
    """Lowercased word beginnings, so "Tromsø" and "Tromsøs", "jobber" and "jobb" meet."""
    return {word[:5] for word in _WORD.findall(text.lower()) if len(word) >= 3 or word.isdigit()}


def grounded(fact_text: str, said: str, person: str) -> bool:
    """The fact shares a content word with what the person said (their name and fact filler words aside)."""
    return bool(content_stems(fact_text, person) & _stems(said))


def content_stems(text: str, person: str) -> set[str]:
    """The word beginnings of a derived sentence that must come from somewhere: not the person's name, not filler."""
    return _stems(text) - _stems(person) - {w[:5] for w in _FILLER}


def stems(text: str) -> set[str]:
    return _stems(text)


def parse_facts(answer: str) -> tuple[list[ExtractedFact], list[str]]:
    """The valid facts of an answer, and why each rejected item was rejected (field names and error kinds only)."""
    data = _json_object(answer)
    items = data.get("facts") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError("no list under 'facts'")
    facts: list[ExtractedFact] = []
    rejected: list[str] = []
    for index, item in enumerate(items[:_MAX_FACTS], start=1):
        try:
            fact = ExtractedFact.model_validate(item)
        except ValidationError as exc:
            problems = ",".join(f"{'.'.join(map(str, e['loc'])) or 'item'}:{e['type']}" for e in exc.errors())
            rejected.append(f"item {index} ({problems})")
            continue
        if "<" in fact.text or ">" in fact.text:
            rejected.append(f"item {index} (text:placeholder)")
            continue
        facts.append(fact)
    return facts, rejected


async def extract_facts(llm: LLM, person: str, said: str) -> list[ExtractedFact]:
    """The durable facts in what the person said; failures are logged and give no facts, never an exception."""
    return await read_facts(llm, person, said) or []


async def read_facts(llm: LLM, person: str, said: str) -> list[ExtractedFact] | None:
    """As `extract_facts`, but None when the model gave no usable answer (a sleep pass counts those batches)."""
    # ensure_ascii=False: Norwegian and emoji reach the model as written, not as \u escapes it reads poorly.
    question = json.dumps({person: said}, ensure_ascii=False)
    messages = [ChatMessage("system", EXTRACTION_PROMPT), ChatMessage("user", question)]
    try:
        facts, rejected = parse_facts(await llm.complete(messages, temperature=0.0, json_mode=True))
    except LLMError as exc:
        log.warning("fact extraction skipped: the LLM call failed (%s)", exc.__class__.__name__)
        return None
    except (ValueError, TypeError) as exc:
        log.warning("fact extraction skipped: the answer was not valid (%s)", exc.__class__.__name__)
        return None
    kept = [fact for fact in facts if grounded(fact.text, said, person)]
    # A key is the model's words about what the person said: the log names a fact by its place in the answer.
    rejected += [
        f"fact {index} (not in what the person said)" for index, fact in enumerate(facts, 1) if fact not in kept
    ]
    for reason in rejected:
        log.warning("fact extraction skipped %s", reason)
    return kept


async def decide(llm: LLM, fact: ExtractedFact, related: list[ScoredMemory]) -> FactDecision:
    """What a new fact does to the known ones: the model's validated answer, or the rules when it has none."""
    shown = {f"f{index}": hit.memory for index, hit in enumerate(related, start=1)}
    known = [{"id": key, "key": m.meta.get("key"), "text": m.text} for key, m in shown.items()]
    question = json.dumps({"new": {"key": fact.key, "text": fact.text}, "known": known}, ensure_ascii=False)
    try:
        answer = _ModelAnswer.model_validate(
            _json_object(
                await llm.complete(
                    [ChatMessage("system", DECISION_PROMPT), ChatMessage("user", question)],
                    temperature=0.0,
                    json_mode=True,
                )
            )
        )
        if answer.decision in ("add", "none"):
            return FactDecision(answer.decision, by="model")
        if answer.id in shown:
            return FactDecision(answer.decision, shown[answer.id], by="model")
        log.info("fact decision: the model named no fact it was shown; rules decide")
    except LLMError as exc:
        log.info("fact decision: the LLM call failed (%s); rules decide", exc.__class__.__name__)
    except (ValueError, TypeError, ValidationError) as exc:
        log.info("fact decision: the answer was not valid (%s); rules decide", exc.__class__.__name__)
    return decide_by_rules(fact, related)


def decide_by_rules(fact: ExtractedFact, related: list[ScoredMemory]) -> FactDecision:
    for hit in related:
        if hit.score >= SAME_FACT:
            return FactDecision("same", hit.memory)
    for hit in related:
        if hit.memory.meta.get("key") == fact.key and hit.score >= SAME_SUBJECT:
            return FactDecision("update", hit.memory)
    return FactDecision("add")


async def learn_fact(
    bank: MemoryBank,
    llm: LLM,
    scope: str,
    fact: ExtractedFact,
    origin: Origin,
    now: datetime,
    said_in: str | None = None,
) -> tuple[str, Memory | None]:
    """Store one fact so there is only ever one current answer per subject.

    Returns ("merged" | "superseded" | "added" | "ignored", the current memory). Superseded facts stay as the
    history of what was believed ("where did you get that?", "where did I live before?"): ordinary recall leaves
    them out, a question about the past finds them (bot/mind/recollection.py). An update keeps the key of the fact
    it replaces and names it (`replaces`), the replaced one says when (`superseded_at`): what AIKI shows as
    "latest" and "replaced" rests on these links, never on a guess from words. `said_in` is the episode memory
    the fact was learned from (every fact traceable to what was said).
    """
    # Only facts said in the same place merge or get superseded: a DM fact must not replace (and so hide) what a
    # server knows, nor a server's fact carry DM words into that server.
    where = SearchFilter(scopes=(scope,), kinds=(MemoryKind.FACT,), audience=Audience.same_place(origin))
    related = [hit for hit in await bank.search(fact.text, where, limit=RELATED_SHOWN) if hit.score >= RELATED]
    decision = await decide(llm, fact, related) if related else FactDecision("add")
    known = f" {decision.target.id}" if decision.target is not None else ""  # the known fact it updates or repeats
    log.info("fact decision for %s: %s%s (by %s)", scope, decision.action, known, decision.by)
    if decision.action == "none":
        return "ignored", None
    if decision.action == "same" and decision.target is not None:
        old = decision.target
        merged = old.with_changes(
            importance=max(old.importance, fact.importance),
            last_recalled_at=now,
            meta={**old.meta, "confirmations": int(old.meta.get("confirmations", 1)) + 1},
        )
        await bank.update(scope, old.id, merged)
        return "merged", merged
    meta: dict[str, object] = {"key": fact.key, "confirmations": 1}
    replaced = decision.target if decision.action == "update" else None
    if replaced is not None:
        meta |= {"key": str(replaced.meta.get("key") or fact.key), "replaces": replaced.id}
    if said_in is not None:
        meta["said_in"] = said_in
    new = await bank.add_one(
        NewMemory(scope, fact.text, MemoryKind.FACT, fact.importance, origin, created_at=now, meta=meta)
    )
    if replaced is not None:
        changed = replaced.with_changes(superseded_by=new.id, meta={**replaced.meta, "superseded_at": to_iso(now)})
        await bank.update(scope, replaced.id, changed)
        return "superseded", new
    return "added", new
