"""Webhook intake under load: Beadle's real app against a bare Starlette endpoint, same run.

Each target runs under uvicorn in its own process; this process is the load generator: 50
keep-alive connections (raw asyncio HTTP/1.1, cheaper than an HTTP library, so the generator
takes as little CPU from the 2 cores as it can) POST signed `pull_request.synchronize` deliveries
(~21 KB, distinct delivery ids and head shas, spread over 200 PRs).

  bare    verifies the HMAC and parses the JSON, answers 202; nothing else
  beadle  Runtime(...).web(with_workers=False) served as `beadle serve` serves it (its limits,
          protocol and frozen heap, bot/intake/server.py): verify, decide, group-commit delivery
          + job, 202 (logging as `beadle serve` sets it up: INFO, one line per delivery, to a file)

Targets rotate (bare, beadle, bare, beadle, ...) for --rounds rounds; the summary takes medians.
After the load the Beadle server is SIGKILLed and every delivery it answered 2xx must be in the
store (`Store.seen_deliveries`): the durability claim.

docs/design.md §7 targets: throughput >= 0.5x bare, p99 <= 3x bare, 0 refused or reset.

  python bench/intake.py [--quick] [--deliveries N] [--rounds R]
                         [--database postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# The repository root first (for `tests.fakes`); bench/ never, so no script name can shadow
# a standard module.
sys.path[:] = [ROOT, *(p for p in sys.path if os.path.abspath(p or ".") not in (HERE, ROOT))]

import argparse
import asyncio
import hashlib
import hmac
import json
import logging
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from bench.common import cpu_seconds, database, keypair
from tests.fakes.server import free_port

SECRET = "It's a Secret to Everybody"
REPO = "octo/widgets"
TIME_LIMIT = 30.0  # seconds of load per target and round, whatever --deliveries says
BUDGET = 150.0  # no new round starts after this many seconds


# -- the servers (run in a child process: `intake.py --serve bare|beadle --port P`) ---------------
def bare_app() -> Starlette:
    key = SECRET.encode()

    async def webhook(request):
        body = await request.body()
        expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get("x-hub-signature-256", ""), expected):
            return JSONResponse({"error": "bad signature"}, status_code=401)
        try:
            json.loads(body)
        except ValueError:
            return JSONResponse({"error": "bad json"}, status_code=400)
        return JSONResponse({"status": "accepted"}, status_code=202)

    async def healthz(request):
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/api/github/webhooks", webhook, methods=["POST"]),
            Route("/healthz", healthz),
        ]
    )


def serve(target: str, port: int) -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    options = {"log_level": "warning", "access_log": False, "lifespan": "on"}
    if target == "bare":
        uvicorn.run(bare_app(), host="127.0.0.1", port=port, **options)
        return
    from bot.intake import server
    from bot.runtime import Runtime
    from bot.settings import load_settings

    env = json.loads(os.environ["BEADLE_BENCH_SETTINGS"])
    runtime = Runtime(load_settings(_env_file=None, **env))
    app = runtime.web(with_workers=False)
    # as `beadle serve` runs it: the intake's limits, its uvicorn protocol, a frozen heap
    server.serve(app, host="127.0.0.1", port=port, limits=runtime.limits(), **options)


def start_server(target: str, env: dict[str, str], log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    child_env = {**os.environ, "BEADLE_BENCH_SETTINGS": json.dumps(env)}
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", target, "--port", str(port)],
        env=child_env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )
    deadline = time.monotonic() + 90  # imports alone take seconds on a busy shared machine
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc, port
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    tail = log.read_text(errors="replace")[-2000:]
    raise SystemExit(f"{target} server did not start:\n{tail}")


# -- the load generator ---------------------------------------------------------------------------
def build_bodies(count: int, prs: int, public_pem: str) -> list[bytes]:
    """Bodies to sign: one realistic payload, varied in PR number and head sha."""
    from tests.fakes.github import FakeGitHub
    from tests.fakes.gitrepo import GitRepo
    from tests.fakes.webhooks import encode, pull_request_payload

    with tempfile.TemporaryDirectory() as tmp, FakeGitHub(public_key_pem=public_pem) as gh:
        git = GitRepo(Path(tmp) / "widgets")
        git.commit({"README.md": "# widgets\n"}, "Initial commit")
        git.commit({"widgets/size.py": "X = 1\n"}, "Sizes (bd-a3f8)", branch="feature")
        gh.add_repo(REPO, git)
        number = gh.open_pull(REPO, title="Validate sizes (bd-a3f8)", head="feature")
        payload = pull_request_payload(gh, REPO, number, "synchronize")
    bodies = []
    for i in range(count):
        sha = hashlib.sha1(f"head-{i}".encode()).hexdigest()
        payload["number"] = payload["pull_request"]["number"] = 1 + i % prs
        payload["before"], payload["after"] = payload["after"], sha
        payload["pull_request"]["head"]["sha"] = sha
        bodies.append(encode(payload))
    return bodies


def request_bytes(body: bytes, delivery: str, port: int) -> bytes:
    sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    head = (
        f"POST /api/github/webhooks HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"User-Agent: GitHub-Hookshot/bench\r\nContent-Type: application/json\r\n"
        f"X-GitHub-Event: pull_request\r\nX-GitHub-Delivery: {delivery}\r\n"
        f"X-GitHub-Hook-ID: 412345678\r\nX-Hub-Signature-256: {sig}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def load(
    port: int, server_pid: int, requests: list[tuple[str, bytes]], concurrency: int
) -> dict:
    """POST every request over `concurrency` keep-alive connections; bounded by TIME_LIMIT."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    ok_ids: list[str] = []
    errors = {"refused": 0, "reset": 0, "timeout": 0}
    queue = iter(requests)

    async def client() -> None:
        reader = writer = None
        for delivery, raw in queue:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                start = time.perf_counter()
                writer.write(raw)
                status = int((await reader.readline()).split()[1])
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - start)
                statuses[status] = statuses.get(status, 0) + 1
                if 200 <= status < 300:
                    ok_ids.append(delivery)
            except ConnectionRefusedError:
                errors["refused"] += 1
                writer = None
            except (ConnectionError, asyncio.IncompleteReadError, IndexError, ValueError):
                errors["reset"] += 1
                writer = None
        if writer is not None:
            writer.close()

    start, cpu_start = time.perf_counter(), (cpu_seconds(server_pid), cpu_seconds(os.getpid()))
    tasks = [asyncio.create_task(client()) for _ in range(concurrency)]
    _, pending = await asyncio.wait(tasks, timeout=TIME_LIMIT)
    for task in pending:
        task.cancel()
    errors["timeout"] = len(requests) - len(latencies) - errors["refused"] - errors["reset"]
    elapsed = time.perf_counter() - start
    server_cpu = cpu_seconds(server_pid) - cpu_start[0]
    latencies.sort() if latencies else latencies.append(float("nan"))

    def pick(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    return {
        "rate": len(ok_ids) / elapsed,
        "p50": pick(0.50),
        "p99": pick(0.99),
        "cpu_ms": server_cpu * 1000 / max(len(ok_ids), 1),
        "gen_cpu": (cpu_seconds(os.getpid()) - cpu_start[1]) / elapsed,
        "statuses": statuses,
        "ok_ids": ok_ids,
        **errors,
    }


def run_target(target: str, env: dict, bodies: list[bytes], args, tag: str, log: Path) -> dict:
    proc, port = start_server(target, env, log)
    try:
        warm = [
            (f"{tag}-warm-{i}", request_bytes(bodies[i % len(bodies)], f"{tag}-warm-{i}", port))
            for i in range(args.warmup)
        ]
        warm_result = asyncio.run(load(port, proc.pid, warm, args.concurrency))
        timed = [
            (f"{tag}-{i}", request_bytes(body, f"{tag}-{i}", port)) for i, body in enumerate(bodies)
        ]
        result = asyncio.run(load(port, proc.pid, timed, args.concurrency))
        result["ok_ids"] += warm_result["ok_ids"]
    finally:
        proc.send_signal(signal.SIGKILL if target == "beadle" else signal.SIGTERM)
        proc.wait(timeout=30)
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--serve", choices=["bare", "beadle"], help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--deliveries", type=int, default=5_000, help="timed deliveries per round")
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--prs", type=int, default=200)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--database", default="sqlite", help="sqlite, or a PostgreSQL admin URL")
    p.add_argument("--quick", action="store_true", help="1 round of 1,000 deliveries")
    args = p.parse_args()
    if args.serve:
        return serve(args.serve, args.port)
    if args.quick:
        args.deliveries, args.warmup, args.rounds = 1000, 100, 1

    from bot.queue.store import Store

    pem, public = keypair()
    bodies = build_bodies(args.deliveries, args.prs, public)
    tmp = Path(tempfile.mkdtemp(prefix="beadle-bench-"))
    db_url, drop = database(args.database, tmp)
    env = {
        "APP_ID": "1",
        "PRIVATE_KEY": pem,
        "WEBHOOK_SECRET": SECRET,
        "GITHUB_API_URL": "http://127.0.0.1:9",
        "OPENAI_API_KEY": "sk-bench",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "BEADLE_BOT_LOGIN": "beadle[bot]",
        "DATABASE_URL": db_url,
    }
    backend = db_url.split(":", 1)[0]
    print(
        f"intake: {args.deliveries} deliveries x {args.rounds} rounds, {args.concurrency} "
        f"connections, {args.prs} PRs, {len(bodies[0]) / 1024:.1f} KB bodies, store {backend}, "
        f"log level {os.environ.get('LOG_LEVEL', 'INFO')}; cores {os.cpu_count()}"
    )
    rows: dict[str, list[dict]] = {"bare": [], "beadle": []}
    began = time.monotonic()
    try:
        for rnd in range(args.rounds):
            if rnd and time.monotonic() - began > BUDGET:
                print(f"time budget spent: {rnd} of {args.rounds} rounds run")
                break
            for target in ("bare", "beadle"):
                r = run_target(
                    target,
                    env,
                    bodies,
                    args,
                    f"{target}{rnd}-{uuid.uuid4().hex[:8]}",
                    tmp / f"{target}.log",
                )
                rows[target].append(r)
        with Store(db_url) as store:
            acked = [i for r in rows["beadle"] for i in r["ok_ids"]]
            missing = len(set(acked) - store.seen_deliveries(acked))
    finally:
        drop()
        shutil.rmtree(tmp, ignore_errors=True)
    report(rows, missing, len(acked))


