"""The pieces of retrieval that need no store: time expressions, the fusion plan, the prompt selection, batching."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.memory.embedder import BATCH_CHARS, BATCH_SIZE, length_buckets
from bot.memory.hybrid import DEFAULT_WEIGHTS, Decay, Mode, Probe, SpeakerIn, Weights, plan, signals_for
from bot.memory.jsonl import memory_to_line, parse_line
from bot.memory.models import Memory, MemoryKind, ScoredMemory, name_keys
from bot.memory.timeparse import Relation, TimeWindow, after_event, parse_time
from bot.mind.retrieval import rank

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 1, 7, 10, 0, tzinfo=UTC)  # a Wednesday


def day_of(window: TimeWindow | None) -> tuple[date | None, date | None]:
    assert window is not None
    start = window.start.astimezone(OSLO).date() if window.start else None
    end = window.end.astimezone(OSLO).date() if window.end else None
    return start, end


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("What did I do on 29 December?", date(2025, 12, 29), date(2025, 12, 30)),
        ("What kind of pasta did Kate make on 29 Dec 2023?", date(2023, 12, 29), date(2023, 12, 30)),
        ("Where was Elise on December 31st, 2023?", date(2023, 12, 31), date(2024, 1, 1)),
        ("Where is Paola going on 16.01.2024?", date(2024, 1, 16), date(2024, 1, 17)),
        ("what happened 2025-11-03?", date(2025, 11, 3), date(2025, 11, 4)),
        ("Hva lagde jeg 29. desember?", date(2025, 12, 29), date(2025, 12, 30)),
        ("Hva gjorde vi 3.1.?", date(2026, 1, 3), date(2026, 1, 4)),
        ("What happened on the 5th of January?", date(2026, 1, 5), date(2026, 1, 6)),
        ("What did we talk about in November?", date(2025, 11, 1), date(2025, 12, 1)),
        ("Hva skjedde i desember 2024?", date(2024, 12, 1), date(2025, 1, 1)),
        ("what did I eat yesterday?", date(2026, 1, 6), date(2026, 1, 7)),
        ("hva gjorde jeg i går?", date(2026, 1, 6), date(2026, 1, 7)),
        ("hva skjedde i forgårs?", date(2026, 1, 5), date(2026, 1, 6)),
        ("what did I do today", date(2026, 1, 7), date(2026, 1, 8)),
        ("hva skjedde for tre dager siden?", date(2026, 1, 4), date(2026, 1, 5)),
        ("what happened 2 weeks ago?", date(2025, 12, 24), date(2025, 12, 25)),
        ("what did I do last week?", date(2025, 12, 29), date(2026, 1, 5)),
        ("hva gjorde jeg forrige uke?", date(2025, 12, 29), date(2026, 1, 5)),
        ("what happened on Friday?", date(2026, 1, 2), date(2026, 1, 3)),
        ("hva skjedde på onsdag?", date(2025, 12, 31), date(2026, 1, 1)),  # asked on a Wednesday: last week's
        ("What did Paola make on Friday before 10.01.2024?", date(2024, 1, 5), date(2024, 1, 6)),
        ("what did we do on Christmas Eve?", date(2025, 12, 24), date(2025, 12, 25)),
        ("hva gjorde vi på nyttårsaften?", date(2025, 12, 31), date(2026, 1, 1)),
    ],
)
def test_a_time_in_the_question_becomes_a_window(question: str, start: date, end: date) -> None:
    reference = parse_time(question, NOW, OSLO)
    assert reference.relation is Relation.ON
    assert day_of(reference.window) == (start, end)


def test_a_date_without_a_year_is_the_latest_one_not_far_ahead() -> None:
    assert day_of(parse_time("on 2 February?", NOW, OSLO).window)[0] == date(2026, 2, 2)  # a month ahead: a plan
    assert day_of(parse_time("on 2 March?", NOW, OSLO).window)[0] == date(2025, 3, 2)


def test_before_and_after_a_date_are_open_windows() -> None:
    before = parse_time("Did Vanessa take the test before December 23rd, 2023?", NOW, OSLO)
    assert before.relation is Relation.BEFORE and day_of(before.window) == (None, date(2023, 12, 23))
    after = parse_time("hva har skjedd etter 1. januar?", NOW, OSLO)
    assert after.relation is Relation.AFTER and day_of(after.window) == (date(2026, 1, 2), None)


def test_the_time_words_are_taken_out_of_the_question() -> None:
    assert parse_time("What kind of pasta did Kate make on 29 Dec 2023?", NOW, OSLO).rest == (
        "What kind of pasta did Kate make?"
    )
    assert parse_time("Hva gjorde jeg i går?", NOW, OSLO).rest == "Hva gjorde jeg?"


def test_an_event_named_after_before_or_etter_is_looked_up() -> None:
    rain = parse_time("When did I go for a run after the rain?", NOW, OSLO)
    assert rain.anchor == "the rain" and rain.relation is Relation.AFTER and rain.window is None
    assert rain.rest == "When did I go for a run after the rain?"  # the event's words stay: often the topic
    party = parse_time("Hva skjedde etter festen?", NOW, OSLO)
    assert party.anchor == "festen" and party.relation is Relation.AFTER
    assert parse_time("what did I say before my exam?", NOW, OSLO).anchor == "my exam"


@pytest.mark.parametrize(
    "question",
    [
        "What may Elise buy in the near future?",  # "may" is a verb here
        "Jan came over for dinner",  # and "Jan" a name
        "Did his family have a pet before the time he knew Vanessa?",  # not one event a word search finds
        "What does Nicolas do before bed?",  # a routine, not an event
        "what happened after that?",
        "hva gjorde du etter det?",
        "How is AIKI-HOME going?",
        "I paid 1.5 million for the cabin",
    ],
)
def test_words_that_only_look_like_times_are_left_alone(question: str) -> None:
    assert parse_time(question, NOW, OSLO).empty


def test_the_days_next_to_an_event() -> None:
    moment = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert after_event(moment, Relation.AFTER) == TimeWindow(moment, moment + timedelta(days=2))
    assert after_event(moment, Relation.BEFORE) == TimeWindow(moment - timedelta(days=2), moment)


def test_the_plan_fuses_every_signal_and_adds_the_times_candidates() -> None:
    window = parse_time("what did I cook on 29 December?", NOW, OSLO).window
    probe = Probe([0.1] * 4, "what did I cook", NOW, window, ("cook", "kari"))
    fused = plan(probe, signals_for(Mode.HYBRID))
    assert fused is not None
    assert [(leg.signal, leg.start is not None) for leg in fused.legs] == [
        ("dense", False), ("lexical", False), ("context", False), ("dense", True),
    ]  # fmt: skip
    assert fused.defaults["$score[3]"] == 0.0 and fused.defaults["importance"] == 0.5
    text = repr(fused.formula)
    assert "gauss" in text and "SpeakerIn(names=('cook', 'kari'))" in text and "exp" in text


def test_the_plan_without_a_time_or_with_a_signal_switched_off() -> None:
    probe = Probe([0.1] * 4, "anything", NOW, None, (), Mode.HYBRID, Weights(context=0.0, recency=0.0, fade=0.0))
    fused = plan(probe, signals_for(Mode.HYBRID))
    assert fused is not None and [leg.signal for leg in fused.legs] == ["dense", "lexical"]
    assert not any(isinstance(node, Decay | SpeakerIn) for node in _nodes(fused.formula))
    assert plan(Probe(None, "x", NOW, weights=Weights(dense=0, lexical=0, context=0)), ["dense"]) is None
    assert DEFAULT_WEIGHTS.time > DEFAULT_WEIGHTS.recency  # a named day outweighs being recent


def _nodes(node: object) -> list[object]:
    children = getattr(node, "items", ()) or [getattr(node, "x", None)]
    return [node] + [n for child in children if child is not None for n in _nodes(child)]


def test_name_keys_are_lowercased_words() -> None:
    assert name_keys("Fahim Khan") == ["fahim", "khan"]
    assert name_keys("What did Kari-Anne say?") == ["anne", "did", "kari", "say", "what"]


def _hit(text: str, score: float) -> ScoredMemory:
    return ScoredMemory(Memory(id=text, scope="1", kind=MemoryKind.NOTE, text=text), score)


def test_rank_keeps_the_store_order_and_drops_near_duplicates_and_what_does_not_fit() -> None:
    hits = [
        _hit("Alice's cat is called Pixel", 3.0),
        _hit("alice's cat is called pixel!", 2.5),  # a near-duplicate of a better one
        _hit("Alice works at the library " + "and likes it " * 40, 2.0),  # too long for what is left
        _hit("Alice lives in Tromsø", 1.0),
    ]
    chosen = rank(hits, budget_tokens=60)
    assert [r.memory_id for r in chosen] == ["Alice's cat is called Pixel", "Alice lives in Tromsø"]
    assert [r.score for r in chosen] == [3.0, 1.0]
    assert len(rank([_hit(f"memory {i} about {i * 7}", 1.0) for i in range(20)], 10_000, limit=5)) == 5


def test_length_buckets_keep_every_piece_once_short_first_and_long_ones_in_small_batches() -> None:
    pieces = [("word " * n).strip() for n in (3, 300, 1, 40, 2, 150, 5, 7, 9, 11) * 4]
    batches = length_buckets(pieces)
    flat = [i for batch in batches for i in batch]
    assert sorted(flat) == list(range(len(pieces)))
    lengths = [len(pieces[i]) for i in flat]
    assert lengths == sorted(lengths)
    for batch in batches:
        longest = max(len(pieces[i]) for i in batch)
        assert len(batch) <= BATCH_SIZE and (len(batch) == 1 or len(batch) * longest <= BATCH_CHARS)


def test_speaker_and_context_survive_export_and_import() -> None:
    memory = Memory(id="m1", scope="7", kind=MemoryKind.EPISODE, text="Yes, every Sunday!", speaker="Kari",
                    context="Ola: Do you still play chess?")  # fmt: skip
    line = json.loads(memory_to_line(memory))
    assert line["speaker"] == "Kari" and line["context"] == "Ola: Do you still play chess?"
    again = parse_line(line, None).build()
    assert (again.speaker, again.context) == ("Kari", "Ola: Do you still play chess?")
    assert again.to_payload()["speaker_keys"] == ["kari"]
    with pytest.raises(ValueError, match="speaker"):
        parse_line({"scope": "7", "text": "x", "speaker": 5}, None)
