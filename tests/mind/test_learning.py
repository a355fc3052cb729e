"""What one exchange leaves in memory (bot/mind/learning.py): the person's words and AIKI's reply kept apart, with
the turns around them as context, and nothing AIKI said when its reply failed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.memory.bank import NewMemory
from bot.memory.models import MemoryKind
from bot.mind.learning import AIKI_WORDS_CHARS, CONTEXT_CHARS, Exchange, Said, memories_of
from bot.mind.turn import Incoming, Person
from tests.mind.memories import DM, T0

KARI = Person("7001", "Kari")
SAID = "My cat Pixel is sick again, the vet says it's her kidneys."
REPLY = "Oh no, poor Pixel. Kidney trouble in older cats is common; how is she eating?"


def exchange(reply: str | None = REPLY, **changes: object) -> Exchange:
    incoming = Incoming(KARI, SAID, DM, topic=changes.pop("topic", None))  # type: ignore[arg-type]
    return Exchange(incoming, SAID, reply, T0, **changes)  # type: ignore[arg-type]


def test_the_persons_words_and_aikis_reply_are_two_memories_each_with_its_speaker() -> None:
    person, aiki = memories_of(exchange(user_turn_id=1, reply_turn_id=2))
    assert (person.text, person.speaker, person.kind) == (f"Kari: {SAID}", "Kari", MemoryKind.EPISODE)
    assert (aiki.text, aiki.speaker, aiki.kind) == (f"AIKI: {REPLY}", "AIKI", MemoryKind.EPISODE)
    assert "by" not in person.meta and aiki.meta["by"] == "aiki"  # what AIKI said never passes as theirs
    assert (person.meta["turn_id"], aiki.meta["turn_id"]) == (1, 2)  # a turn in the history is not recalled again
    assert person.created_at == aiki.created_at == T0 and person.origin == aiki.origin == DM


def test_aikis_words_weigh_half_of_what_the_person_said() -> None:
    person, aiki = memories_of(exchange())
    assert aiki.importance == pytest.approx(person.importance / 2, abs=0.001)


def test_a_failed_or_cut_reply_learns_nothing_aiki_said_but_keeps_the_persons_words() -> None:
    [person] = memories_of(exchange(reply=None, before=("AIKI: Hi Kari, how is Pixel?",)))
    assert person.text == f"Kari: {SAID}"
    assert person.context == "AIKI: Hi Kari, how is Pixel?"  # the earlier turn, not the reply that never arrived
    [alone] = memories_of(exchange(reply=""))
    assert alone.context is None


def test_the_context_is_the_turns_around_the_message_nearest_first() -> None:
    before = ("Kari: Good morning!", "AIKI: Morning! How did the vet visit go?", "Kari: We're going at noon.")
    person, aiki = memories_of(exchange(before=before))
    assert person.context == "\n".join([f"AIKI: {REPLY}", "Kari: We're going at noon.", before[1]])
    assert aiki.context == f"Kari: {SAID}"  # AIKI's words are found by what they answered


def test_a_runaway_reply_is_kept_short_in_memory_and_in_the_context() -> None:
    runaway = "Pixel will be fine, I am sure of it. " * 200
    person, aiki = memories_of(exchange(reply=runaway, before=("Kari: Hi",)))
    assert len(aiki.text) <= len("AIKI: ") + AIKI_WORDS_CHARS and aiki.text.endswith("…")
    assert person.context is not None and len(person.context) <= CONTEXT_CHARS


@pytest.mark.parametrize("reply_chars", [100, 400, 580, 590, 593, 594, 600, 800])
def test_the_context_stays_within_its_size_whatever_the_replys_length(reply_chars: int) -> None:
    """The farthest turns are dropped first: the reply is nearest, the turn before it next."""
    reply = " ".join(f"w{n % 10}" for n in range(reply_chars))[:reply_chars].strip()
    earlier = "Kari: " + "an earlier message of mine, quite a long one " * 5
    [person, _] = memories_of(exchange(reply=reply, before=(earlier,)))
    assert person.context is not None and person.context.startswith("AIKI: w0 w1")
    assert len(person.context) <= CONTEXT_CHARS


def test_only_the_two_turns_before_the_message_are_its_context() -> None:
    before = ("Kari: the first message", "AIKI: the second, an answer", "Kari: the third message")
    [person] = memories_of(exchange(reply=None, before=before))
    assert person.context == "Kari: the third message\nAIKI: the second, an answer"


def test_a_check_in_answer_carries_its_topic_so_the_next_check_in_finds_it() -> None:
    person, aiki = memories_of(exchange(topic="Hyttebok"))
    assert person.text == f"(about Hyttebok) Kari: {SAID}" and aiki.text.startswith("(about Hyttebok) AIKI: ")
    assert person.meta["topic"] == aiki.meta["topic"] == "Hyttebok"


def test_someone_without_a_name_is_the_person() -> None:
    incoming = Incoming(Person("9"), "hello there, I'm new here", DM)
    person, aiki = memories_of(Exchange(incoming, incoming.text, "Welcome!", T0))
    assert person.text == "The person: hello there, I'm new here" and person.speaker is None
    assert aiki.context == "The person: hello there, I'm new here"


def test_both_memories_belong_to_the_person_they_were_said_with() -> None:
    memories: list[NewMemory] = memories_of(exchange())
    assert {m.scope for m in memories} == {KARI.scope}


def test_each_message_of_a_burst_is_a_memory_of_its_own_with_its_time_and_the_messages_around_it() -> None:
    earlier = (Said("hey", T0 - timedelta(seconds=20), 1), Said("so guess what", T0 - timedelta(seconds=9), 2))
    said = "I got the job at Equinor!"
    incoming = Incoming(KARI, said, DM)
    before = ("AIKI: How did the interview go?",)
    memories = memories_of(Exchange(incoming, said, "Congratulations!", T0, before, 3, 4, earlier=earlier))

    assert [m.text for m in memories] == [
        "Kari: hey",
        "Kari: so guess what",
        "Kari: I got the job at Equinor!",
        "AIKI: Congratulations!",
    ]
    assert [m.meta["turn_id"] for m in memories] == [1, 2, 3, 4]  # each one's turn: in the history, not repeated
    assert [m.created_at for m in memories[:3]] == [earlier[0].at, earlier[1].at, T0]
    hey, guess, job, aiki = memories
    assert hey.context == "Kari: so guess what\nAIKI: How did the interview go?"  # the turns around it
    assert guess.context == "Kari: I got the job at Equinor!\nKari: hey\nAIKI: How did the interview go?"
    assert job.context == "AIKI: Congratulations!\nKari: so guess what\nKari: hey"
    assert aiki.context == "Kari: hey so guess what I got the job at Equinor!"  # the reply answered all three
