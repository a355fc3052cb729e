"""One contract, two backends: every test here runs on Qdrant Edge and on qdrant-client (server API)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidInputError, StoreMismatchError
from bot.memory import maintenance
from bot.memory.bank import MemoryBank, NewMemory
from bot.memory.embedder import FastEmbedder
from bot.memory.hybrid import DEFAULT_WEIGHTS, Mode
from bot.memory.models import IDENTITY_SCOPE, MemoryKind, SearchFilter, StoreInfo
from bot.memory.server import QdrantServerMemoryStore
from bot.places import Origin, OriginSource
from tests.conftest import BACKENDS, make_store

ALICE, BOB = "1001", "2002"


def only(*scopes: str, **kw: object) -> SearchFilter:
    return SearchFilter(scopes=scopes, **kw)  # type: ignore[arg-type]


async def test_a_memory_is_found_by_meaning_in_its_own_scope(bank: MemoryBank) -> None:
    await bank.add(
        [
            NewMemory(ALICE, "Alice is building AIKI-HOME, a proxy that keeps her accountable", MemoryKind.PROJECT),
            NewMemory(ALICE, "Alice's cat is called Pixel", MemoryKind.FACT),
            NewMemory(ALICE, "Alice had pasta for dinner on Tuesday", MemoryKind.EPISODE),
        ]
    )
    hits = await bank.search("what is the name of her pet?", only(ALICE), limit=3)
    assert hits[0].memory.text == "Alice's cat is called Pixel"
    assert hits[0].memory.kind is MemoryKind.FACT
    assert hits[0].score > hits[-1].score


async def test_another_persons_memory_never_comes_back_even_for_its_exact_words(bank: MemoryBank) -> None:
    secret = "Alice's bank PIN hint is the year her grandmother was born"
    await bank.add([NewMemory(ALICE, secret, MemoryKind.FACT)])
    await bank.add([NewMemory(BOB, "Bob plays the trumpet", MemoryKind.FACT)])

    hits = await bank.search(secret, only(BOB), limit=10)

    assert [h.memory.text for h in hits] == ["Bob plays the trumpet"]
    assert await bank.store.get(BOB, (await bank.search(secret, only(ALICE), 1))[0].memory.id) is None


async def test_a_search_always_needs_a_scope() -> None:
    with pytest.raises(ValueError):
        SearchFilter(scopes=())
    with pytest.raises(ValueError):
        SearchFilter(scopes=("",))


async def test_identity_scope_can_be_searched_together_with_a_person(bank: MemoryBank) -> None:
    await bank.add([NewMemory(IDENTITY_SCOPE, "I am AIKI, warm and curious", MemoryKind.IDENTITY)])
    await bank.add([NewMemory(ALICE, "Alice likes curious questions", MemoryKind.FACT)])
    await bank.add([NewMemory(BOB, "Bob is curious about trains", MemoryKind.FACT)])
    hits = await bank.search("curious", only(ALICE, IDENTITY_SCOPE), limit=10)
    assert {h.memory.scope for h in hits} == {ALICE, IDENTITY_SCOPE}


async def test_delete_by_scope_leaves_everyone_else_untouched(bank: MemoryBank) -> None:
    await bank.add([NewMemory(ALICE, f"alice note {i}") for i in range(7)])
    await bank.add([NewMemory(BOB, f"bob note {i}") for i in range(5)])

    deleted = await bank.store.delete_scope(ALICE)

    assert deleted == 7
    assert await bank.store.count(ALICE) == 0
    assert await bank.store.count(BOB) == 5
    assert [h.memory.scope for h in await bank.search("note", only(BOB), 10)] == [BOB] * 5


async def test_delete_by_id_only_works_inside_the_callers_scope(bank: MemoryBank) -> None:
    [alice_memory] = await bank.add([NewMemory(ALICE, "Alice's favourite colour is green")])
    assert await bank.store.delete(BOB, [alice_memory.id]) == 0
    assert await bank.store.get(ALICE, alice_memory.id) is not None
    assert await bank.store.delete(ALICE, [alice_memory.id]) == 1
    assert await bank.store.get(ALICE, alice_memory.id) is None


async def test_get_list_update_and_count(bank: MemoryBank) -> None:
    origin = Origin(OriginSource.DM, channel_id=55, message_id=66)
    made = await bank.add([NewMemory(ALICE, f"memory number {i}", importance=0.2, origin=origin) for i in range(25)])

    first, offset = await bank.store.list_page(ALICE, limit=10)
    second, offset2 = await bank.store.list_page(ALICE, limit=10, offset=offset)
    third, offset3 = await bank.store.list_page(ALICE, limit=10, offset=offset2)
    ids = {m.id for m in first + second + third}
    assert len(first) == 10 and len(second) == 10 and len(third) == 5 and offset3 is None
    assert ids == {m.id for m in made}
    assert await bank.store.count(ALICE) == 25

    target = made[3]
    got = await bank.store.get(ALICE, target.id)
    assert got is not None and got.origin == origin and got.importance == pytest.approx(0.2)

    recalled_at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert await bank.store.update_payload(
        ALICE, target.id, got.with_changes(importance=0.9, last_recalled_at=recalled_at)
    )
    again = await bank.store.get(ALICE, target.id)
    assert again is not None and again.importance == pytest.approx(0.9) and again.last_recalled_at == recalled_at
    assert not await bank.store.update_payload(BOB, target.id, got)

    changed = await bank.replace_text(ALICE, target.id, "Alice moved to Tromsø")
    assert changed is not None
    hits = await bank.search("which city does she live in now?", only(ALICE), 1)
    assert hits[0].memory.id == target.id


async def test_filters_by_kind_and_time_and_hides_superseded(bank: MemoryBank) -> None:
    day = datetime(2025, 12, 29, 12, 0, tzinfo=UTC)
    old, new, episode = await bank.add(
        [
            NewMemory(ALICE, "Alice works at the bakery", MemoryKind.FACT, created_at=day - timedelta(days=30)),
            NewMemory(ALICE, "Alice works at the library", MemoryKind.FACT, created_at=day),
            NewMemory(ALICE, "We talked about her work at the library", MemoryKind.EPISODE, created_at=day),
        ]
    )
    facts = await bank.search("where does Alice work?", only(ALICE, kinds=(MemoryKind.FACT,)), 10)
    assert {h.memory.id for h in facts} == {old.id, new.id}

    recent = await bank.search("work", only(ALICE, since=day - timedelta(days=1), until=day + timedelta(days=1)), 10)
    assert {h.memory.id for h in recent} == {new.id, episode.id}

    await bank.store.update_payload(ALICE, old.id, old.with_changes(superseded_by=new.id))
    current = await bank.search("where does Alice work?", only(ALICE, kinds=(MemoryKind.FACT,)), 10)
    assert [h.memory.id for h in current] == [new.id]
    history = await bank.search("where", only(ALICE, kinds=(MemoryKind.FACT,), include_superseded=True), 10)
    assert {h.memory.id for h in history} == {old.id, new.id}


async def test_linked_finds_the_statements_about_one_thing_replaced_ones_too_and_a_turns_memories(
    bank: MemoryBank,
) -> None:
    """The lookup behind "statements about one thing come together" (bot/mind/recollection.py): by the fact step's
    links and by the turn a memory was made from, in the asker's scope only, no vectors."""
    old, new, said, chatter, other = await bank.add(
        [
            NewMemory(ALICE, "Alice lives in Bergen", MemoryKind.FACT, meta={"key": "lives_in"}),
            NewMemory(ALICE, "Alice lives in Oslo", MemoryKind.FACT, meta={"key": "lives_in", "replaces": "x"}),
            NewMemory(ALICE, "Alice: moved to Oslo!", MemoryKind.EPISODE, meta={"keys": ["lives_in"], "turn_id": 7}),
            NewMemory(ALICE, "Alice: nice weather", MemoryKind.EPISODE, meta={"turn_id": 8}),
            NewMemory(BOB, "Bob lives in Oslo", MemoryKind.FACT, meta={"key": "lives_in"}),
        ]
    )
    await bank.store.update_payload(ALICE, old.id, old.with_changes(superseded_by=new.id))
    found = await bank.store.linked(only(ALICE), ["lives_in"], [], 10)
    assert {m.id for m in found} == {old.id, new.id, said.id}
    by_turn = await bank.store.linked(only(ALICE), [], [8], 10)
    assert [m.id for m in by_turn] == [chatter.id]
    assert other.id not in {m.id for m in await bank.store.linked(only(ALICE), ["lives_in"], [7, 8], 10)}
    assert await bank.store.linked(only(ALICE), [], [], 10) == []


