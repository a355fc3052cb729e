"""The mood page: AIKI's mood towards the person over the last days, as the chart /mood show draws, and the events
that moved it."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.mood_chart import render_mood_chart
from bot.web.page import Web

SPANS = (7, 30, 90)


def days_asked(request: Request) -> int:
    raw = request.query_params.get("days", "")
    return int(raw) if raw.isdigit() and int(raw) in SPANS else SPANS[0]


def mood_routes(web: Web) -> list[BaseRoute]:
    core = web.core

    async def mood(request: Request) -> Response:
        days = days_asked(request)
        report = await core.mood_report(web.person(request), days)
        events = sorted(report.events, key=lambda event: event.created_at, reverse=True)
        return web.render(request, "mood.html", state=report.state, events=events, days=days, spans=SPANS)

    async def chart(request: Request) -> Response:
        days = days_asked(request)
        report = await core.mood_report(web.person(request), days)
        png = await asyncio.to_thread(render_mood_chart, report.events, report.state, core.zone, days)
        return Response(png, media_type="image/png")

    return [Route("/mood", mood, methods=["GET"]), Route("/mood/chart.png", chart, methods=["GET"])]
