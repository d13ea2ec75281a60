"""Pipeline time beyond the model, GitHub requests per round, and the round-two prompt size.

Beadle's real Reviewer (built as Runtime builds it) reviews PRs of 1, 100, 1,000 and 3,000 new
files against FakeGitHub (real git behind a REST server on loopback) and FakeModel (answers at
once), in this process. Per size, after one untimed warm-up review (it fetches the installation
token), each repetition opens a fresh PR on the same branch and times `Reviewer.run` from the
claim to the review posted; the model call (HTTP to the stub, its answer, the SDK's parsing) is
timed apart, and "beyond model" is the rest. The baseline is the unavoidable fetch, done with a
bare `requests` session: GET the pull request and its diff (or, where GitHub answers 406
too_large, the file list, 100 a page). Medians of --reps repetitions.

Then per size one round one and, after a one-file push, one round two, each by a Reviewer with
a cold repository-settings cache (the token stays cached), counting FakeGitHub's requests
(without the token exchange and `GET /app`) and comparing the two prompts' sizes.

docs/design.md §7 targets: beyond the model <= 50 ms for a 1-file PR and <= 2 s for 3,000 files,
growing linearly; <= 6 GitHub requests per round; round-two prompt <= 40 % of round one's.

  python bench/pipeline.py [--quick] [--sizes 1,100,1000,3000] [--reps 5] [--detail 100]
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
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import requests

from bench.common import keypair
from bot.queue.request import ReviewRequest
from bot.review.round import ReviewConfig, Reviewer
from bot.runtime import Runtime
from bot.settings import load_settings
from tests.fakes.github import FakeGitHub
from tests.fakes.gitrepo import GitRepo
from tests.fakes.model import FakeModel
from tests.fakes.openapi import match_path
from tests.harness import ISSUE, REPO, settings_env

ONE_TIME = {("POST", "/app/installations/{installation_id}/access_tokens"), ("GET", "/app")}
HTTP = {"seconds": 0.0}  # time this process spends in requests.Session.send (PyGithub's HTTP)
_send = requests.Session.send


def _timed_send(self, request, **kwargs):
    start = time.perf_counter()
    try:
        return _send(self, request, **kwargs)
    finally:
        HTTP["seconds"] += time.perf_counter() - start


requests.Session.send = _timed_send  # the bench's stopwatch; Beadle's code is unchanged


class TimedModel:
    """The model adapter with a stopwatch around each call."""

    def __init__(self, inner) -> None:
        self.inner, self.seconds, self.prompt_chars = inner, 0.0, 0

    def review(self, **kwargs):
        self.prompt_chars = len(kwargs["system"]) + len(kwargs["prompt"])
        start = time.perf_counter()
        try:
            return self.inner.review(**kwargs)
        finally:
            self.seconds += time.perf_counter() - start


def reviewer_for(runtime: Runtime, model: TimedModel) -> Reviewer:
    s = runtime.settings
    return Reviewer(
        github=runtime.github,
        model=model,
        config=ReviewConfig(
            model=s.model, context_tokens=s.context_tokens, answer_tokens=s.answer_tokens
        ),
    )


def build_repo(path: Path, sizes: list[int]) -> GitRepo:
    git = GitRepo(path)
    git.commit(
        {
            "README.md": "# widgets\n",
            ".beads/issues.jsonl": json.dumps(ISSUE) + "\n",
            "docs/plans/widgets-design.md": "# Design\nSizes are validated on entry.\n",
        },
        "Initial commit",
    )
    for n in sizes:
        git.branch(f"pr-{n}", "main")
        git.commit(
            {
                f"src/m{n}/mod_{i:04d}.py": "".join(f"value_{j} = {j}\n" for j in range(12))
                for i in range(n)
            },
            f"{n} new modules (bd-a3f8)",
            branch=f"pr-{n}",
        )
    return git


def bare_fetch(gh: FakeGitHub, session: requests.Session, number: int) -> float:
    """GET the PR and its diff, or its file pages after a 406: what any reviewer must fetch."""
    url = f"{gh.base_url}/repos/{REPO}/pulls/{number}"
    start = time.perf_counter()
    session.get(url).raise_for_status()
    diff = session.get(url, headers={"Accept": "application/vnd.github.diff"})
    if diff.status_code == 406:
        for page in range(1, 31):
            files = session.get(f"{url}/files", params={"per_page": 100, "page": page}).json()
            if len(files) < 100:
                break
    return time.perf_counter() - start


def count(gh: FakeGitHub) -> Counter:
    calls: Counter = Counter()
    for r in gh.requests:
        key = (r.method, (match_path(r.path) or [r.path])[0])
        if key not in ONE_TIME:
            calls[key] += 1
    return calls


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="1,100,1000,3000", help="files per PR, comma-separated")
    p.add_argument(
        "--reps",
        type=int,
        default=5,
        help="timed reviews per size, 3x that up to 100 files (median)",
    )
    p.add_argument("--detail", type=int, default=100, help="PR size whose requests are listed")
    p.add_argument("--quick", action="store_true", help="sizes 1,100,300; 2 repetitions")
    args = p.parse_args()
    if args.quick:
        args.sizes, args.reps = "1,100,300", 2
    sizes = [int(s) for s in args.sizes.split(",")]
    private, public = keypair()
    tmp = tempfile.TemporaryDirectory(prefix="beadle-bench-")
    built = time.perf_counter()
    git = build_repo(Path(tmp.name) / "widgets", sizes)
    print(
        f"pipeline: sizes {sizes}, {args.reps} repetitions, repository built in "
        f"{time.perf_counter() - built:.1f} s"
    )
    with FakeGitHub(app_id=1, public_key_pem=public) as gh, FakeModel() as fake_model:
        gh.add_repo(REPO, git)
        env = settings_env(
            gh,
            fake_model,
            private_key=private,
            database_url=f"sqlite:///{tmp.name}/beadle.sqlite3",
            BEADLE_BOT_LOGIN=gh.bot_login,
        )
        runtime = Runtime(load_settings(_env_file=None, **env))
        session = requests.Session()
        session.headers["Authorization"] = f"token {gh.issue_token()}"
        timed, counts, details = {}, {}, {}
        for n in sizes:
            timed[n] = time_size(gh, runtime, session, n, args.reps)
            counts[n], details[n] = rounds(gh, git, runtime, n)
        runtime.store.close()
        violations = gh.contract_violations()
    tmp.cleanup()
    report(sizes, timed, counts, details.get(args.detail), args.detail, violations)


def review(gh: FakeGitHub, reviewer: Reviewer, number: int, key: str):
    head = gh.pull(REPO, number)["head"]["sha"]
    outcome = reviewer.run(
        ReviewRequest(repo=REPO, pr_number=number, installation_id=1, head_sha=head), job_key=key
    )
    assert outcome.detail.startswith("round"), outcome.detail
    return outcome


def time_size(gh: FakeGitHub, runtime: Runtime, session, n: int, reps: int) -> dict:
    model = TimedModel(runtime.model)
    reviewer = reviewer_for(runtime, model)
    review(
        gh, reviewer, gh.open_pull(REPO, title=f"{n} files (bd-a3f8)", head=f"pr-{n}"), f"warm-{n}"
    )
    runs: dict[str, list[float]] = {"total": [], "model": [], "http": [], "bare": []}
    for rep in range(reps * 3 if n <= 100 else reps):  # small PRs are cheap and noisier
        number = gh.open_pull(REPO, title=f"{n} files (bd-a3f8)", head=f"pr-{n}")
        runs["bare"].append(bare_fetch(gh, session, number))
        model.seconds = HTTP["seconds"] = 0.0
        start = time.perf_counter()
        review(gh, reviewer, number, f"t-{n}-{rep}")
        runs["total"].append(time.perf_counter() - start)
        runs["model"].append(model.seconds)
        runs["http"].append(HTTP["seconds"])
    runs["beyond"] = [t - m for t, m in zip(runs["total"], runs["model"], strict=True)]
    runs["own"] = [b - h for b, h in zip(runs["beyond"], runs["http"], strict=True)]
    return {k: statistics.median(v) * 1000 for k, v in runs.items()}


def rounds(gh: FakeGitHub, git: GitRepo, runtime: Runtime, n: int):
    """Round one, a one-file push, round two: requests of each and the prompts' sizes."""
    number = gh.open_pull(REPO, title=f"{n} files (bd-a3f8)", head=f"pr-{n}")
    gh.reset_requests()
    first = TimedModel(runtime.model)
    review(gh, reviewer_for(runtime, first), number, f"r1-{n}")
    one = count(gh)
    git.commit(
        {f"src/m{n}/mod_0000.py": "value_0 = 'changed'\n"}, "Follow-up (bd-a3f8)", branch=f"pr-{n}"
    )
    gh.sync_pull(REPO, number)
    gh.reset_requests()
    second = TimedModel(runtime.model)
    review(gh, reviewer_for(runtime, second), number, f"r2-{n}")
    two = count(gh)
    summary = {
        "r1": sum(one.values()),
        "r2": sum(two.values()),
        "p1": first.prompt_chars,
        "p2": second.prompt_chars,
    }
    return summary, (one, two)


