"""The imports page: what `aiki data ...` brought in for the person (conversations per source, replies marked
never to learn from, memories from other systems)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.places import OriginSource
from bot.state.training import TrainingStore
from bot.web.page import Web


def import_routes(web: Web, training: TrainingStore) -> list[BaseRoute]:
    core = web.core

    async def imports(request: Request) -> Response:
        person = web.person(request)
        memories = [m for m in await core.all_memories(person) if m.origin.source is OriginSource.IMPORT]
        return web.render(
            request, "imports.html", sources=await training.imports_of(person.scope), imported_memories=len(memories)
        )

    return [Route("/imports", imports, methods=["GET"])]
