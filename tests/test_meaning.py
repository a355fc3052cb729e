"""What a memory's and a question's meaning vectors are made of (bot/memory/meaning.py)."""

from __future__ import annotations

from bot.memory.meaning import WINDOW_WORDS, meaning_of, passage_of, windows_of
from bot.memory.models import Memory, MemoryKind


def said(text: str, speaker: str | None) -> Memory:
    return Memory(id="m", scope="alice", kind=MemoryKind.EPISODE, text=text, speaker=speaker)


def test_the_speakers_label_is_left_out_of_what_is_embedded_and_a_topic_stays() -> None:
    assert passage_of(said("Kari: I moved to Oslo", "Kari")) == "I moved to Oslo"
    assert passage_of(said("AIKI: try the 9:15 bus", "AIKI")) == "try the 9:15 bus"
    assert passage_of(said("(about the exam) Kari: it went fine", "Kari")) == "(about the exam) it went fine"
    assert passage_of(said("Kari lives in Oslo", None)) == "Kari lives in Oslo"  # a fact: no label
    assert passage_of(said("Ola: see you at 8", "Kari")) == "Ola: see you at 8"  # not the speaker's label
    assert passage_of(said("Kari: ", "Kari")) == "Kari: "  # nothing left: the text as it is


def test_a_question_is_searched_by_meaning_without_the_speakers_names() -> None:
    speakers = ["Kari Nordmann", "AIKI"]
    assert meaning_of("What are Kari's hobbies?", speakers) == "What are hobbies?"
    assert meaning_of("Did AIKI tell Kari Nordmann about the bus?", speakers) == "Did tell about the bus?"
    assert meaning_of("what did I say about the cabin", speakers) == "what did I say about the cabin"
    assert meaning_of("Kari?", speakers) == "Kari?"  # nothing but a name: the question as it is
    assert meaning_of("What are Kari's hobbies?", []) == "What are Kari's hobbies?"


def test_a_long_message_is_embedded_in_windows_of_whole_sentences() -> None:
    sentences = [f"Sentence number {i} tells one small thing about the day." for i in range(12)]
    windows = windows_of(" ".join(sentences))
    assert len(windows) > 1
    assert all(len(window.split()) <= WINDOW_WORDS for window in windows)
    assert " ".join(windows).split() == " ".join(sentences).split()  # every word once, in order
    assert all(window.endswith(".") for window in windows)  # cut between sentences
    run_on = " ".join(["word"] * (WINDOW_WORDS * 2 + 5))  # one sentence longer than a window is cut by words
    assert [len(w.split()) for w in windows_of(run_on)] == [WINDOW_WORDS, WINDOW_WORDS, 5]
    assert windows_of("short and sweet") == ["short and sweet"]
