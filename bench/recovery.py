"""How soon is a review whose worker process was killed taken up again? Against the lease.

Two scenarios, each repeated --reps times, with FakeGitHub and FakeModel (answering after
--latency s) in this process and Beadle in its own processes, as deployed:

  same machine    `beadle serve` (workers in it) gets a PR, is killed with SIGKILL during the
                  model call and started again on the same database; the clock starts at the
                  restart. SQLite and PostgreSQL.
  other machine   `beadle serve --no-worker` and two `beadle worker` processes on PostgreSQL,
                  each with its own BEADLE_WORKER_HOST, so neither can judge the other by pid;
                  the one holding the review is killed with SIGKILL, and the clock starts then.

Columns: started = until the restarted process answers /healthz (its start-up, mostly Python
imports: the part recovery cannot shorten); taken up = until the job's model call starts again;
reviewed = until the review is posted (taken up + the model's latency + posting). The baseline
is the lease, which is what recovery took before (the job waited for it to run out): ratio =
reviewed / lease. Targets (docs/design.md §9): <= 10 s after a restart on the same machine,
<= 30 s from another machine.

  python bench/recovery.py [--quick] [--reps 3] [--latency 1.0]
                           [--postgres postgresql://postgres@127.0.0.1:5432/test | --no-postgres]
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
import signal
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import database, keypair
from bot.queue.store import Store
from bot.settings import Settings
from tests.fakes.github import FakeGitHub
from tests.fakes.gitrepo import GitRepo
from tests.fakes.model import FakeModel
from tests.fakes.server import free_port
from tests.fakes.webhooks import pull_request_payload
from tests.harness import ISSUE, REPO, deliver, serve, settings_env, spawn

LEASE = Settings.model_fields["lease_seconds"].default  # the deployed default, not shortened
TIMEOUT = LEASE + 60  # a run that falls back on the lease still ends


def wait(condition: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> float:
    """Poll `condition` every 20 ms; the monotonic time it first held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(0.02)
    raise SystemExit(f"timed out waiting for {what}")


class World:
    """FakeGitHub with one repository and a branch per PR, FakeModel, Beadle's settings."""

    def __init__(self, tmp: Path, latency: float) -> None:
        import json

        private, public = keypair()
        self.git = GitRepo(tmp / "widgets")
        self.git.commit(
            {"README.md": "# widgets\n", ".beads/issues.jsonl": json.dumps(ISSUE) + "\n"},
            "Initial commit",
        )
        self.gh = FakeGitHub(app_id=1, public_key_pem=public).__enter__()
        self.gh.add_repo(REPO, self.git)
        self.model = FakeModel(latency=latency).__enter__()
        self.private = private
        self.prs = 0

    def close(self) -> None:
        self.model.__exit__(None, None, None)
        self.gh.__exit__(None, None, None)

    def env(self, database_url: str, **extra: str) -> dict[str, str]:
        return settings_env(
            self.gh,
            self.model,
            private_key=self.private,
            database_url=database_url,
            LOG_LEVEL="WARNING",
            **extra,
        )

    def open_pr(self, web_port: int) -> int:
        """A new PR, delivered; returns once its model call has started."""
        self.prs += 1
        branch = f"f{self.prs}"
        self.git.branch(branch, "main")
        self.git.commit({f"w{self.prs}.py": "A = 1\n"}, f"Work {self.prs} (bd-a3f8)", branch=branch)
        number = self.gh.open_pull(REPO, title=f"PR {self.prs} (bd-a3f8)", head=branch)
        calls = len(self.model.requests)
        payload = pull_request_payload(self.gh, REPO, number, "opened")
        assert deliver(f"http://127.0.0.1:{web_port}", "pull_request", payload).status_code == 202
        wait(lambda: len(self.model.requests) > calls, "the model call")
        return number

    def recovery(self, number: int, since: float, database_url: str) -> tuple[float, float]:
        """(taken up, reviewed) in seconds after `since`, for a PR whose first call was lost."""
        calls = len(self.model.requests)
        try:
            taken = wait(lambda: len(self.model.requests) > calls, "the job taken up again")
            reviewed = wait(lambda: self.gh.reviews(REPO, number), "the review")
        except SystemExit as exc:  # say where the job is stuck
            with Store(database_url) as store:
                jobs = [j for j in store.recent_jobs(20) if j.request.pr_number == number]
            raise SystemExit(f"{exc}; PR {number}'s jobs: {jobs}") from None
        time.sleep(0.5)
        if len(self.gh.reviews(REPO, number)) != 1:
            raise SystemExit(f"PR {number}: {len(self.gh.reviews(REPO, number))} reviews")
        return taken - since, reviewed - since


