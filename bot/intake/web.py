"""The HTTP face: `POST /api/github/webhooks`, `GET /healthz`, `GET /metrics` (design.md §1, §8).

The handler verifies, decides, commits the delivery and its job, and answers; the review itself
runs in a worker. Nothing here waits on GitHub or the model.

What a request may cost before it is known to be GitHub's is bounded (bot/intake/limits.py):
its headers are checked before its body is read (401 or 400, the body never waited for), the
body must arrive within seconds (408) and within the bytes all bodies in flight may hold (503
with Retry-After), and the commit within a deadline well inside GitHub's 10 s (503). A client
that goes away mid-body is one log line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.intake import pages
from bot.intake.body import HeldBody, OverBudget, declared_length
from bot.intake.group_commit import CommitTimeout, Intake
from bot.intake.limits import BodyBudget, Limits
from bot.intake.metrics_http import counted, metrics_route
from bot.intake.triggers import Decision, decide
from bot.intake.webhook import Envelope, WebhookError, check_headers, parse_body
from bot.metrics import Metrics
from bot.queue.jobs import Delivery, Recorded

log = logging.getLogger("beadle.web")

Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


def create_app(
    *,
    secret: str,
    intake: Intake,
    bot_login: str | None = None,
    lifespan: Lifespan | None = None,
    limits: Limits | None = None,
    metrics: Metrics | None = None,
    metrics_token: str | None = None,
) -> Starlette:
    limits = limits or Limits()
    budget = BodyBudget(limits.body_bytes)
    retry = {"Retry-After": str(limits.retry_after)}
    closing = {"Connection": "close"}

    async def webhook(request: Request) -> Response:
        headers = request.headers
        try:
            envelope = check_headers(headers, secret=secret)
            declared_length(headers)  # over GitHub's cap: 413 before a byte is read
        except WebhookError as exc:
            return _refused(headers, exc)
        held = HeldBody(budget)
        try:
            try:
                async with asyncio.timeout(limits.body_timeout):
                    body = await held.read(request)
            except TimeoutError:
                log.warning(
                    "delivery %r: no whole body within %gs",
                    envelope.delivery_id,
                    limits.body_timeout,
                )
                return JSONResponse(
                    {"error": f"the body did not arrive within {limits.body_timeout:g} s"},
                    status_code=408,
                    headers=closing,
                )
            except OverBudget:
                return _busy(envelope, retry)
            except WebhookError as exc:  # over GitHub's cap
                return _refused(headers, exc)
            except ClientDisconnect:
                log.warning("delivery %r: the client went away mid-body", envelope.delivery_id)
                return Response(status_code=400)  # nobody is left to read it
            try:
                taken = _take(envelope, body, secret=secret, bot_login=bot_login)
            except WebhookError as exc:
                return _refused(headers, exc)
            del body
        finally:
            held.release()
        if isinstance(taken, Response):
            return taken
        delivery, decision = taken
        request.state.event = delivery.event  # verified: the name GitHub gave it, for /metrics
        try:
            recorded = await intake.submit(delivery)
        except CommitTimeout as exc:
            log.warning("delivery %r not recorded: %s", delivery.delivery_id, exc)
            return JSONResponse(
                {"error": f"the store is busy ({exc}); redeliver it later"},
                status_code=503,
                headers=retry,
            )
        except Exception as exc:
            log.warning("could not record delivery %r: %s", delivery.delivery_id, exc)
            return JSONResponse(
                {"error": "could not record the delivery; redeliver it later"},
                status_code=503,
                headers=retry,
            )
        request.state.outcome = _outcome(recorded, decision)
        if recorded.duplicate:
            return JSONResponse({"status": "duplicate delivery, already recorded"})
        # %r: the event name and action come from the sender; no newline forges a log line
        log.info(
            "delivery %r %r.%r: %r",
            delivery.delivery_id,
            delivery.event,
            delivery.action,
            decision.reason,
        )
        if recorded.job_id is not None:
            return JSONResponse(
                {"status": decision.reason, "job": recorded.job_id}, status_code=202
            )
        return JSONResponse(
            {"status": decision.reason}, status_code=200 if decision.handled else 202
        )

    async def healthz(request: Request) -> PlainTextResponse:
        problem = await intake.readiness()
        if problem is None:
            return PlainTextResponse("ok")
        return PlainTextResponse(f"not ready: {problem}", status_code=503, headers=retry)

    return Starlette(
        routes=[
            Route("/api/github/webhooks", counted(webhook, metrics), methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            *([metrics_route(metrics, token=metrics_token)] if metrics else []),
            *pages.routes(),  # GET / and /readme for a browser (design.md §8)
        ],
        lifespan=lifespan,
    )


def _take(
    envelope: Envelope, body: bytes | bytearray, *, secret: str, bot_login: str | None
) -> tuple[Delivery, Decision] | Response:
    """Verify and decide. The parsed payload dies here, before the commit is awaited: kept
    alive across that wait by every request in flight, it made the collector's work grow."""
    event = parse_body(envelope, body, secret=secret)
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
    return delivery, decision


def _outcome(recorded: Recorded, decision: Decision) -> str:
    """How a recorded delivery is counted in `beadle_deliveries_total{outcome}`."""
    if recorded.duplicate:
        return "duplicate"
    if recorded.job_id is not None:
        return "queued"
    return "handled" if decision.handled else "ignored"


def _refused(headers: Mapping[str, str], exc: WebhookError) -> JSONResponse:
    log.warning("refused delivery %r: %s", headers.get("x-github-delivery"), exc)
    return JSONResponse({"error": str(exc)}, status_code=exc.status)


def _busy(envelope: Envelope, headers: dict[str, str]) -> JSONResponse:
    """The body budget is spent: come back later (GitHub redelivers only when asked). Like every
    refusal before the body, the connection stays: uvicorn reads what is still sent and drops
    it, holding nothing, so the client reads its answer instead of a reset; the headers'
    deadline (bot/intake/server.py) ends a client that would go on sending."""
    log.warning("delivery %r refused: too many bodies being read", envelope.delivery_id)
    return JSONResponse(
        {"error": "too many deliveries are being read at once; try again shortly"},
        status_code=503,
        headers=headers,
    )