async def test_an_updated_memory_is_still_found_by_filtered_search(bank: MemoryBank) -> None:
    [fact] = await bank.add([NewMemory(ALICE, "Alice is allergic to peanuts", MemoryKind.FACT)])
    recalled = fact.with_changes(last_recalled_at=datetime(2026, 5, 1, tzinfo=UTC))
    assert await bank.store.update_payload(ALICE, fact.id, recalled)
    hits = await bank.search("allergies", only(ALICE, kinds=(MemoryKind.FACT,)), 5)
    assert [h.memory.id for h in hits] == [fact.id]


async def test_adding_the_same_id_twice_keeps_one_memory(bank: MemoryBank) -> None:
    await bank.add([NewMemory(ALICE, "first version", id="external-42")])
    await bank.add([NewMemory(ALICE, "second version", id="external-42")])
    assert await bank.store.count(ALICE) == 1
    [memory], _ = await bank.store.list_page(ALICE)
    assert memory.text == "second version"


async def test_empty_text_is_refused_with_a_clear_reason(bank: MemoryBank) -> None:
    with pytest.raises(InvalidInputError, match="empty"):
        await bank.add([NewMemory(ALICE, "   \n ")])
    assert await bank.store.count(ALICE) == 0


async def test_text_longer_than_the_model_window_is_found_by_its_end(bank: MemoryBank) -> None:
    filler = " ".join(f"Monday meeting notes item {i} about quarterly budget spreadsheets." for i in range(80))
    long_text = filler + " Finally, Alice said she wants to go on a kayak trip in Lofoten next summer."
    await bank.add([NewMemory(ALICE, long_text)])
    await bank.add([NewMemory(ALICE, f"Alice's shopping list {i}: milk, bread, eggs") for i in range(5)])
    hits = await bank.search("kayaking trip in Lofoten", only(ALICE), 1)
    assert hits[0].memory.text == long_text  # stored whole, not cut


