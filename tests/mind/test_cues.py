"""The cheap language cues (bot/mind/cues.py) and the weight a memory gets from them (bot/mind/importance.py)."""

from __future__ import annotations

import pytest

from bot.memory.models import MemoryKind
from bot.mind.cues import is_question, named_project, names_a_date, weighty_words
from bot.mind.importance import score_importance


@pytest.mark.parametrize(
    "text",
    [
        "is it raining in Bergen?",
        "I wonder if you remember me?  ",
        "What's my cat called",
        "Can you help me with this",
        "hva heter katten min",
        "Hvorfor er himmelen blå",
        "Når kommer du",
        "Er du der",
        "Har du sett filmen",
    ],
)
def test_a_question_is_heard_by_its_mark_or_its_first_word_in_english_and_norwegian(text: str) -> None:
    assert is_question(text)


@pytest.mark.parametrize(
    "text",
    ["I made soup today.", "Island hopping was fun", "Erik came over", "Harald sier hei", "", "   "],
)
def test_a_statement_is_not_a_question_even_when_it_starts_like_one(text: str) -> None:
    assert not is_question(text)


def test_words_of_lasting_weight_are_counted_in_both_languages() -> None:
    assert weighty_words("My sister has a deadline for her project") == 3
    assert weighty_words("Min søster har en frist på jobb") == 3
    assert weighty_words("Nice weather today") == 0


def test_a_weighty_word_inside_another_word_does_not_count() -> None:
    assert weighty_words("homework and a framework") == 0


@pytest.mark.parametrize(
    ("text", "dated"),
    [
        ("Meet me on 12.05", True),
        ("The exam is 2026-03-14", True),
        ("see you on Friday", True),
        ("vi ses på lørdag", True),
        ("nothing planned", False),
    ],
)
def test_a_named_date_is_noticed(text: str, dated: bool) -> None:
    assert names_a_date(text) is dated


@pytest.mark.parametrize(
    ("text", "project"),
    [
        ("I'm working on AIKI-HOME tonight", "AIKI-HOME"),
        ("jobber med Hyttebok i helga", "Hyttebok"),
        ("building the Garden Shed this summer", "Garden Shed"),
        ("prosjektet mitt Fjellstue går fint", "Fjellstue"),
        ("I'm working on it", None),  # no name: nothing to check in about
        ("working on my taxes", None),
    ],
)
def test_a_project_the_person_names_is_found(text: str, project: str | None) -> None:
    assert named_project(text) == project


# -- importance ------------------------------------------------------------------------------------------------


def test_what_aiki_is_matters_most_and_small_talk_least() -> None:
    identity = score_importance("I am AIKI.", MemoryKind.IDENTITY)
    fact = score_importance("Kari lives in Bergen.", MemoryKind.FACT)
    chat = score_importance("The bus was late again this morning.", MemoryKind.EPISODE)
    assert identity == 1.0 and identity > fact > chat


def test_weighty_words_a_date_and_being_asked_to_remember_each_raise_importance() -> None:
    plain = score_importance("We had soup for dinner today.", MemoryKind.EPISODE)
    weighty = score_importance("My sister had soup for dinner today.", MemoryKind.EPISODE)
    dated = score_importance("We had soup for dinner on Friday.", MemoryKind.EPISODE)
    asked = score_importance("We had soup for dinner today.", MemoryKind.EPISODE, explicit=True)
    assert plain < weighty and plain < dated and plain < asked


def test_weighty_words_raise_importance_only_so_far() -> None:
    three = score_importance("my sister, my brother and my mother came", MemoryKind.EPISODE)
    six = score_importance(
        "my sister, my brother, my mother, my father, my wife and my partner came", MemoryKind.EPISODE
    )
    assert three == six


def test_a_short_remark_weighs_less_than_a_sentence() -> None:
    remark = score_importance("ok thanks", MemoryKind.EPISODE)
    assert remark < score_importance("ok thanks, that helped", MemoryKind.EPISODE)


@pytest.mark.parametrize("kind", list(MemoryKind))
def test_importance_stays_between_nothing_and_everything(kind: MemoryKind) -> None:
    heavy = "remember: my sister's birthday and my family's plan, deadline Friday 12.05, always love"
    assert 0.05 <= score_importance("k", kind) <= score_importance(heavy, kind, explicit=True) <= 1.0
