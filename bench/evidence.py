"""Reviews with evidence: how much of a follow-up prompt is a stable prefix, what the context
beyond the hunk costs, and the GitHub requests a round makes now.

Beadle's real Reviewer (built as Runtime builds it) reviews PRs that change one line inside a
function of each of 1, 100 and 1,000 Python modules, against FakeGitHub (real git behind a REST
server on loopback) and FakeModel (answers at once, finds one important and one minor issue on
added lines, and says every earlier finding was fixed). Per size: round one, a push that
changes one more module, round two.

- stable prefix: the longest common prefix of round one's and round two's prompts (system
  message, then the user message: what a provider's prefix cache can serve again), in
  estimated tokens, as a share of round two's prompt. The baseline is the same two rounds, in
  the same run, rendered with prompts/review.j2 as it was before the stable sections were moved
  to the front (`--baseline-rev`, default: the parent of the commit whose subject starts with
  "Prompt order:").
- context: the estimated tokens of round one's "Context Beyond the Diff" section, and its share
  of the prompt; the files read for it.
- requests: FakeGitHub's requests per round (installation token cached, settings cache cold),
  by endpoint for the `--detail` size.

  python bench/evidence.py [--quick] [--sizes 1,100,1000] [--detail 100] [--baseline-rev REV]
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:] = [ROOT, *(p for p in sys.path if os.path.abspath(p or ".") not in (HERE, ROOT))]

import argparse
import json
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

from bench.common import keypair
from bot.queue.request import ReviewRequest
from bot.review import templates
from bot.review.budget import estimate_tokens
from bot.review.round import ReviewConfig, Reviewer
from bot.runtime import Runtime
from bot.settings import load_settings
from tests.fakes.github import FakeGitHub
from tests.fakes.gitrepo import GitRepo
from tests.fakes.model import FakeModel
from tests.fakes.openapi import match_path
from tests.harness import ISSUE, REPO, settings_env

ONE_TIME = {("POST", "/app/installations/{installation_id}/access_tokens"), ("GET", "/app")}


def module(i: int, *, changed: bool) -> str:
    """A module of three functions; the PR changes one line in the middle of the first."""
    middle = "    total = width * height * 2\n" if changed else "    total = width * height\n"
    return (
        f'"""Shapes, part {i}."""\n\n\n'
        f"def area_{i}(width, height):\n"
        "    if width < 0 or height < 0:\n"
        '        raise ValueError("negative size")\n'
        "    width = float(width)\n"
        "    height = float(height)\n"
        "    if width == 0:\n"
        "        return 0.0\n"
        f"{middle}"
        "    if total > 1e9:\n"
        '        raise OverflowError("too large")\n'
        "    rounded = round(total, 3)\n"
        "    return rounded\n\n\n"
        f"def scale_{i}(value, factor):\n"
        f"    return area_{i}(value, value) * factor\n\n\n"
        f"def label_{i}(value):\n"
        '    return f"{value:.2f}"\n'
    )


def build_repo(path: Path, sizes: list[int]) -> GitRepo:
    git = GitRepo(path)
    files = {
        "README.md": "# shapes\n",
        ".beads/issues.jsonl": json.dumps(ISSUE) + "\n",
        "docs/plans/widgets-design.md": "# Design\nSizes are validated on entry.\n",
    }
    for n in sizes:
        files |= {f"src/s{n}/shape_{i:04d}.py": module(i, changed=False) for i in range(n)}
    git.commit(files, "Initial commit")
    for n in sizes:
        for variant in ("now", "before"):
            git.branch(f"pr-{n}-{variant}", "main")
            git.commit(
                {f"src/s{n}/shape_{i:04d}.py": module(i, changed=True) for i in range(n)},
                f"Double the areas in {n} modules (bd-a3f8)",
                branch=f"pr-{n}-{variant}",
            )
    return git


class Recording:
    """The model adapter, keeping the prompt of each call."""

    def __init__(self, inner) -> None:
        self.inner, self.prompts = inner, []

    def review(self, **kwargs):
        self.prompts.append(kwargs["system"] + kwargs["prompt"])
        return self.inner.review(**kwargs)


def reviewer(runtime: Runtime, model: Recording) -> Reviewer:
    s = runtime.settings
    config = ReviewConfig(
        model=s.model, context_tokens=s.context_tokens, answer_tokens=s.answer_tokens
    )
    return Reviewer(github=runtime.github, model=model, config=config)


def count(gh: FakeGitHub) -> Counter:
    calls: Counter = Counter()
    for r in gh.requests:
        key = (r.method, (match_path(r.path) or [r.path])[0])
        if key not in ONE_TIME:
            calls[key] += 1
    return calls


def two_rounds(gh: FakeGitHub, git: GitRepo, runtime: Runtime, n: int, variant: str) -> dict:
    branch = f"pr-{n}-{variant}"
    number = gh.open_pull(REPO, title=f"Double the areas (bd-a3f8), {n} files", head=branch)
    model = Recording(runtime.model)
    out: dict = {}
    for round_, job in ((1, f"{variant}-{n}-1"), (2, f"{variant}-{n}-2")):
        if round_ == 2:
            path = f"src/s{n}/shape_{0:04d}.py"
            git.commit({path: module(0, changed=True) + "# reviewed\n"}, "Follow-up", branch=branch)
            gh.sync_pull(REPO, number)
        gh.reset_requests()
        head = gh.pull(REPO, number)["head"]["sha"]
        request = ReviewRequest(repo=REPO, pr_number=number, installation_id=1, head_sha=head)
        outcome = reviewer(runtime, model).run(request, job_key=job)
        assert outcome.detail.startswith(f"round {round_}"), outcome.detail
        out[f"requests{round_}"] = count(gh)
    first, second = model.prompts
    out["prefix"] = estimate_tokens(common_prefix(first, second))
    out["r1"], out["r2"] = estimate_tokens(first), estimate_tokens(second)
    user = first.split("### Context Beyond the Diff", 1)
    out["context"] = (
        estimate_tokens("### Context" + user[1].split("**IMPORTANT**")[0]) if len(user) == 2 else 0
    )
    out["excerpts"] = user[1].count("\n```python\n") if len(user) == 2 else 0
    return out


def common_prefix(a: str, b: str) -> str:
    """The longest string both start with, character by character (a cache matches tokens; the
    estimate of this prefix is what it can match at most)."""
    n = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return a[:n]


def baseline_templates(rev: str | None, into: Path) -> str:
    """prompts/ with review.j2 as of `rev`; returns the revision used."""
    if rev is None:
        subjects = subprocess.run(
            ["git", "-C", ROOT, "log", "--format=%H %s", "--", "prompts/review.j2"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        reorder = next((line.split()[0] for line in subjects if " Prompt order:" in line), None)
        if reorder is None:
            raise SystemExit("no 'Prompt order:' commit found: give --baseline-rev")
        rev = f"{reorder}^"
    old = subprocess.run(
        ["git", "-C", ROOT, "show", f"{rev}:prompts/review.j2"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    shutil.copytree(templates._template_dir(), into, dirs_exist_ok=True)
    (into / "review.j2").write_text(old)
    return rev


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="1,100,1000", help="files per PR, comma-separated")
    p.add_argument("--detail", type=int, default=100, help="PR size whose requests are listed")
    p.add_argument("--baseline-rev", default=None, help="git revision of the baseline review.j2")
    p.add_argument("--quick", action="store_true", help="sizes 1,100")
    args = p.parse_args()
    sizes = [1, 100] if args.quick else [int(s) for s in args.sizes.split(",")]
    private, public = keypair()
    tmp = tempfile.TemporaryDirectory(prefix="beadle-bench-evidence-")
    git = build_repo(Path(tmp.name) / "shapes", sizes)
    before = Path(tmp.name) / "prompts-before"
    rev = baseline_templates(args.baseline_rev, before)
    now_dir = templates._template_dir()
    results: dict[tuple[int, str], dict] = {}
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
        for n in sizes:
            for variant, folder in (("before", str(before)), ("now", now_dir)):
                templates._template_dir = lambda folder=folder: folder  # the bench's switch
                templates.environment.cache_clear()
                results[(n, variant)] = two_rounds(gh, git, runtime, n, variant)
        runtime.store.close()
        violations = gh.contract_violations()
    tmp.cleanup()
    report(sizes, results, args.detail, rev, violations)


def report(sizes, results, detail, rev, violations) -> None:
    print(f"baseline: prompts/review.j2 at {rev}\n")
    print(
        f"{'files':>5} {'prompt r1':>9} {'prompt r2':>9} {'prefix':>7} {'share':>6} "
        f"{'before':>7} {'share':>6} {'ratio':>6}   {'context':>7} {'of r1':>6} {'excerpts':>8}"
    )
    for n in sizes:
        now, old = results[(n, "now")], results[(n, "before")]
        share, old_share = now["prefix"] / now["r2"], old["prefix"] / old["r2"]
        print(
            f"{n:5d} {now['r1']:9d} {now['r2']:9d} {now['prefix']:7d} {share:6.0%} "
            f"{old['prefix']:7d} {old_share:6.0%} {share / old_share:5.1f}x   "
            f"{now['context']:7d} {now['context'] / now['r1']:6.1%} {now['excerpts']:8d}"
        )
    print(
        "estimated tokens (bot/review/budget.py); prefix = common prefix of the round-one and "
        "round-two prompts;\nshare = prefix / round-two prompt; before = the same with the "
        "baseline template; context = round one's Context Beyond the Diff section"
    )
    print(f"\n{'files':>5} {'requests r1':>11} {'requests r2':>11}   (before the reorder: same)")
    for n in sizes:
        now = results[(n, "now")]
        print(f"{n:5d} {sum(now['requests1'].values()):11d} {sum(now['requests2'].values()):11d}")
    if (detail, "now") in results:
        one, two = results[(detail, "now")]["requests1"], results[(detail, "now")]["requests2"]
        print(f"\nGitHub requests of one round, {detail}-file PR (token cached, settings cold)")
        print(f"{'request':72} {'round 1':>7} {'round 2':>7}")
        for method, path in sorted(set(one) | set(two), key=lambda k: (k[1], k[0])):
            print(f"{method + ' ' + path:72} {one[(method, path)]:7d} {two[(method, path)]:7d}")
        print(f"{'total':72} {sum(one.values()):7d} {sum(two.values()):7d}")
    print(f"\nFakeGitHub contract violations: {len(violations)}")
    for v in violations[:5]:
        print("  " + v.splitlines()[0])


if __name__ == "__main__":
    main()