async def test_store_remembers_its_model_and_refuses_another(
    backend: str, tmp_path: Path, embedder: FastEmbedder
) -> None:
    store = make_store(backend, tmp_path)
    await store.open(StoreInfo(embedder.model_name, embedder.dim))
    await store.close()

    reopened = make_store(backend, tmp_path)
    with pytest.raises(StoreMismatchError, match="aiki memory reindex") as caught:
        await reopened.open(StoreInfo("intfloat/multilingual-e5-large", 1024))
    assert "1024" in str(caught.value) and embedder.model_name in str(caught.value)
    await reopened.close()


async def test_memories_survive_closing_and_reopening(backend: str, tmp_path: Path, embedder: FastEmbedder) -> None:
    first = MemoryBank(make_store(backend, tmp_path), embedder)
    await first.open()
    await first.add([NewMemory(ALICE, "Alice's birthday is on the 3rd of March", MemoryKind.FACT)])
    await first.close()

    second = MemoryBank(make_store(backend, tmp_path), embedder)
    await second.open()
    hits = await second.search("when is her birthday?", only(ALICE), 1)
    await second.close()
    assert hits[0].memory.text == "Alice's birthday is on the 3rd of March"


async def test_scopes_lists_everyone_with_memories(bank: MemoryBank) -> None:
    await bank.add([NewMemory(ALICE, "a"), NewMemory(BOB, "b"), NewMemory(IDENTITY_SCOPE, "c")])
    assert await bank.store.scopes() == sorted([ALICE, BOB, IDENTITY_SCOPE])


# -- hybrid retrieval: meaning, words, time and names, fused inside Qdrant ------------------------------------

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@pytest.fixture
async def english(backend: str, tmp_path: Path, embedder: FastEmbedder) -> AsyncIterator[MemoryBank]:
    """A bank whose word index is English, like the sentences below (the default is Norwegian)."""
    memory = MemoryBank(make_store(backend, tmp_path), embedder, "english")
    await memory.open()
    yield memory
    await memory.close()


async def recall(
    bank: MemoryBank, question: str, scope: str = ALICE, mode: Mode = Mode.HYBRID, **weights: float
) -> list[str]:
    """The texts `MemoryBank.recall` returns, best first; with `weights`, the same probe weighed otherwise."""
    where = only(scope)
    if not weights:
        return [h.memory.text for h in await bank.recall(question, where, 10, NOW, OSLO, mode)]
    probe = await bank.probe(question, where, NOW, OSLO)
    probe = replace(probe, weights=replace(DEFAULT_WEIGHTS, **weights))
    return [h.memory.text for h in await bank.store.query(probe, where, 10)]


