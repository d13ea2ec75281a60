"""`GET /metrics` (docs/design.md §8), the count of each delivery, and `beadle worker`'s own
metrics server.

The web endpoint counts every delivery it answers by event and outcome. The event is the one
GitHub named only once the signature verified (anyone can send a request; a label per name they
make up would grow without end): before that it is `unverified`. The outcome is what the
handler recorded (`request.state.outcome`: queued, duplicate, handled, ignored), else what the
status says (refused, bad_request, too_large, timeout, unavailable).

With `BEADLE_METRICS_TOKEN` set, a scrape must send `Authorization: Bearer <token>` (401
otherwise); the token is compared in constant time.
"""

from __future__ import annotations

import hmac
import logging
import socket
import threading
from collections.abc import Awaitable, Callable

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot import logs
from bot.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger("beadle.metrics")
Handler = Callable[[Request], Awaitable[Response]]

_BY_STATUS = {
    400: "bad_request",
    401: "refused",
    408: "timeout",
    413: "too_large",
    503: "unavailable",
}


def counted(handler: Handler, metrics: Metrics | None) -> Handler:
    """The webhook handler, counting each answer and logging under its delivery id."""

    async def webhook(request: Request) -> Response:
        with logs.context(delivery_id=request.headers.get("x-github-delivery")):
            response = await handler(request)
        if metrics is not None:
            event = getattr(request.state, "event", None) or "unverified"
            outcome = getattr(request.state, "outcome", None) or _BY_STATUS.get(
                response.status_code, str(response.status_code)
            )
            metrics.delivery(event, outcome)
        return response

    return webhook


def metrics_route(metrics: Metrics, *, token: str | None = None) -> Route:
    """`GET /metrics` in Prometheus' text format. `beadle_jobs` asks the database, so the
    scrape renders in a thread, never on the event loop the webhook needs."""
    expected = f"Bearer {token}".encode() if token else None

    async def scrape(request: Request) -> Response:
        if expected is not None:
            given = request.headers.get("authorization", "").encode("utf-8", "replace")
            if not hmac.compare_digest(given, expected):
                return PlainTextResponse(
                    "a bearer token is required (BEADLE_METRICS_TOKEN)\n",
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="beadle metrics"'},
                )
        body = await run_in_threadpool(metrics.render)
        return Response(body, media_type=CONTENT_TYPE)

    return Route("/metrics", scrape, methods=["GET"])


class MetricsServer:
    """`beadle worker --metrics-port N`: `/metrics` of a process that has no web endpoint,
    served by uvicorn in a thread. The port is bound here, at once, so a port in use is said
    at start instead of in a thread nobody watches."""

    def __init__(self, metrics: Metrics, *, host: str, port: int, token: str | None) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind((host, port))
        except OSError:
            self.socket.close()
            raise
        self.port = int(self.socket.getsockname()[1])
        app = Starlette(routes=[metrics_route(metrics, token=token)])
        config = uvicorn.Config(app, log_level="warning", log_config=None, access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self.socket.close()
