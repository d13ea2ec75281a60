"""`beadle serve [--no-worker]` and `beadle worker`: the web endpoint and the review workers.

Both ask GitHub once whether it takes the App's credentials (`--no-check` skips it, for an
offline start), then log one line saying what they run and against what (bot/startup.py).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

from bot.about import version

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("beadle")
NO_CHECK_HELP = "do not ask GitHub at start whether it takes the App's credentials (offline)"


def register(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the webhook endpoint (and workers)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=None, help="default: PORT, else 3000")
    serve.add_argument("--no-worker", action="store_true", help="web only; run `beadle worker`")
    serve.add_argument("--no-check", action="store_true", help=NO_CHECK_HELP)
    serve.set_defaults(run=_serve, needs_runtime=True)
    worker = sub.add_parser("worker", help="run workers only (scale-out)")
    worker.add_argument("--no-check", action="store_true", help=NO_CHECK_HELP)
    worker.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve GET /metrics on this port (default: BEADLE_METRICS_PORT; unset: none)",
    )
    worker.add_argument("--metrics-host", default="0.0.0.0", help="where --metrics-port listens")
    worker.set_defaults(run=_worker, needs_runtime=True)


def _serve(runtime: Runtime, args: argparse.Namespace) -> int:
    from bot.intake import server

    app_name = _checked(runtime, args)
    port = args.port if args.port is not None else runtime.settings.port
    with_workers = not args.no_worker
    app = runtime.web(with_workers=with_workers)
    url = f"http://{args.host}:{port}"
    token = " (bearer token)" if runtime.metrics_token else ""
    log.info(
        _line(
            runtime,
            role=f"serving {url}",
            workers=runtime.settings.workers if with_workers else 0,
            app=app_name,
            metrics=f"at {url}/metrics{token}",
        )
    )
    server.serve(
        app,
        host=args.host,
        port=port,
        limits=runtime.limits(),
        log_level="warning",
        log_config=None,  # uvicorn's lines go through Beadle's handler (LOG_FORMAT)
        access_log=False,
        timeout_graceful_shutdown=25,
    )
    return 0


def _worker(runtime: Runtime, args: argparse.Namespace) -> int:
    from bot.intake.metrics_http import MetricsServer

    app_name = _checked(runtime, args)
    port = args.metrics_port if args.metrics_port is not None else runtime.settings.metrics_port
    metrics_server = None
    if port is not None:
        try:
            metrics_server = MetricsServer(
                runtime.metrics, host=args.metrics_host, port=port, token=runtime.metrics_token
            )
        except OSError as exc:
            print(
                f"beadle: BEADLE_METRICS_PORT (--metrics-port) {port}: cannot listen on "
                f"{args.metrics_host}: {exc.strerror or exc}",
                file=sys.stderr,
            )
            return 2
        metrics_server.start()
    pool = runtime.pool()
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    pool.start()
    where = f"http://{args.metrics_host}:{metrics_server.port}/metrics" if metrics_server else None
    token = " (bearer token)" if where and runtime.metrics_token else ""
    log.info(
        _line(
            runtime,
            role="worker",
            workers=len(pool.workers),
            app=app_name,
            metrics=f"at {where}{token}" if where else None,
        )
    )
    log.info("%d workers running; SIGTERM stops them", len(pool.workers))
    stopped.wait()
    pool.stop()
    if metrics_server is not None:
        metrics_server.stop()
    return 0


def _checked(runtime: Runtime, args: argparse.Namespace) -> str:
    """How the start line names the App: checked with GitHub (`GET /app`), or not. When GitHub
    refuses or cannot be reached, StartupError (bot/cli/__init__.py prints its one line)."""
    from bot.startup import check_github

    app_id = runtime.settings.app_id
    if args.no_check:
        return f"App {app_id}, not checked (--no-check)"
    slug = check_github(runtime.github, app_id=app_id, api_url=runtime.settings.github_api_url)
    return f"App {app_id}, {slug}"


def _line(runtime: Runtime, *, role: str, workers: int, app: str, metrics: str | None) -> str:
    from bot.startup import started_line

    s = runtime.settings
    return started_line(
        role=role,
        version=version(),
        workers=workers,
        database_url=s.database_url.get_secret_value(),
        github_url=s.github_api_url,
        app=app,
        model=s.model,
        model_url=runtime.model.base_url,
        metrics=metrics,
    )