async def test_a_date_in_the_question_finds_that_days_memory_over_a_closer_sounding_one(english: MemoryBank) -> None:
    that_day = datetime(2025, 12, 29, 15, 0, tzinfo=UTC)
    baked = "Baked cinnamon buns with my sister and we laughed a lot"
    christmas = "On Christmas I did a lot: what I did was cook dinner and do the dishes"
    await english.add(
        [
            NewMemory(ALICE, baked, MemoryKind.EPISODE, created_at=that_day),
            NewMemory(ALICE, christmas, MemoryKind.EPISODE, created_at=datetime(2025, 12, 25, 18, tzinfo=UTC)),
            NewMemory(ALICE, "Went to the dentist", MemoryKind.EPISODE, created_at=days_ago(40)),
        ]
    )
    question = "What did I do on 29 December?"
    assert (await recall(english, question, time=0.0))[0] == christmas  # by meaning and words alone, the wrong day
    assert (await recall(english, question))[0] == baked
    assert (await recall(english, "Hva gjorde jeg 29. desember?"))[0] == baked


async def test_a_rare_name_is_found_even_when_the_meaning_ranks_it_low(english: MemoryBank) -> None:
    notes = "Housing meeting notes: budget, the new heating, parking rules, and Skaugvoll takes over as caretaker"
    await english.add(
        [
            NewMemory(ALICE, text, MemoryKind.EPISODE)
            for text in (
                "Do you remember what she said about the trip?",
                "I can't remember what he said at dinner",
                "What was said at the party, I don't remember",
                "They said nothing I remember",
                "He said he would remember the tickets",
                "She said she remembers the old house",
            )
        ]  # fmt: skip
        + [NewMemory(ALICE, notes, MemoryKind.NOTE, created_at=days_ago(90))]
    )
    question = "Do you remember what Skaugvoll said?"
    assert notes not in (await recall(english, question, mode=Mode.DENSE))[:3]  # meaning alone misses it
    assert (await recall(english, question))[0] == notes


async def test_a_question_naming_a_person_prefers_what_they_said(english: MemoryBank) -> None:
    await english.add(
        [
            NewMemory(ALICE, "I love hiking in the mountains", MemoryKind.EPISODE, speaker="Bob"),
            NewMemory(ALICE, "I love hiking along the coast", MemoryKind.EPISODE, speaker="Kari Nordmann"),
        ]
    )
    assert (await recall(english, "Where does Kari like to hike?"))[0] == "I love hiking along the coast"
    assert (await recall(english, "Where does Bob like to hike?"))[0] == "I love hiking in the mountains"


async def test_context_words_find_a_reply_that_only_makes_sense_with_its_neighbours(english: MemoryBank) -> None:
    reply = "Yes, every Sunday since I was ten!"
    await english.add(
        [
            NewMemory(ALICE, reply, MemoryKind.EPISODE, context="Bob: Do you still play chess with grandpa Nils?"),
            NewMemory(ALICE, "Yes, I went there last summer", MemoryKind.EPISODE, context="Bob: Been to Rome?"),
        ]
    )
    assert (await recall(english, "Does Alice play chess with grandpa Nils?"))[0] == reply


async def test_after_an_event_favours_what_happened_right_after_it(english: MemoryBank) -> None:
    run = "Went for a long morning run along the river"
    await english.add(
        [
            NewMemory(ALICE, "The storm brought heavy rain all night", MemoryKind.EPISODE, created_at=days_ago(10)),
            NewMemory(ALICE, run, MemoryKind.EPISODE, created_at=days_ago(9.5)),
            NewMemory(ALICE, "Went for a long evening run in the park", MemoryKind.EPISODE, created_at=days_ago(2)),
        ]
    )
    ranked = await recall(english, "When did I go running after the rain?")
    assert ranked.index(run) < ranked.index("Went for a long evening run in the park")


