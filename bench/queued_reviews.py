"""500 queued reviews with the model stubbed at 2 s: how close do the workers get to the ideal?

This process holds the world: FakeGitHub (one repository, one branch and PR per job, built with
one `git fast-import`) and FakeModel answering every request after --latency seconds. The
deliveries go in first, signed, through Beadle's real webhook endpoint with no workers
(`Runtime.web(with_workers=False)`), so every job is queued before any worker runs. Then
--processes `beadle worker` processes start (BEADLE_WORKERS = --concurrency / --processes each,
logging at INFO as deployed) on the same database; the clock runs from the moment the last
of them says its workers are running until the last review is posted.

  ideal = jobs x latency / concurrency       docs/design.md §7 target: measured <= 1.2 x ideal

The baseline, measured next on the same PRs: a bare worker process with as many threads, each
making with plain `requests` the GitHub and model calls Beadle makes for a round one (PR,
settings file, reviews, check run, diff, beads file, plan document, model, review, check run)
and nothing else: what the fakes and the 2 s latency alone allow on this machine.

Workers run in their own processes so that the fakes' CPU (this process) does not share
Beadle's GIL; both still share the machine's 2 cores, and the fakes' share is printed.

  python bench/queued_reviews.py [--quick] [--jobs 500] [--concurrency 32] [--processes 1]
                        [--latency 2.0] [--database postgresql://postgres@127.0.0.1:5432/test]
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
import json
import math
import signal
import subprocess
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.common import cpu_seconds, database, keypair
from tests.fakes.github import FakeGitHub
from tests.fakes.gitrepo import _ENV, GitRepo
from tests.fakes.model import FakeModel
from tests.fakes.webhooks import delivery, pull_request_payload
from tests.harness import ISSUE, REPO, SECRET, Beadle, settings_env


def build_repo(path: Path, jobs: int) -> GitRepo:
    """main with a beads issue, and branches pr-0 … pr-N, each one small commit, in one process."""
    git = GitRepo(path)
    main = git.commit(
        {
            "README.md": "# widgets\n",
            ".beads/issues.jsonl": json.dumps(ISSUE) + "\n",
            "widgets/size.py": "def size(value):\n    return value\n",
        },
        "Initial commit",
    )
    stream = []
    for i in range(jobs):
        message = f"Widget {i} (bd-a3f8)\n".encode()
        content = (
            f"def widget_{i}(value):\n    if value < 0:\n        raise ValueError('neg')\n"
            f"    return value * {i}\n"
        ).encode()
        stream += [
            f"commit refs/heads/pr-{i}\ncommitter Bench <bench@example.com> 1700000000 "
            f"+0000\ndata {len(message)}\n".encode(),
            message,
            f"from {main}\nM 100644 inline widgets/w{i}.py\ndata {len(content)}\n".encode(),
            content,
            b"\n",
        ]
    subprocess.run(
        ["git", "fast-import", "--quiet"], input=b"".join(stream), cwd=path, env=_ENV, check=True
    )
    return git


def enqueue(gh: FakeGitHub, env: dict[str, str], numbers: list[int]) -> float:
    """POST one signed `pull_request.opened` per PR to the real endpoint (no workers); seconds."""
    bodies = [
        delivery("pull_request", pull_request_payload(gh, REPO, n, "opened"), SECRET)
        for n in numbers
    ]
    start = time.perf_counter()
    with Beadle(env, with_workers=False) as app, httpx.Client(timeout=30) as client:

        def post(item: tuple[bytes, dict[str, str]]) -> int:
            return client.post(
                f"{app.url}/api/github/webhooks", content=item[0], headers=item[1]
            ).status_code

        with ThreadPoolExecutor(16) as pool:
            statuses = Counter(pool.map(post, bodies))
    if statuses != Counter({202: len(numbers)}):
        raise SystemExit(f"deliveries were not all queued: {dict(statuses)}")
    return time.perf_counter() - start


def posted(gh: FakeGitHub) -> Counter:
    """Reviews posted so far, per pull request path."""
    return Counter(
        r.path
        for r in gh.requests
        if r.method == "POST" and r.path.endswith("/reviews") and r.status == 200
    )


def bare_worker() -> None:
    """The baseline's worker process: BENCH_BARE holds the URLs, token, PRs and thread count."""
    import threading

    import requests

    cfg = json.loads(os.environ["BENCH_BARE"])
    todo, api, raw = (
        list(reversed(cfg["numbers"])),
        f"{cfg['github']}/repos/{REPO}",
        {"Accept": "application/vnd.github.raw+json"},
    )

    def run() -> None:
        s = requests.Session()
        s.headers["Authorization"] = f"token {cfg['token']}"
        while True:
            try:
                n = todo.pop()
            except IndexError:
                return
            head = s.get(f"{api}/pulls/{n}").json()["head"]["sha"]
            s.get(f"{api}/contents/.github/beadle.yml", params={"ref": "main"}, headers=raw)
            s.get(f"{api}/pulls/{n}/reviews", params={"per_page": 100})
            check = s.post(
                f"{api}/check-runs",
                json={"name": "Beadle review", "head_sha": head, "status": "in_progress"},
            ).json()["id"]
            diff = s.get(f"{api}/pulls/{n}", headers={"Accept": "application/vnd.github.diff"})
            for path in (".beads/issues.jsonl", "docs/plans/widgets-design.md"):
                s.get(f"{api}/contents/{path}", params={"ref": head}, headers=raw)
            s.post(
                f"{cfg['model']}/chat/completions",
                json={"model": "fake-model", "messages": [{"role": "user", "content": diff.text}]},
            )
            s.post(
                f"{api}/pulls/{n}/reviews",
                json={"commit_id": head, "body": "Bare review.", "event": "COMMENT"},
            ).raise_for_status()
            s.patch(
                f"{api}/check-runs/{check}",
                json={
                    "status": "completed",
                    "conclusion": "neutral",
                    "output": {"title": "Bare", "summary": "Bare review."},
                },
            )

    threads = [threading.Thread(target=run) for _ in range(cfg["threads"])]
    print("bare workers running", file=sys.stderr, flush=True)
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def start(commands: list[tuple[list[str], dict[str, str]]], logs: Path, name: str):
    """Start worker processes; return once each has logged that its workers run."""
    procs = []
    for k, (command, env) in enumerate(commands):
        log = logs / f"{name}-{k}.log"
        procs.append(
            (
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env={**os.environ, **env},
                    stdout=subprocess.DEVNULL,
                    stderr=log.open("wb"),
                ),
                log,
            )
        )
    deadline = time.monotonic() + 60
    while not all("workers running" in log.read_text() for _, log in procs):
        if time.monotonic() > deadline or any(p.poll() is not None for p, _ in procs):
            raise SystemExit(f"{name} workers did not start; see {logs}")
        time.sleep(0.01)
    return [p for p, _ in procs]