def report(sizes, timed, counts, detail, detail_size, violations) -> None:
    limits = {1: 50.0, 3000: 2000.0}
    print(
        f"\n{'files':>5} {'total':>7} {'model':>6} {'beyond':>7} {'GitHub':>7} {'own':>6} "
        f"{'bare':>6} {'beyond/':>7} {'beyond':>7} {'own':>6} {'target':>6}  ok"
    )
    print(
        f"{'':5} {'ms':>7} {'ms':>6} {'ms':>7} {'HTTP ms':>7} {'ms':>6} {'fetch':>6} "
        f"{'bare':>7} {'ms/file':>7} {'ms/f':>6} {'ms':>6}"
    )
    first, small = sizes[0], timed[sizes[0]]
    for n in sizes:
        t = timed[n]
        step = n - first or float("nan")
        limit = limits.get(n)
        verdict = "-" if limit is None else ("yes" if t["beyond"] <= limit else "NO")
        print(
            f"{n:5d} {t['total']:7.1f} {t['model']:6.1f} {t['beyond']:7.1f} {t['http']:7.1f} "
            f"{t['own']:6.1f} {t['bare']:6.1f} {t['beyond'] / t['bare']:6.1f}x "
            f"{(t['beyond'] - small['beyond']) / step:7.3f} {(t['own'] - small['own']) / step:6.3f} "
            f"{limit or '-':>6}  {verdict}"
        )
    print(
        "medians; beyond = total - model; GitHub HTTP = time in requests (PyGithub) calls; own = "
        "beyond - GitHub HTTP;\nms/file = growth over the smallest PR per added file "
        "(constant = linear); bare fetch = PR + diff (or file pages) via bare requests"
    )

    print(
        f"\n{'files':>5} {'requests r1':>11} {'requests r2':>11} {'<= 6':>5} "
        f"{'prompt r1':>10} {'prompt r2':>10} {'r2/r1':>6} {'<= 40%':>6}  (one-file push)"
    )
    for n in sizes:
        c = counts[n]
        ratio = c["p2"] / c["p1"]
        print(
            f"{n:5d} {c['r1']:11d} {c['r2']:11d} {yes(max(c['r1'], c['r2']) <= 6):>5} "
            f"{c['p1']:10d} {c['p2']:10d} {ratio:6.0%} {yes(ratio <= 0.40):>6}"
        )
    if detail is not None:
        one, two = detail
        print(
            f"\nGitHub requests of one round, {detail_size}-file PR (settings cache cold, "
            f"installation token cached)"
        )
        print(f"{'request':70} {'round 1':>7} {'round 2':>7}")
        for method, path in sorted(set(one) | set(two), key=lambda k: (k[1], k[0])):
            print(f"{method + ' ' + path:70} {one[(method, path)]:7d} {two[(method, path)]:7d}")
        print(f"{'total':70} {sum(one.values()):7d} {sum(two.values()):7d}")
    print(f"\nFakeGitHub contract violations: {len(violations)}")
    for v in violations[:5]:
        print("  " + v.splitlines()[0])


def yes(good: bool) -> str:
    return "yes" if good else "NO"


if __name__ == "__main__":
    main()