async def test_recall_stays_inside_the_scope_and_hides_superseded(english: MemoryBank) -> None:
    old, new = await english.add(
        [
            NewMemory(ALICE, "Alice's PIN hint is her cat's name", MemoryKind.FACT),
            NewMemory(ALICE, "Alice's PIN hint is her first school", MemoryKind.FACT),
        ]
    )
    await english.add([NewMemory(BOB, "Bob's PIN hint is his cat's name", MemoryKind.FACT)])
    await english.store.update_payload(ALICE, old.id, old.with_changes(superseded_by=new.id))
    assert await recall(english, "what is the PIN hint?") == [new.text]
    assert await recall(english, "what is the PIN hint?", scope=BOB) == ["Bob's PIN hint is his cat's name"]


async def test_nothing_to_match_returns_nothing(english: MemoryBank) -> None:
    await english.add([NewMemory(ALICE, "Alice plays the cello", MemoryKind.FACT)])
    assert await recall(english, "the of and?", scope=BOB) == []


async def test_both_backends_rank_the_same(tmp_path: Path, embedder: FastEmbedder) -> None:
    """The same memories and questions give the same order and scores on Qdrant Edge and on the server API."""
    memories = [
        NewMemory(
            ALICE,
            text,
            kind,
            importance,
            created_at=days_ago(age),
            id=f"m{i}",
            speaker=speaker,
            context=ctx,
            last_recalled_at=days_ago(age / 3) if i % 3 == 0 else None,
        )  # fmt: skip
        for i, (text, kind, importance, age, speaker, ctx) in enumerate(
            [
                ("Made pasta with ham and peas", MemoryKind.EPISODE, 0.3, 7, "Alice", "Bob: what's for dinner?"),
                ("The deploy code is QX-7731", MemoryKind.FACT, 0.6, 60, None, None),
                ("Went skiing in Hemsedal with Kari", MemoryKind.EPISODE, 0.4, 3, "Alice", None),
                ("Kari's birthday is on 3 March", MemoryKind.FACT, 0.8, 120, None, None),
                ("It rained all day, so we stayed in", MemoryKind.EPISODE, 0.3, 12, "Bob", "Alice: any plans?"),
                ("Morning run after the rain, 10 km", MemoryKind.EPISODE, 0.3, 11.5, "Alice", None),
                ("Alice is building AIKI-HOME", MemoryKind.PROJECT, 0.7, 30, None, None),
                ("Vi lagde boller på hytta", MemoryKind.EPISODE, 0.3, 8, "Kari", "Kari: hva gjorde dere?"),
            ]
        )
    ]
    questions = [
        "what did I cook last week?",
        "QX-7731",
        "when is Kari's birthday?",
        "what did Bob say about the rain?",
        "what happened after the rain?",
        "what did we do on 29 December?",
        "tell me about AIKI-HOME",
        "hva lagde vi på hytta?",
    ]
    results = {}
    for backend in BACKENDS:
        bank = MemoryBank(make_store(backend, tmp_path / backend), embedder)
        await bank.open()
        try:
            await bank.add(memories)
            results[backend] = [await bank.recall(q, only(ALICE), 10, NOW, OSLO) for q in questions]
        finally:
            await bank.close()
    for question, edge, server in zip(questions, results["edge"], results["server"], strict=True):
        assert [h.memory.id for h in edge] == [h.memory.id for h in server], question
        # Edge scores in float32, qdrant-client's local mode in float64
        assert [h.score for h in edge] == pytest.approx([h.score for h in server], rel=1e-3, abs=1e-4), question
        assert edge, question


async def test_a_store_without_the_word_index_asks_for_a_reindex_and_reindex_builds_it(
    backend: str, tmp_path: Path, embedder: FastEmbedder
) -> None:
    old = MemoryBank(make_store(backend, tmp_path), embedder)
    await old.store.open(StoreInfo(embedder.model_name, embedder.dim, lexical=None))  # as an older AIKI built it
    await old.add([NewMemory(ALICE, "The deploy code is QX-7731", MemoryKind.FACT)])
    await old.add([NewMemory(ALICE, f"Alice asked about the {w} again", MemoryKind.EPISODE) for w in "abcdefgh"])
    await old.close()

    current = MemoryBank(make_store(backend, tmp_path), embedder)
    with pytest.raises(StoreMismatchError, match="aiki memory reindex") as caught:
        await current.open()
    assert "word index" in str(caught.value)
    await current.close()

    if backend == "edge":
        counts = await maintenance.reindex_edge(tmp_path / "memory", embedder, progress=False)
    else:
        live = make_store(backend, tmp_path)
        assert isinstance(live, QdrantServerMemoryStore)
        counts = await maintenance.reindex_server(live, embedder, progress=False)
        await live.close()
    assert counts == {ALICE: 9}

    rebuilt = MemoryBank(make_store(backend, tmp_path), embedder)
    await rebuilt.open()
    try:
        assert (await recall(rebuilt, "What was QX-7731 again?"))[0] == "The deploy code is QX-7731"
    finally:
        await rebuilt.close()


