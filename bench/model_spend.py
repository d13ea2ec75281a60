"""What a model that hangs past BEADLE_MODEL_TIMEOUT costs a job before the note, against the
unbounded spend of before (the openai SDK's 3 retries in each of 5 attempts: 20 requests).

Both rows run the same App in this process, with FakeGitHub and a FakeModel that answers only
after ten timeouts, every duration scaled by --timeout / 300 (the default timeout): the bounded
row with the defaults (BEADLE_MODEL_MAX_REQUESTS 3, BEADLE_MODEL_MAX_SECONDS 900 → 3 timeouts,
BEADLE_MODEL_RETRIES 1), the baseline with the bounds lifted and 3 quick retries an attempt,
which asks as often as the SDK did. Quick-retry waits (0.5–8 s) are not scaled, so the wall
times read high for a small --timeout; the requests and the model time are what to read.

  python bench/model_spend.py [--timeout 1.0]
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:] = [ROOT, *(p for p in sys.path if os.path.abspath(p or ".") not in (HERE, ROOT))]

import argparse
import json
import tempfile
import time
from pathlib import Path

from bench.common import keypair
from tests.fakes.github import FakeGitHub
from tests.fakes.gitrepo import GitRepo
from tests.fakes.model import FakeModel
from tests.fakes.webhooks import pull_request_payload
from tests.harness import FEATURE_PY, ISSUE, REPO, SIZE_PY, Beadle, deliver, settings_env, wait_for


def run(timeout: float, extra: dict[str, str]) -> tuple[int, float, float]:
    """(requests, model seconds, wall seconds until the note)."""
    private, public = keypair()
    tmp = Path(tempfile.mkdtemp(prefix="beadle-spend-"))
    git = GitRepo(tmp / "widgets")
    issues = json.dumps(ISSUE) + "\n"
    git.commit({"widgets/size.py": SIZE_PY, ".beads/issues.jsonl": issues}, "Initial")
    git.commit({"widgets/size.py": FEATURE_PY}, "Reject negative sizes (bd-a3f8)", branch="feature")
    scale = timeout / 300
    with FakeGitHub(app_id=1, public_key_pem=public) as gh, FakeModel(latency=timeout * 10) as m:
        gh.add_repo(REPO, git)
        env = settings_env(
            gh,
            m,
            private_key=private,
            database_url=f"sqlite:///{tmp / 'beadle.sqlite3'}",
            BEADLE_MODEL_TIMEOUT=str(timeout),
            BEADLE_RETRY_BASE=str(5 * scale),
            **{"BEADLE_MODEL_MAX_SECONDS": str(900 * scale), **extra},
        )
        with Beadle(env) as app:
            number = gh.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
            began = time.monotonic()
            deliver(app.url, "pull_request", pull_request_payload(gh, REPO, number, "opened"))
            wait_for(
                lambda: [c for c in gh.issue_comments(REPO, number) if c["user"]["type"] == "Bot"],
                timeout=3600,
                what="the note",
            )
            wall = time.monotonic() - began
            [job] = app.runtime.store.recent_jobs()
    return job.spent.requests, job.spent.seconds, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timeout", type=float, default=1.0)
    args = parser.parse_args()
    t = args.timeout
    baseline = run(
        t,
        {
            "BEADLE_MODEL_MAX_REQUESTS": "100",
            "BEADLE_MODEL_MAX_SECONDS": "1e9",
            "BEADLE_MODEL_RETRIES": "3",
        },
    )
    bounded = run(t, {})
    print(f"a hanging model, BEADLE_MODEL_TIMEOUT={t:g} s (the defaults scaled by {t / 300:.4f})")
    print(f"{'':<34}{'requests':>9}{'model s':>9}{'timeouts':>9}{'wall s':>8}{'ratio':>7}")
    for name, (requests, seconds, wall) in (
        ("unbounded (as before: 4 × 5)", baseline),
        ("bounded (the defaults)", bounded),
    ):
        ratio = requests / baseline[0]
        print(f"{name:<34}{requests:>9}{seconds:>9.1f}{seconds / t:>9.1f}{wall:>8.1f}{ratio:>7.2f}")
    print(
        f"at the default timeout: {bounded[1] / t * 300 / 60:.0f} min of model time, "
        f"against {baseline[1] / t * 300 / 60:.0f} min"
    )


if __name__ == "__main__":
    main()
