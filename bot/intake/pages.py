"""`GET /` and `GET /readme`: what a browser sees on the server (design.md §8).

Name, version, health and the docs; nothing about repositories or jobs, since the page needs no
login. Health is asked of the app's own `/healthz` route in-process, so the page can never
disagree with what a load balancer sees.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from bot import about, html_pages

_DETAIL_CHARS = 200


def routes() -> list[Route]:
    return [Route("/", home, methods=["GET"]), Route("/readme", readme, methods=["GET"])]


async def home(request: Request) -> HTMLResponse:
    healthy, detail = await health(request)
    top = [s for s in about.sections(about.readme()) if s.level in (2, 3)]
    return HTMLResponse(
        html_pages.render(
            "home.html.j2",
            name=about.NAME,
            version=about.version(),
            healthy=healthy,
            detail=detail,
            sections=top,
        )
    )


async def readme(request: Request) -> HTMLResponse:
    return HTMLResponse(
        html_pages.render(
            "readme.html.j2",
            name=about.NAME,
            version=about.version(),
            sections=about.sections(about.readme()),
        )
    )


async def health(request: Request) -> tuple[bool, str]:
    """GET /healthz through the app's router, in-process: (answered 200, its text)."""
    scope = {
        **request.scope,
        "method": "GET",
        "path": "/healthz",
        "raw_path": b"/healthz",
        "query_string": b"",
    }
    status = 0
    body = bytearray()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body" and len(body) < _DETAIL_CHARS:
            body.extend(message.get("body", b""))

    try:
        await request.app.router(scope, receive, send)
    except Exception as exc:  # a crashing health check is an unhealthy one, not a broken page
        return False, f"the health check failed: {type(exc).__name__}"
    text = body.decode("utf-8", "replace").strip()[:_DETAIL_CHARS]
    return status == 200, text or f"HTTP {status}"