async def test_a_store_indexed_in_another_language_names_both(
    backend: str, tmp_path: Path, embedder: FastEmbedder
) -> None:
    english = MemoryBank(make_store(backend, tmp_path), embedder, "english")
    await english.open()
    await english.close()
    norwegian = MemoryBank(make_store(backend, tmp_path), embedder, "norwegian")
    with pytest.raises(StoreMismatchError, match="aiki memory reindex") as caught:
        await norwegian.open()
    assert "english" in str(caught.value) and "norwegian" in str(caught.value)
    await norwegian.close()


async def test_an_old_unimportant_never_recalled_episode_fades_behind_one_that_mattered(english: MemoryBank) -> None:
    text = "We talked about the garden and the new fence"
    old = days_ago(200)
    faded, recalled, weighty, fact = await english.add(
        [
            NewMemory(ALICE, text, MemoryKind.EPISODE, 0.3, created_at=old, id="faded"),
            NewMemory(ALICE, text, MemoryKind.EPISODE, 0.3, created_at=old, id="recalled", last_recalled_at=old),
            NewMemory(ALICE, text, MemoryKind.EPISODE, 0.45, created_at=old, id="weighty"),
            NewMemory(ALICE, text, MemoryKind.FACT, 0.3, created_at=old, id="fact"),
        ]
    )
    probe = await english.probe("the garden fence", only(ALICE), NOW, OSLO)
    hits = {hit.memory.id: hit.score for hit in await english.store.query(probe, only(ALICE), 10)}
    assert len(hits) == 4  # nothing deleted: the faded episode is still found
    assert min(hits, key=hits.__getitem__) == faded.id  # the only one that fades ranks last
    assert hits[faded.id] / hits[fact.id] == pytest.approx(1 - 0.1 * (1 - 0.5 ** (200 / 90)), rel=1e-3)
    unfaded = replace(probe, weights=replace(DEFAULT_WEIGHTS, fade=0.0))
    flat = {hit.memory.id: hit.score for hit in await english.store.query(unfaded, only(ALICE), 10)}
    assert flat[faded.id] == pytest.approx(flat[fact.id])
    assert {recalled.id, weighty.id} <= hits.keys()


# -- what the meaning vectors hold: what was said, in windows, without who said it (bot/memory/meaning.py) -------


async def test_a_long_message_is_found_by_meaning_for_what_its_last_sentence_tells(english: MemoryBank) -> None:
    day = (
        "Long day today. The train was late again so I missed the first meeting, and the quarterly budget review "
        "dragged on until lunch. After that I answered emails, fixed the printer queue, and argued with IT about "
        "the new laptop policy for most of the afternoon. Dinner was leftover lasagne and a salad. "
        "Oh and the big news: I finally adopted a grey kitten from the shelter and named her Moon."
    )
    await english.add(
        [NewMemory(ALICE, day, MemoryKind.EPISODE)]
        + [
            NewMemory(ALICE, text, MemoryKind.EPISODE)
            for text in ("The zoo was closed on Monday", "I want a pet one day", "Pet shops are so expensive now")
        ]
    )
    # One vector for the whole message averaged the kitten away: "I want a pet one day" came first.
    assert (await recall(english, "What did I name my new pet?", mode=Mode.DENSE))[0] == day


async def test_a_question_naming_the_person_is_searched_by_meaning_for_what_it_asks(english: MemoryBank) -> None:
    chatter = [f"Kari: {text}" for text in ("ok", "haha yes", "sure", "lol same", "brb")]
    note = "Handball practice is on Tuesdays and Thursdays"
    await english.add(
        [NewMemory(ALICE, text, MemoryKind.EPISODE, speaker="Kari") for text in chatter]
        + [NewMemory(ALICE, note, MemoryKind.NOTE)]
    )
    # With the name in both vectors, every "Kari: ok" sat closer to the question than the note did.
    found = await recall(english, "What sport does Kari play?", mode=Mode.DENSE)
    assert found[0] == note