def report(rows: dict[str, list[dict]], missing: int, acked: int) -> None:
    """Per-round rows, then the targets as ratios of each round's adjacent pair (median)."""
    print(
        f"\n{'round':>5} {'target':7} {'deliv/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'cpu ms/d':>8} {'gen cpu':>7} {'refused':>7} {'reset':>5} {'unsent':>6}  statuses"
    )
    ratios: dict[str, list[float]] = {"rate": [], "p99": [], "cpu_ms": []}
    for rnd, (bare, beadle) in enumerate(zip(rows["bare"], rows["beadle"], strict=True)):
        for target, r in (("bare", bare), ("beadle", beadle)):
            print(
                f"{rnd + 1:>5} {target:7} {r['rate']:8.0f} {r['p50']:7.1f} {r['p99']:7.1f} "
                f"{r['cpu_ms']:8.2f} {r['gen_cpu']:7.0%} {r['refused']:7d} {r['reset']:5d} "
                f"{r['timeout']:6d}  {r['statuses']}"
            )
        for key, values in ratios.items():
            values.append(beadle[key] / bare[key])
    med = {key: statistics.median(values) for key, values in ratios.items()}
    bad = sum(r["refused"] + r["reset"] + r["timeout"] for r in rows["beadle"])
    print(
        f"\nbeadle / bare, median over {len(ratios['rate'])} paired rounds "
        f"(per round: {', '.join(f'{x:.2f}' for x in ratios['rate'])} throughput)"
    )
    print(f"{'measure':44} {'value':>7} {'target':>8}  ok")
    for name, value, target, good in (
        ("throughput beadle / bare", f"{med['rate']:.2f}x", ">= 0.5x", med["rate"] >= 0.5),
        ("p99 latency beadle / bare", f"{med['p99']:.2f}x", "<= 3x", med["p99"] <= 3),
        ("server CPU per delivery beadle / bare", f"{med['cpu_ms']:.2f}x", "-", True),
        ("refused + reset + unsent (beadle)", str(bad), "0", bad == 0),
        (f"2xx lost after SIGKILL (of {acked})", str(missing), "0", missing == 0),
    ):
        print(f"{name:44} {value:>7} {target:>8}  {'yes' if good else 'NO'}")


if __name__ == "__main__":
    main()
