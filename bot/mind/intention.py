"""Decision making: what AIKI wants to do with its reply, chosen by rules before the LLM says a word."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from bot.memory.models import MemoryKind
from bot.mind.cues import is_question
from bot.mind.retrieval import Recalled
from bot.mood import LONG_ABSENCE, MoodEventKind, MoodState

# A project not mentioned in this long is worth asking about.
PROJECT_QUIET_FOR = timedelta(days=2)
# A memory this relevant (cosine) is "something we share" worth bringing up.
SHARED_RELEVANCE = 0.55


class IntentionKind(str, Enum):
    ANSWER = "answer"
    COMFORT = "comfort"
    CELEBRATE = "celebrate"
    WELCOME_BACK = "welcome_back"
    ASK_ABOUT_PROJECT = "ask_about_project"
    BRING_UP_SHARED = "bring_up_shared"
    ASK_FOLLOW_UP = "ask_follow_up"
    CHECK_IN = "check_in"
    ASK_HOW_IT_WENT = "ask_how_it_went"
    SHARE_REFLECTION = "share_reflection"


@dataclass(frozen=True)
class Intention:
    kind: IntentionKind
    directive: str  # what the LLM is told to do, in one or two sentences
    about: str | None = None  # the memory or topic it builds on


@dataclass(frozen=True)
class Situation:
    """Everything the rules look at, gathered by the core."""

    message: str
    mood: MoodState
    recalled: list[Recalled]
    last_seen: datetime | None
    now: datetime
    recent_user_texts: list[str]
    milestone: bool = False
    appraised: tuple[MoodEventKind, ...] = ()  # the event kinds this message brought (bot/mind/appraisal.py)


def _project_to_ask_about(situation: Situation) -> Recalled | None:
    recent = " ".join(situation.recent_user_texts + [situation.message]).lower()
    for item in situation.recalled:
        memory = item.hit.memory
        if memory.kind is not MemoryKind.PROJECT:
            continue
        topic = str(memory.meta.get("topic") or memory.text.split(":")[0]).lower()
        if topic and topic not in recent and situation.now - memory.created_at >= PROJECT_QUIET_FOR:
            return item
    return None


def _reflection_to_share(situation: Situation) -> Recalled | None:
    """A reflection of a sleep pass (bot/mind/reflection.py) that this message is about."""
    return next(
        (
            r
            for r in situation.recalled
            if r.hit.memory.kind is MemoryKind.REFLECTION and r.hit.score >= SHARED_RELEVANCE
        ),
        None,
    )


def choose(situation: Situation) -> Intention:
    """The first rule that fits wins; the order encodes what matters most to a companion."""
    text = situation.message.strip()
    if MoodEventKind.PERSON_GRIEVING in situation.appraised:
        return Intention(
            IntentionKind.COMFORT,
            "They lost someone. Say you are sorry for their loss, simply; be present and let them talk about "
            "the one they lost if they want to. No advice, no silver linings.",
        )
    if MoodEventKind.PERSON_DISTRESSED in situation.appraised:
        return Intention(
            IntentionKind.COMFORT,
            "They seem to be having a hard time. Acknowledge how they feel, "
            "be warm and present; offer help without rushing to fix things.",
        )
    if situation.milestone or MoodEventKind.MILESTONE in situation.appraised:
        return Intention(
            IntentionKind.CELEBRATE,
            "They reached something they worked for. Celebrate it with them sincerely and ask what it means to them.",
        )
    if situation.last_seen is not None and situation.now - situation.last_seen >= LONG_ABSENCE:
        return Intention(
            IntentionKind.WELCOME_BACK,
            "You have not talked for a while. Greet them warmly, answer what they said, and ask how they have been.",
        )
    if is_question(text):
        return Intention(
            IntentionKind.ANSWER,
            "Answer their question directly and truthfully, using what you "
            "remember when it helps; say so if you do not know.",
        )
    project = _project_to_ask_about(situation)
    if project is not None:
        return Intention(
            IntentionKind.ASK_ABOUT_PROJECT,
            "Respond to what they said, then ask how their project is going, building on what you remember about it.",
            about=project.hit.memory.text,
        )
    noticed = _reflection_to_share(situation)
    if noticed is not None:
        return Intention(
            IntentionKind.SHARE_REFLECTION,
            "Respond to what they said. Then, if it fits, gently share what you have noticed lately (quoted below) as "
            "your own observation, which they may correct; never as something they said.",
            about=noticed.hit.memory.text,
        )
    shared = next((r for r in situation.recalled if r.hit.score >= SHARED_RELEVANCE), None)
    if shared is not None and shared.hit.memory.kind is not MemoryKind.IDENTITY:
        return Intention(
            IntentionKind.BRING_UP_SHARED,
            "Respond to what they said and connect it to something you remember from before, naturally.",
            about=shared.hit.memory.text,
        )
    return Intention(
        IntentionKind.ASK_FOLLOW_UP, "Respond briefly to what they said and ask one genuine follow-up question."
    )


# The feeling each kind of reply must speak with; a reply that comforts while sounding cheerful reads wrong.
_FEELING_FOR = {
    IntentionKind.COMFORT: MoodEventKind.PERSON_DISTRESSED,
    IntentionKind.CELEBRATE: MoodEventKind.MILESTONE,
}


def attune(mood: MoodState, intention: Intention) -> MoodState:
    """The mood a reply speaks in, agreeing with what it does: comforting is caring, celebrating is glad."""
    wanted = _FEELING_FOR.get(intention.kind)
    if wanted is None or mood.feeling is wanted or (intention.kind is IntentionKind.COMFORT and mood.caring):
        return mood
    return replace(mood, feeling=wanted)


def check_in_intention(topic: str, remembered: list[str]) -> Intention:
    """The scheduler's intention: start a conversation about an open topic (the topic goes in as quoted data)."""
    about = f"{topic} (the latest you remember about it: {remembered[0]})" if remembered else topic
    return Intention(
        IntentionKind.CHECK_IN,
        "Start the conversation yourself: ask how the topic quoted below is going. Build on the latest thing you "
        "remember about it if there is one. One or two sentences, warm and specific.",
        about=about,
    )


def how_it_went_intention(event: str, remembered: list[str]) -> Intention:
    """A follow-up's intention: the event the person told about has passed; ask how it went (quoted data)."""
    about = f"{event} (what they said about it: {remembered[0]})" if remembered else event
    return Intention(
        IntentionKind.ASK_HOW_IT_WENT,
        "Start the conversation yourself: the person told you about the event quoted below, and it has passed now. "
        "Ask how it went, naming it. One or two sentences, warm and specific.",
        about=about,
    )
