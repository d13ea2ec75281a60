"""`beadle review` on a local range: a dry run and a full review (model stubbed), as a user runs
them (`python -m bot.cli review …`, a process each), against `git diff` of the same range.

Two checkouts are built in a temporary folder: a branch adding 1 file, and one adding 100 files
(40 lines of Python each), both with the beads issue in `.beads/issues.jsonl`. Per size and
command, after one untimed warm-up, --reps runs are timed from spawn to exit; the table shows
medians and their ratio to `git diff BASE HEAD` of the same range (the least any review must
do) and to a bare `python -c pass` (the interpreter's start). The full review asks FakeModel
on loopback, which answers at once; `--full` keeps every run a round one. Wall time on a
shared machine swings with its load; the CPU seconds of the child (from getrusage) do less, and
"CPU beyond floor" is what the review costs beyond importing the CLI (`python -c 'import bot.cli'`).

docs/design.md §9: `beadle review --dry-run` on a local 100-file range <= 2 s.

  python bench/cli_review.py [--quick] [--reps 5] [--sizes 1,100]
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
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from tests.fakes.gitrepo import GitRepo
from tests.fakes.model import FakeModel
from tests.harness import ISSUE

TARGET_DRY_100 = 2.0  # seconds, docs/design.md §9


def build(folder: Path, files: int) -> GitRepo:
    repo = GitRepo(folder)
    repo.commit(
        {"README.md": "# widgets\n", ".beads/issues.jsonl": json.dumps(ISSUE) + "\n"}, "start"
    )
    added = {
        f"widgets/part_{n:03d}.py": "".join(
            f"def size_{n}_{i}(value):\n    return max(value, {i})\n\n" for i in range(13)
        )
        + "# end\n"
        for n in range(files)
    }
    repo.commit(added, f"Add {files} size checks (bd-a3f8)", branch="feature")
    return repo


def timed(argv: list[str], *, cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def median(argv: list[str], *, cwd: Path, env: dict[str, str], reps: int) -> tuple[float, float]:
    timed(argv, cwd=cwd, env=env)  # warm-up: page cache, .pyc files
    runs = [timed(argv, cwd=cwd, env=env) for _ in range(reps)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--sizes", default="1,100")
    ap.add_argument("--quick", action="store_true", help="2 repetitions")
    args = ap.parse_args()
    reps = 2 if args.quick else args.reps
    sizes = [int(s) for s in args.sizes.split(",")]
    python = sys.executable
    review = [python, "-m", "bot.cli", "review"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp, FakeModel() as model:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": tmp,
            "PYTHONPATH": ROOT,
            "OPENAI_API_KEY": "sk-bench",
            "OPENAI_BASE_URL": model.base_url,
            "BEADLE_MODEL": "gpt-4.1",
            "BEADLE_MODEL_RETRIES": "0",
        }
        bare, _ = median([python, "-c", "pass"], cwd=Path(tmp), env=env, reps=reps)
        # what any `beadle` command pays before it starts: importing the CLI and its commands
        floor = median([python, "-c", "import bot.cli"], cwd=Path(tmp), env=env, reps=reps)
        for size in sizes:
            repo = build(Path(tmp) / f"r{size}", size)
            base = repo.merge_base("main", "feature")
            assert base is not None
            cases = {
                "git diff": ["git", "diff", base, "feature"],
                "review --dry-run": [*review, "--dry-run"],
                "review (model stubbed)": [*review, "--full"],
            }
            times = {
                name: median(argv, cwd=repo.path, env=env, reps=reps)
                for name, argv in cases.items()
            }
            git_wall = times["git diff"][0]
            for name, (seconds, cpu) in times.items():
                rows.append((size, name, seconds, cpu, seconds / git_wall, cpu - floor[1]))
    print(f"beadle review, local range; medians of {reps} runs")
    print(f"baselines: python -c pass {bare:.3f} s; python -c 'import bot.cli' {floor[0]:.3f} s")
    print(f"(wall), {floor[1]:.2f} s CPU: what any beadle command pays before it starts\n")
    print(
        f"{'files':>5}  {'command':24} {'wall s':>7} {'CPU s':>6} {'× git diff':>11} {'CPU beyond floor':>17}"
    )
    for size, name, seconds, cpu, vs_git, vs_floor in rows:
        beyond = f"{vs_floor:.2f}" if name.startswith("review") else "-"
        print(f"{size:>5}  {name:24} {seconds:>7.3f} {cpu:>6.2f} {vs_git:>11.0f} {beyond:>17}")
    dry = next((s for n, name, s, *_ in rows if n == 100 and name == "review --dry-run"), None)
    if dry is not None:
        verdict = "meets" if dry <= TARGET_DRY_100 else "misses"
        print(
            f"\n--dry-run at 100 files: {dry:.2f} s, {verdict} the target of {TARGET_DRY_100:.0f} s"
        )


if __name__ == "__main__":
    main()
