"""The privacy page: the /privacy choice (may what was said in DMs be used when AIKI talks in a server?), with the
rule it feeds (bot/places.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.web.page import Web


def privacy_routes(web: Web) -> list[BaseRoute]:
    core = web.core

    async def privacy(request: Request) -> Response:
        sharing = await core.shares_dm_memories_in_servers(web.person(request))
        return web.render(request, "privacy.html", sharing=sharing, saved="saved" in request.query_params)

    async def choose(request: Request) -> Response:
        share = (await request.form()).get("share") == "yes"
        await core.share_dm_memories_in_servers(web.person(request), share)
        return RedirectResponse("/privacy?saved", status_code=303)

    return [Route("/privacy", privacy, methods=["GET"]), Route("/privacy", choose, methods=["POST"])]
