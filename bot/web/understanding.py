"""What AIKI understands about the person: the profile a sleep pass distilled from their facts (bot/mind/profile.py),
the reflections it wrote on what mattered lately, each with the memories it rests on (bot/mind/reflection.py), and
the events they said were coming, with the follow-up AIKI may ask afterwards (bot/mind/plans.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.checkins.planner import CheckinPlanner
from bot.memory.models import MemoryKind
from bot.mind.derived import rests_on
from bot.places import Origin, OriginSource
from bot.web.page import Web

# The page is the person's private place: what AIKI understands is shown as it would be in their DM.
PRIVATE = Origin(OriginSource.DM)


def understanding_routes(web: Web, planner: CheckinPlanner) -> list[BaseRoute]:
    core = web.core

    async def understanding(request: Request) -> Response:
        person = web.person(request)
        profile = await core.about(person, PRIVATE)
        theirs = await core.all_memories(person)
        events = [memory for memory in theirs if memory.kind is MemoryKind.EVENT]
        reflections = sorted(
            (memory for memory in theirs if memory.kind is MemoryKind.REFLECTION),
            key=lambda memory: memory.created_at,
            reverse=True,
        )
        followups = [(topic, decision) for topic, decision in await planner.explain(person.scope) if topic.once]
        return web.render(
            request,
            "understanding.html",
            profile=profile,
            facts=len(rests_on(profile)) if profile else 0,
            events=events,
            reflections=[(reflection, sorted(rests_on(reflection))) for reflection in reflections],
            followups=followups,
        )

    return [Route("/understanding", understanding, methods=["GET"])]
