"""The memories page: every memory of the person with the place it belongs to, searched with AIKI's own recall,
filtered by place and kind, corrected, and forgotten one or many with /forget's erasure; and the facts page, each
fact with what it replaced and when."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.memory.models import Memory, MemoryKind
from bot.mind.core import Shown
from bot.places import Audience, guild_of
from bot.web.page import NOT_FOUND, Web

# A list shows this many a page, newest first (a search shows what recall finds, at most SEARCH_LIMIT).
LIST_LIMIT = 200
SEARCH_LIMIT = 50
PRIVATE = "private"
KINDS = [kind for kind in MemoryKind if kind is not MemoryKind.IDENTITY]


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def place_choices(memories: list[Memory]) -> list[Choice]:
    """Every place the person's memories belong to: their private places, and each server."""
    guilds = sorted({guild for memory in memories if (guild := guild_of(memory.origin))})
    return [Choice("", "every place"), Choice(PRIVATE, "DMs, terminal, imports")] + [
        Choice(f"server:{guild}", f"server {guild}") for guild in guilds
    ]


def shown_from(place: str, kind: str) -> Shown:
    """The filter a person chose; what cannot be read is no filter."""
    audience: Audience | None = None
    if place == PRIVATE:
        audience = Audience(guilds=(), private=True)
    elif place.startswith("server:") and place[7:].isdigit():
        audience = Audience(guilds=(int(place[7:]),), private=False)
    kinds = tuple(k for k in KINDS if k.value == kind)
    return Shown(audience, kinds)


def page_asked(request: Request, found: int) -> int:
    """Which page of LIST_LIMIT memories the person is on (1 for anything that is no page)."""
    raw = request.query_params.get("page", "")
    last = max(1, -(-found // LIST_LIMIT))
    return min(int(raw), last) if raw.isdigit() and int(raw) >= 1 else 1


def memory_id(raw: str) -> str | None:
    """A memory id as the store keeps it, or None for anything else (never sent to the store)."""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


def memory_routes(web: Web) -> list[BaseRoute]:
    core = web.core

    async def memories(request: Request) -> Response:
        person = web.person(request)
        query = request.query_params.get("q", "").strip()
        place = request.query_params.get("place", "")
        kind = request.query_params.get("kind", "")
        shown = shown_from(place, kind)
        everything = await core.all_memories(person)
        if query:
            found = await core.search_memories(person, query, shown, SEARCH_LIMIT)
        else:
            found = [memory for memory in everything if shown.admits(memory)]
        page = page_asked(request, len(found))
        return web.render(
            request,
            "memories.html",
            memories=found[(page - 1) * LIST_LIMIT : page * LIST_LIMIT],
            page=page,
            pages=max(1, -(-len(found) // LIST_LIMIT)),
            matching=len(found),
            total=len(everything),
            query=query,
            place=place,
            kind=kind,
            places=place_choices(everything),
            kinds=[Choice("", "every kind"), *(Choice(k.value, k.value) for k in KINDS)],
            forgot=request.query_params.get("forgot"),
        )

    async def memory(request: Request) -> Response:
        wanted = memory_id(request.path_params["memory_id"])
        found = await core.memory(web.person(request), wanted) if wanted else None
        if found is None:
            return web.problem(request, NOT_FOUND)
        return web.render(request, "memory.html", memory=found, edited="edited" in request.query_params)

    async def edit(request: Request) -> Response:
        wanted = memory_id(request.path_params["memory_id"])
        text = str((await request.form()).get("text", ""))
        changed = await core.edit_memory(web.person(request), wanted, text) if wanted else None
        if changed is None:
            return web.problem(request, NOT_FOUND)
        return RedirectResponse(f"/memories/{changed.id}?edited", status_code=303)

    async def forget(request: Request) -> Response:
        form = await request.form()
        ids = [wanted for raw in form.getlist("ids") if (wanted := memory_id(str(raw)))]
        forgotten = await core.forget_memories(web.person(request), ids) if ids else 0
        return RedirectResponse(f"/memories?forgot={forgotten}", status_code=303)

    async def facts(request: Request) -> Response:
        return web.render(request, "facts.html", histories=await core.fact_histories(web.person(request)))

    return [
        Route("/memories", memories, methods=["GET"]),
        Route("/memories/forget", forget, methods=["POST"]),
        Route("/memories/{memory_id}", memory, methods=["GET"]),
        Route("/memories/{memory_id}/edit", edit, methods=["POST"]),
        Route("/facts", facts, methods=["GET"]),
    ]