def measure(gh: FakeGitHub, procs, jobs: int, limit: float) -> dict:
    """Seconds until `jobs` PRs have a review, when the first landed, and the CPU shares."""
    began, cpu0 = time.perf_counter(), cpu_seconds(os.getpid())
    workers0 = sum(cpu_seconds(q.pid) for q in procs)
    first = None
    while (done := len(posted(gh))) < jobs and time.perf_counter() - began < limit:
        if done and first is None:
            first = time.perf_counter() - began
        time.sleep(0.05)
    took = time.perf_counter() - began
    return {
        "measured": took,
        "first": first or float("nan"),
        "fakes_cpu": (cpu_seconds(os.getpid()) - cpu0) / took,
        "workers_cpu": (sum(cpu_seconds(q.pid) for q in procs) - workers0) / took,
        "per_pr": posted(gh),
        "abandoned": took >= limit,
    }


def stop(procs) -> None:
    for q in procs:
        q.send_signal(signal.SIGTERM)
    for q in procs:
        try:
            q.wait(timeout=30)
        except subprocess.TimeoutExpired:
            q.kill()


def unfinished(db_url: str) -> list[str]:
    """Jobs not done, for the report when a run falls short."""
    from bot.queue.store import JobState, Store

    with Store(db_url) as store:
        return [
            f"job {j.id} #{j.request.pr_number} {j.state.value} attempts {j.attempts}: "
            f"{(j.last_error or j.outcome or '')[:300]}"
            for j in store.recent_jobs(100_000)
            if j.state is not JobState.DONE
        ]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--jobs", type=int, default=500)
    p.add_argument("--concurrency", type=int, default=32, help="worker threads in all")
    p.add_argument("--processes", type=int, default=1, help="`beadle worker` processes")
    p.add_argument("--latency", type=float, default=2.0, help="seconds the model takes")
    p.add_argument("--database", default="sqlite", help="sqlite, or a PostgreSQL admin URL")
    p.add_argument("--no-baseline", action="store_true", help="skip the bare workers' run")
    p.add_argument("--quick", action="store_true", help="64 jobs, concurrency 16")
    p.add_argument("--bare-worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.bare_worker:
        return bare_worker()
    if args.quick:
        args.jobs, args.concurrency = 64, 16
    per_process = math.ceil(args.concurrency / args.processes)
    concurrency = per_process * args.processes
    ideal = args.jobs * args.latency / concurrency
    limit = ideal * 3 + 60  # a run is abandoned (and says so) after this many seconds

    private, public = keypair()
    tmp = tempfile.TemporaryDirectory(prefix="beadle-bench-")
    logs = Path(tmp.name)
    db_url, drop = database(args.database, logs)
    setup = time.perf_counter()
    git = build_repo(logs / "widgets", args.jobs)
    runs, procs = {}, []
    try:
        with (
            FakeGitHub(app_id=1, public_key_pem=public) as gh,
            FakeModel(latency=args.latency) as model,
        ):
            gh.add_repo(REPO, git)
            numbers = [
                gh.open_pull(REPO, title=f"Widget {i} (bd-a3f8)", head=f"pr-{i}")
                for i in range(args.jobs)
            ]
            env = settings_env(
                gh,
                model,
                private_key=private,
                database_url=db_url,
                BEADLE_BOT_LOGIN=gh.bot_login,
                BEADLE_WORKERS=str(per_process),
                LOG_LEVEL="INFO",
            )
            env.pop("BEADLE_POLL_INTERVAL")  # deployment defaults for the workers
            env.pop("BEADLE_RETRY_BASE")
            queued = enqueue(gh, env, numbers)
            print(
                f"queue: {args.jobs} PRs built and queued in {time.perf_counter() - setup:.1f} s "
                f"(webhook intake {queued:.1f} s); store {db_url.split(':', 1)[0]}; "
                f"cores {os.cpu_count()}"
            )
            gh.reset_requests()
            procs = start(
                [([sys.executable, "-m", "bot.cli", "worker"], env)] * args.processes,
                logs,
                "beadle",
            )
            runs["beadle"] = measure(gh, procs, args.jobs, limit)
            stop(procs)
            requests_made = gh.requests
            tokens = sum(1 for r in requests_made if r.path.endswith("/access_tokens"))
            model_calls = sum(1 for r in model.requests if r.get("answered"))
            violations = gh.contract_violations()
            stuck = unfinished(db_url) if len(runs["beadle"]["per_pr"]) < args.jobs else []
            if not args.no_baseline:
                gh.reset_requests()
                token = gh.issue_token()
                procs = start(
                    [
                        (
                            [sys.executable, __file__, "--bare-worker"],
                            {
                                "BENCH_BARE": json.dumps(
                                    {
                                        "github": gh.base_url,
                                        "model": model.base_url,
                                        "token": token,
                                        "numbers": numbers[k :: args.processes],
                                        "threads": per_process,
                                    }
                                )
                            },
                        )
                        for k in range(args.processes)
                    ],
                    logs,
                    "bare",
                )
                runs["bare"] = measure(gh, procs, args.jobs, limit)
    finally:
        stop(procs)
        drop()
        tmp.cleanup()

    print(
        f"\n{'workers':7} {'jobs':>5} {'latency':>7} {'threads':>7} {'ideal s':>7} "
        f"{'measured s':>10} {'/ideal':>7} {'/bare':>6} {'first s':>7} {'CPU':>5} {'fakes':>5}"
    )
    for name, r in sorted(runs.items()):
        vs_bare = r["measured"] / runs["bare"]["measured"] if "bare" in runs else float("nan")
        print(
            f"{name:7} {args.jobs:5d} {args.latency:6.1f}s {f'{args.processes}x{per_process}':>7} "
            f"{ideal:7.1f} {r['measured']:10.1f} {r['measured'] / ideal:6.2f}x {vs_bare:5.2f}x "
            f"{r['first']:7.2f} {r['workers_cpu']:5.0%} {r['fakes_cpu']:5.0%}"
            + ("  ABANDONED" if r["abandoned"] else "")
        )
    b = runs["beadle"]
    ratio, per_pr = b["measured"] / ideal, b["per_pr"]
    waves = math.ceil(args.jobs / concurrency) * args.latency
    print(
        "(first s: first review posted; CPU: the workers' processes, fakes: this one's; "
        "shares of one core)"
    )
    print(
        f"\nbeadle measured / ideal {ratio:.2f}x, target <= 1.2x: "
        f"{'yes' if ratio <= 1.2 and len(per_pr) == args.jobs else 'NO'}; "
        f"whole waves alone need {waves:.0f} s ({waves / ideal:.2f}x ideal)"
    )
    print(
        f"reviews posted {sum(per_pr.values())} on {len(per_pr)} of {args.jobs} PRs "
        f"(second reviews: {sum(c - 1 for c in per_pr.values())}); model calls {model_calls}"
    )
    print(
        f"GitHub requests per review {len(requests_made) / max(len(per_pr), 1):.1f}, of which "
        f"installation-token exchanges {tokens} in all (one is enough); "
        f"FakeGitHub contract violations {len(violations)}"
    )
    for v in violations[:3]:
        print("  " + "\n  ".join(v.splitlines()[-6:]))
    for line in stuck[:10]:
        print("  " + line)


if __name__ == "__main__":
    main()
