"""What AIKI decides to do with a reply (bot/mind/intention.py): one rule per kind, and which wins when several fit."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.memory.models import MemoryKind
from bot.mind.intention import (
    PROJECT_QUIET_FOR,
    SHARED_RELEVANCE,
    IntentionKind,
    Situation,
    attune,
    check_in_intention,
    choose,
)
from bot.mind.retrieval import Recalled
from bot.mood import LONG_ABSENCE, MoodEventKind, MoodState
from tests.mind.memories import T0, recalled

NOW = T0 + timedelta(days=10)
CALM = MoodState(0.3, 0.1, NOW)
GRIEVING, DISTRESSED = MoodEventKind.PERSON_GRIEVING, MoodEventKind.PERSON_DISTRESSED
MILESTONE = MoodEventKind.MILESTONE


def situation(message: str = "I made soup today.", **changes: object) -> Situation:
    """An ordinary message from someone seen an hour ago, nothing recalled: the rules' plainest case."""
    plain = Situation(message, CALM, [], NOW - timedelta(hours=1), NOW, [])
    return replace(plain, **changes)  # type: ignore[arg-type]


def project(topic: str, told: timedelta, score: float = 0.3) -> Recalled:
    return recalled(f"{topic}: a garden shed", score, NOW - told, kind=MemoryKind.PROJECT, topic=topic)


def test_an_ordinary_message_gets_a_reply_and_one_follow_up_question() -> None:
    intention = choose(situation())
    assert intention.kind is IntentionKind.ASK_FOLLOW_UP and intention.about is None


def test_grief_is_met_with_comfort_that_names_the_loss() -> None:
    intention = choose(situation("Bestemor døde i natt.", appraised=(GRIEVING,)))
    assert intention.kind is IntentionKind.COMFORT and "loss" in intention.directive


def test_distress_is_met_with_comfort_without_rushing_to_fix() -> None:
    intention = choose(situation("I'm so tired of everything", appraised=(DISTRESSED,)))
    assert intention.kind is IntentionKind.COMFORT and "loss" not in intention.directive


@pytest.mark.parametrize("how", ["the core's milestone flag", "appraisal"])
def test_a_milestone_is_celebrated_however_it_was_noticed(how: str) -> None:
    seen = situation(appraised=(MILESTONE,)) if how == "appraisal" else situation(milestone=True)
    assert choose(seen).kind is IntentionKind.CELEBRATE


def test_someone_back_after_a_long_absence_is_welcomed_back() -> None:
    assert choose(situation(last_seen=NOW - LONG_ABSENCE)).kind is IntentionKind.WELCOME_BACK
    assert choose(situation(last_seen=NOW - LONG_ABSENCE + timedelta(hours=1))).kind is IntentionKind.ASK_FOLLOW_UP


def test_someone_never_seen_before_is_not_welcomed_back() -> None:
    assert choose(situation(last_seen=None)).kind is IntentionKind.ASK_FOLLOW_UP


@pytest.mark.parametrize("question", ["Where do I live?", "hva heter katten min", "Can you help me  "])
def test_a_question_is_answered(question: str) -> None:
    assert choose(situation(question)).kind is IntentionKind.ANSWER


def test_a_project_quiet_for_a_while_is_asked_about_and_the_reply_builds_on_it() -> None:
    intention = choose(situation(recalled=[project("Hyttebok", PROJECT_QUIET_FOR)]))
    assert intention.kind is IntentionKind.ASK_ABOUT_PROJECT
    assert intention.about == "Hyttebok: a garden shed"


def test_a_project_told_just_now_or_named_in_the_conversation_is_not_asked_about_again() -> None:
    fresh = project("Hyttebok", PROJECT_QUIET_FOR - timedelta(hours=1))
    assert choose(situation(recalled=[fresh])).kind is IntentionKind.ASK_FOLLOW_UP
    quiet = project("Hyttebok", PROJECT_QUIET_FOR)
    named_before = situation(recalled=[quiet], recent_user_texts=["hyttebok is going slowly"])
    assert choose(named_before).kind is IntentionKind.ASK_FOLLOW_UP
    named_now = situation("Worked on HYTTEBOK all day.", recalled=[quiet])
    assert choose(named_now).kind is IntentionKind.ASK_FOLLOW_UP


def test_a_strongly_related_memory_is_brought_up_and_a_weak_one_is_not() -> None:
    strong = recalled("Kari: my cat Pixel hates the vet", SHARED_RELEVANCE)
    intention = choose(situation(recalled=[strong]))
    assert intention.kind is IntentionKind.BRING_UP_SHARED and intention.about == strong.hit.memory.text
    weak = recalled("Kari: my cat Pixel hates the vet", SHARED_RELEVANCE - 0.01)
    assert choose(situation(recalled=[weak])).kind is IntentionKind.ASK_FOLLOW_UP


