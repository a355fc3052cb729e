"""Learning durable facts about a person: one LLM call returning JSON, validated, then merged or superseding."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime

from pydantic import BaseModel, Field, ValidationError

from bot.llm import LLM, ChatMessage, LLMError
from bot.memory.bank import MemoryBank, NewMemory
from bot.memory.models import Memory, MemoryKind, Origin, SearchFilter
from bot.visibility import Audience

log = logging.getLogger(__name__)

# Same key and this similar: the same fact said again (merge). Same key, less similar: it changed (supersede).
SAME_FACT = 0.9
# Different keys but this similar: still the same fact (the LLM named it differently).
SAME_FACT_ANY_KEY = 0.95

EXTRACTION_PROMPT = """You extract durable facts about a person from one exchange in a conversation.
A durable fact stays true for weeks or longer: where they live or work, people in their life, projects,
preferences, health, plans with dates. Ignore small talk, moods of the moment and facts about the assistant.
Answer with JSON only, in this shape:
{"facts": [{"key": "lives_in", "text": "Jovnna lives in Tromsø", "importance": 0.7}]}
- key: a short snake_case name for what the fact is about, the same key for the same attribute
  (lives_in, works_at, sister_name, project_aiki_home, ...)
- text: one sentence in the person's language, naming the person
- importance: 0 to 1
Return {"facts": []} when there is nothing durable."""


class ExtractedFact(BaseModel):
    key: str = Field(pattern=r"^[a-z0-9_]{1,48}$")
    text: str = Field(min_length=3, max_length=500)
    importance: float = Field(default=0.6, ge=0, le=1)


class Extraction(BaseModel):
    facts: list[ExtractedFact] = Field(default_factory=list, max_length=8)


def _json_object(answer: str) -> object:
    """Models wrap JSON in code fences or prose; take the outermost object."""
    match = re.search(r"\{.*\}", answer, re.DOTALL)
    if match is None:
        raise ValueError("no JSON object in the answer")
    return json.loads(match.group(0))


async def extract_facts(llm: LLM, person: str, user_text: str, reply_text: str) -> list[ExtractedFact]:
    """The facts in one exchange; a bad or failed answer is logged and gives no facts, never an exception."""
    messages = [
        ChatMessage("system", EXTRACTION_PROMPT),
        ChatMessage("user", f"The person is {person}.\n\n{person}: {user_text}\n\nAssistant: {reply_text}"),
    ]
    try:
        answer = await llm.complete(messages, temperature=0.0, json_mode=True)
        return Extraction.model_validate(_json_object(answer)).facts
    except LLMError as exc:
        log.warning("fact extraction skipped: the LLM call failed (%s)", exc.__class__.__name__)
    except ValidationError as exc:  # its message quotes the answer, which may repeat what the person said
        log.warning("fact extraction skipped: the answer broke %d rule(s) of the fact format", exc.error_count())
    except ValueError as exc:
        log.warning("fact extraction skipped: the answer was not valid JSON (%s)", exc.__class__.__name__)
    return []


async def learn_fact(
    bank: MemoryBank, scope: str, fact: ExtractedFact, origin: Origin, now: datetime
) -> tuple[str, Memory]:
    """Store one fact so there is only ever one current answer per attribute.

    Returns ("merged" | "superseded" | "added", the current memory).
    """
    # Only facts said in the same place merge or get superseded: a DM fact must not replace (and so hide) what a
    # server knows, nor a server's fact carry DM words into that server.
    where = SearchFilter(scopes=(scope,), kinds=(MemoryKind.FACT,), audience=Audience.same_place(origin))
    similar = await bank.search(fact.text, where, limit=5)
    for hit in similar:
        old = hit.memory
        same_key = old.meta.get("key") == fact.key
        if (same_key and hit.score >= SAME_FACT) or hit.score >= SAME_FACT_ANY_KEY:
            merged = old.with_changes(
                importance=max(old.importance, fact.importance),
                last_recalled_at=now,
                meta={**old.meta, "confirmations": int(old.meta.get("confirmations", 1)) + 1},
            )
            await bank.store.update_payload(scope, old.id, merged)
            return "merged", merged
    new = await bank.add_one(
        NewMemory(
            scope,
            fact.text,
            MemoryKind.FACT,
            fact.importance,
            origin,
            created_at=now,
            meta={"key": fact.key, "confirmations": 1},
        )
    )
    outcome = "added"
    for hit in similar:
        old = hit.memory
        if old.meta.get("key") == fact.key and old.id != new.id:
            await bank.store.update_payload(scope, old.id, old.with_changes(superseded_by=new.id))
            outcome = "superseded"
    return outcome, new
