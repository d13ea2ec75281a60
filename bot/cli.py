"""`beadle serve | worker | jobs | redeliver` (docs/design.md §1)."""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sys
import threading
from datetime import timedelta

from bot.queue.worker import utcnow
from bot.settings import SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = load_settings()
        from bot.runtime import Runtime  # imported late: `beadle --help` needs no settings

        runtime = Runtime(settings)
    except (SettingsError, ValueError) as exc:
        print(f"beadle: {exc}", file=sys.stderr)
        return 2
    return args.run(runtime, args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="beadle", description="Reviews pull requests against the beads issue they implement."
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    serve = sub.add_parser("serve", help="run the webhook endpoint (and workers)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 3000))
    serve.add_argument("--no-worker", action="store_true", help="web only; run `beadle worker`")
    serve.set_defaults(run=_serve)
    worker = sub.add_parser("worker", help="run workers only (scale-out)")
    worker.set_defaults(run=_worker)
    jobs = sub.add_parser("jobs", help="list recent review jobs")
    jobs.add_argument("--limit", type=int, default=30)
    jobs.set_defaults(run=_jobs)
    again = sub.add_parser("redeliver", help="redeliver failed deliveries Beadle never recorded")
    again.add_argument("--since", default="24h", type=_duration, help="e.g. 30m, 24h, 3d")
    again.set_defaults(run=_redeliver)
    return parser


def _duration(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if not match:
        raise argparse.ArgumentTypeError("use a number and a unit: 30m, 24h, 3d")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match[2]]
    return timedelta(**{unit: int(match[1])})


def _serve(runtime, args: argparse.Namespace) -> int:
    import uvicorn

    app = runtime.web(with_workers=not args.no_worker)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=25,
    )
    return 0


def _worker(runtime, args: argparse.Namespace) -> int:
    pool = runtime.pool()
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    pool.start()
    logging.getLogger("beadle").info("%d workers running; SIGTERM stops them", len(pool.workers))
    stopped.wait()
    pool.stop()
    return 0


def _jobs(runtime, args: argparse.Namespace) -> int:
    print(f"{'id':>6}  {'state':8} {'tries':>5}  {'pull request':32} {'head':12}  last error")
    for job in runtime.store.recent_jobs(args.limit):
        r = job.request
        error = (job.last_error or "").replace("\n", " ")[:80]
        print(
            f"{job.id:>6}  {job.state.value:8} {job.attempts:>5}  "
            f"{r.repo + '#' + str(r.pr_number):32} {r.head_sha[:12]:12}  {error}"
        )
    return 0


def _redeliver(runtime, args: argparse.Namespace) -> int:
    from bot.github.redeliver import redeliver_missed

    done = redeliver_missed(runtime.github, runtime.store, since=utcnow() - args.since)
    for attempt in done:
        print(f"redelivered {attempt.get('guid')} ({attempt.get('event')}.{attempt.get('action')})")
    print(f"{len(done)} deliveries redelivered")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