def test_a_relevant_reflection_is_brought_up_as_aikis_own_observation_before_other_memories() -> None:
    noticed = recalled("Kari has worried about the AIKI-HOME deadline three days running.", SHARED_RELEVANCE,
                       kind=MemoryKind.REFLECTION)  # fmt: skip
    episode = recalled("Kari: the AIKI-HOME deadline is Friday", 0.9)
    intention = choose(situation("Working on AIKI-HOME again.", recalled=[episode, noticed]))
    assert intention.kind is IntentionKind.SHARE_REFLECTION and intention.about == noticed.hit.memory.text
    assert "never as something they said" in intention.directive
    faint = recalled(noticed.hit.memory.text, SHARED_RELEVANCE - 0.01, kind=MemoryKind.REFLECTION)
    assert choose(situation(recalled=[faint])).kind is IntentionKind.ASK_FOLLOW_UP
    assert choose(situation("Is the deadline Friday?", recalled=[noticed])).kind is IntentionKind.ANSWER


def test_aikis_own_identity_is_never_brought_up_as_something_shared() -> None:
    identity = recalled("I am AIKI, a companion.", 0.9, kind=MemoryKind.IDENTITY)
    assert choose(situation(recalled=[identity])).kind is IntentionKind.ASK_FOLLOW_UP


# What wins when several rules fit: comfort first, then celebrating, welcoming back, answering, the project,
# then what is shared. The same order names AIKI's feeling (bot/mood.py FEELING_ORDER).
# Every rule fits at first (grief, distress, a milestone, a long absence, a question, a quiet project that is also
# strongly related); each case leaves out the ones above the expected winner.


@pytest.mark.parametrize(
    ("left_out", "wins"),
    [
        ((), IntentionKind.COMFORT),
        (("grief", "distress"), IntentionKind.CELEBRATE),
        (("grief", "distress", "milestone"), IntentionKind.WELCOME_BACK),
        (("grief", "distress", "milestone", "absence"), IntentionKind.ANSWER),
        (("grief", "distress", "milestone", "absence", "question"), IntentionKind.ASK_ABOUT_PROJECT),
    ],
)
def test_when_several_rules_fit_the_one_that_matters_most_wins(left_out: tuple[str, ...], wins: IntentionKind) -> None:
    kinds = {"grief": GRIEVING, "distress": DISTRESSED, "milestone": MILESTONE}
    appraised = tuple(k for name, k in kinds.items() if name not in left_out)
    message = "I finished it." if "question" in left_out else "Did you miss me?"
    last_seen = NOW - timedelta(hours=1) if "absence" in left_out else NOW - timedelta(days=30)
    quiet_project = [project("Hyttebok", timedelta(days=5), score=0.9)]
    chosen = choose(situation(message, appraised=appraised, last_seen=last_seen, recalled=quiet_project))
    assert chosen.kind is wins


def test_grief_wins_over_a_milestone_in_the_same_message() -> None:
    intention = choose(situation("I passed, but grandpa died.", appraised=(MILESTONE, GRIEVING)))
    assert intention.kind is IntentionKind.COMFORT and "loss" in intention.directive


def test_a_quiet_project_wins_over_a_shared_memory_that_ranked_higher() -> None:
    shared = recalled("Kari: my cat Pixel hates the vet", 0.9)
    intention = choose(situation(recalled=[shared, project("Hyttebok", timedelta(days=5))]))
    assert intention.kind is IntentionKind.ASK_ABOUT_PROJECT and intention.about is not None
    assert intention.about.startswith("Hyttebok")


def test_a_check_in_builds_on_the_latest_thing_remembered_about_its_topic() -> None:
    intention = check_in_intention("Hyttebok", ["the roof is done", "the walls are up"])
    assert intention.kind is IntentionKind.CHECK_IN
    assert intention.about == "Hyttebok (the latest you remember about it: the roof is done)"
    assert check_in_intention("Hyttebok", []).about == "Hyttebok"


def test_a_reply_that_comforts_or_celebrates_speaks_with_the_matching_feeling() -> None:
    cheerful = MoodState(0.9, 0.9, NOW, feeling=MoodEventKind.THANKED)
    assert attune(cheerful, choose(situation(appraised=(DISTRESSED,)))).caring
    assert attune(cheerful, choose(situation(milestone=True))).name == "proud"
    saddened = MoodState(-0.5, 0.0, NOW, feeling=GRIEVING)  # already caring: grief is not turned into concern
    assert attune(saddened, choose(situation(appraised=(GRIEVING,)))).name == "saddened"
    assert attune(cheerful, choose(situation())) == cheerful
