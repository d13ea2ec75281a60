"""`beadle serve [--no-worker]` and `beadle worker`: the web endpoint and the review workers."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.runtime import Runtime


def register(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the webhook endpoint (and workers)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 3000))
    serve.add_argument("--no-worker", action="store_true", help="web only; run `beadle worker`")
    serve.set_defaults(run=_serve, needs_runtime=True)
    worker = sub.add_parser("worker", help="run workers only (scale-out)")
    worker.set_defaults(run=_worker, needs_runtime=True)


def _serve(runtime: Runtime, args: argparse.Namespace) -> int:
    from bot.intake import server

    app = runtime.web(with_workers=not args.no_worker)
    server.serve(
        app,
        host=args.host,
        port=args.port,
        limits=runtime.limits(),
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=25,
    )
    return 0


def _worker(runtime: Runtime, args: argparse.Namespace) -> int:
    pool = runtime.pool()
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    pool.start()
    logging.getLogger("beadle").info("%d workers running; SIGTERM stops them", len(pool.workers))
    stopped.wait()
    pool.stop()
    return 0