def kill(proc: subprocess.Popen[bytes]) -> float:
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    return time.monotonic()


def stop(*procs: subprocess.Popen[bytes]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait(30)


Run = tuple[float | None, float, float]  # started (None: nothing restarted), taken up, reviewed


def same_machine(world: World, database_url: str, reps: int) -> list[Run]:
    env = world.env(database_url)
    runs: list[Run] = []
    for _ in range(reps):
        port = free_port()
        first = serve(env, port)
        number = world.open_pr(port)
        kill(first)
        restarted = time.monotonic()
        second = serve(env, port)
        started = time.monotonic() - restarted
        try:
            runs.append((started, *world.recovery(number, restarted, database_url)))
        finally:
            stop(second)
    return runs


def other_machine(world: World, database_url: str, reps: int) -> list[Run]:
    env = world.env(database_url)
    port = free_port()
    web = serve(env, port, "--no-worker")
    hosts = ["machine-a", "machine-b"]
    workers = {h: spawn({**env, "BEADLE_WORKER_HOST": h}, "worker") for h in hosts}
    runs: list[Run] = []
    try:
        with Store(database_url) as store:
            wait(lambda: len(store.processes()) == 2, "both workers registered", 30)
            for _ in range(reps):
                number = world.open_pr(port)
                [job] = [j for j in store.recent_jobs(5) if j.request.pr_number == number]
                holder = (store.job(job.id) or job).worker or ""
                host = holder.split(":", 1)[0]
                killed = kill(workers[host])
                runs.append((None, *world.recovery(number, killed, database_url)))
                workers[host] = spawn({**env, "BEADLE_WORKER_HOST": host}, "worker")
                wait(lambda: len(store.processes()) == 2, "the replacement registered", 30)
    finally:
        stop(web, *workers.values())
    return runs


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({max(values):.1f})" if values else "-"


def row(name: str, db: str, runs: list[Run], target: float) -> list[str]:
    started = [s for s, _, _ in runs if s is not None]
    taken = [t for _, t, _ in runs]
    reviewed = [r for _, _, r in runs]
    worst = max(reviewed)
    return [
        name,
        db,
        str(len(runs)),
        spread(started),
        spread(taken),
        spread(reviewed),
        f"{LEASE:.0f}",
        f"{statistics.median(reviewed) / LEASE:.3f}",
        f"<= {target:.0f} s: {'met' if worst <= target else 'MISSED'}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--latency", type=float, default=1.0, help="the model's seconds a call")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--quick", action="store_true", help="one repetition each")
    args = parser.parse_args()
    reps = 1 if args.quick else args.reps

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        world = World(Path(tmp), args.latency)
        try:
            url, _ = database("sqlite", Path(tmp))
            rows.append(row("same machine", "sqlite", same_machine(world, url, reps), 10))
            if not args.no_postgres:
                url, drop = database(args.postgres, Path(tmp))
                try:
                    runs = same_machine(world, url, reps)
                    rows.append(row("same machine", "postgresql", runs, 10))
                finally:
                    drop()
                url, drop = database(args.postgres, Path(tmp))
                try:
                    runs = other_machine(world, url, reps)
                    rows.append(row("other machine", "postgresql", runs, 30))
                finally:
                    drop()
        finally:
            world.close()

    header = [
        "scenario",
        "database",
        "reps",
        "started s",
        "taken up s, median (max)",
        "reviewed s, median (max)",
        "lease s (baseline)",
        "reviewed/lease",
        "target",
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"model latency {args.latency} s; recovery from SIGKILL during the model call")
    for r in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)))


if __name__ == "__main__":
    main()
