"""The HTTP face: `POST /api/github/webhooks` and `GET /healthz` (docs/design.md §1).

The handler verifies, decides, commits the delivery and its job, and answers; the review itself
runs in a worker. Nothing here waits on GitHub or the model.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from bot.intake import pages
from bot.intake.group_commit import Intake
from bot.intake.triggers import decide
from bot.intake.webhook import MAX_PAYLOAD_BYTES, WebhookError, parse
from bot.queue.jobs import Delivery

log = logging.getLogger("beadle.web")

Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


class PayloadTooLarge(WebhookError):
    status = 413


def create_app(
    *, secret: str, intake: Intake, bot_login: str | None = None, lifespan: Lifespan | None = None
) -> Starlette:
    async def webhook(request: Request) -> JSONResponse:
        try:
            body = await _read_body(request)
            event = parse(request.headers, body, secret=secret)
        except WebhookError as exc:
            log.warning("refused delivery %s: %s", request.headers.get("x-github-delivery"), exc)
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        decision = decide(event, bot_login=bot_login)
        try:
            delivery = Delivery(
                delivery_id=event.delivery_id,
                event=event.name,
                action=event.action,
                request=decision.request,
                received_at=datetime.now(UTC),
            )
        except ValueError as exc:  # the store could not hold it: refuse it alone, clearly
            return JSONResponse({"error": f"unacceptable delivery: {exc}"}, status_code=400)
        try:
            recorded = await intake.submit(delivery)
        except Exception:
            log.exception("could not record delivery %s", event.delivery_id)
            return JSONResponse(
                {"error": "could not record the delivery; redeliver it later"}, status_code=503
            )
        if recorded.duplicate:
            return JSONResponse({"status": "duplicate delivery, already recorded"})
        # %r: the event name and action come from the sender; no newline forges a log line
        log.info(
            "delivery %r %r.%r: %r", event.delivery_id, event.name, event.action, decision.reason
        )
        if recorded.job_id is not None:
            return JSONResponse(
                {"status": decision.reason, "job": recorded.job_id}, status_code=202
            )
        return JSONResponse(
            {"status": decision.reason}, status_code=200 if decision.handled else 202
        )

    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/api/github/webhooks", webhook, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            *pages.routes(),  # GET / and /readme for a browser (design.md §8)
        ],
        lifespan=lifespan,
    )


async def _read_body(request: Request, limit: int = MAX_PAYLOAD_BYTES) -> bytes:
    """Read at most `limit` bytes; a bigger body is refused without holding it in memory."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"payload over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    stream: AsyncIterator[bytes] = request.stream()
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"payload over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
