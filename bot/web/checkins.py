"""The check-ins page: each topic AIKI checks in about, when the next one is due and why it will or will not come
(the planner's own gates, bot/checkins/planner.py), pause and resume; and check-ins on or off altogether."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.checkins.planner import CheckinPlanner, describe_cadence
from bot.web.page import NOT_FOUND, Web


def checkin_routes(web: Web, planner: CheckinPlanner) -> list[BaseRoute]:
    async def checkins(request: Request) -> Response:
        scope = web.person(request).scope
        found = await planner.explain(scope)
        return web.render(
            request,
            "checkins.html",
            topics=[(topic, decision, describe_cadence(topic.cadence_hours)) for topic, decision in found],
            prefs=await planner.prefs(scope),
        )

    async def pause(request: Request) -> Response:
        scope = web.person(request).scope
        wanted: int = request.path_params["topic_id"]
        paused = (await request.form()).get("paused") == "yes"
        topic = next((topic for topic, _ in await planner.explain(scope) if topic.id == wanted), None)
        if topic is None or await planner.pause(scope, topic.name, paused) is None:
            return web.problem(request, NOT_FOUND)
        return RedirectResponse("/checkins", status_code=303)

    async def switch(request: Request) -> Response:
        on = (await request.form()).get("enabled") == "yes"
        changes: dict[str, object] = {"enabled": on}
        if on:
            changes["paused_reason"] = None  # on again clears a pause after a refused DM, as /checkin settings does
        await planner.update_prefs(web.person(request).scope, **changes)
        return RedirectResponse("/checkins", status_code=303)

    return [
        Route("/checkins", checkins, methods=["GET"]),
        Route("/checkins/{topic_id:int}/pause", pause, methods=["POST"]),
        Route("/checkins/switch", switch, methods=["POST"]),
    ]
