"""The HTTP server under the webhook: uvicorn, with the limits of bot/intake/limits.py.

`beadle serve` runs the app through `serve`, and the benchmarks and tests start it the same way,
so what they measure is what runs. uvicorn has a keep-alive timeout, a connection cap
(`limit_concurrency`, beyond which requests are answered 503) and a bound on header bytes, but
no deadline for the headers themselves: a client that opens a connection and sends nothing, or
sends half a header line every few seconds, keeps a file descriptor for ever. `GuardedH11`
closes a connection that has not completed a request's headers within `header_timeout` of
opening it or of the previous response. The body's deadline is the web handler's
(bot/intake/web.py), which answers 408.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any, ClassVar

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from bot.intake.limits import Limits, raise_fd_limit

log = logging.getLogger("beadle.web")


class GuardedH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline on each request's headers."""

    header_timeout: ClassVar[float] = 5.0
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm()

    def data_received(self, data: bytes) -> None:
        cycle = self.cycle
        super().data_received(data)
        if self.cycle is not cycle:  # a request's headers are complete
            self._disarm()

    def on_response_complete(self) -> None:
        # Armed first: the next request may already be buffered (pipelining) and start here.
        self._arm()
        cycle = self.cycle
        super().on_response_complete()
        if self.cycle is not cycle or self.transport.is_closing():
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_overdue)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_overdue(self) -> None:
        self._header_timer = None
        waiting_for_headers = self.cycle is None or self.cycle.response_complete
        if waiting_for_headers and not self.transport.is_closing():
            self.transport.close()


def protocol_for(limits: Limits) -> type[GuardedH11]:
    return type("GuardedH11", (GuardedH11,), {"header_timeout": limits.header_timeout})


def config(app: Any, *, host: str, port: int, limits: Limits, **options: Any) -> uvicorn.Config:
    """uvicorn's settings for the webhook; `options` are passed through (log level, ...)."""
    fd_limit = raise_fd_limit()
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol_for(limits),
        limit_concurrency=limits.connections_for(fd_limit),
        timeout_keep_alive=max(1, round(limits.keep_alive)),
        **options,
    )


def serve(app: Any, *, host: str, port: int, limits: Limits, **options: Any) -> None:
    """Run the app until SIGINT or SIGTERM.

    Before serving, the objects made so far (modules, the app, the settings: hundreds of
    thousands of them) are moved out of the garbage collector's sight with `gc.freeze()`. Each
    delivery's JSON makes thousands of short-lived objects, and every full collection would
    otherwise walk the whole heap: tens of milliseconds with every request waiting, which was
    most of intake's p99 (bench/intake.py).
    """
    server = uvicorn.Server(config(app, host=host, port=port, limits=limits, **options))
    gc.collect()
    gc.freeze()
    server.run()
