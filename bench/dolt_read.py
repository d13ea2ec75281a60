"""Reading beads' issues from Dolt data: cold, warm from the blob cache, warm in memory.

The beads project's real refs/dolt/data (tests/data/dolt, 2,052 issues) is rebuilt as a git ref
in a throwaway repository and read with `LocalGitFiles` through `CachedFiles` (an on-disk
`BlobCache`), the way the review reads it, counting the blob reads that reach git:

  cold          new process: no decoded index in memory, empty blob cache
  warm disk     new process, blob cache filled by the cold read: no blob fetched
  warm memory   same process: decoded indexes kept, blob cache filled
  all issues    find_issue for every id (a warm-memory reader), records per second

Each reader lists every issue id and reads one issue with its comments (bd-5l7jm). The
baseline, measured in the same run, reads the same blobs the cold read fetched with the same
adapter and hashes them with SHA-512: what any reader of those bytes must at least pay. Times
are medians of --reps runs; peak memory is tracemalloc's peak in one more run of each.

  python bench/dolt_read.py [--quick] [--reps 7]
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# The repository root first (for `tests.data`); bench/ never, so no script name can shadow
# a standard module.
sys.path[:] = [ROOT, *(p for p in sys.path if os.path.abspath(p or ".") not in (HERE, ROOT))]

import argparse
import hashlib
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from bot.beads.dolt import BeadsDolt, BlobCache, CachedFiles, CountingFiles, LocalGitFiles
from bot.beads.dolt.storage.chunks import forget_indexes
from tests.data.dolt.fixture import build_repo

ISSUE = "bd-5l7jm"


def read_once(repo: Path, cache: BlobCache, cold: bool) -> dict[str, float]:
    """One reader: all ids and one issue. Returns rows, reads and bytes that reached git."""
    if cold:
        forget_indexes()
    counting = CountingFiles(LocalGitFiles(str(repo)))
    beads = BeadsDolt(CachedFiles(counting, cache))
    ids = beads.issue_ids()
    issue = beads.find_issue(ISSUE)
    assert issue is not None and issue.record["title"] == "Beads v1.1 release"
    return {"rows": len(ids) + 1, "reads": counting.reads, "bytes": counting.bytes}


def all_issues(repo: Path, cache: BlobCache) -> dict[str, float]:
    beads = BeadsDolt(CachedFiles(LocalGitFiles(str(repo)), cache))
    ids = beads.issue_ids()
    found = sum(beads.find_issue(i) is not None for i in ids)
    assert found == len(ids) == 2052
    return {"rows": found, "reads": 0, "bytes": 0}


def baseline(repo: Path, paths: list[str]) -> dict[str, float]:
    files = LocalGitFiles(str(repo))
    total = 0
    for path in paths:
        data = files.read(path)
        hashlib.sha512(data).digest()
        total += len(data)
    return {"rows": 0, "reads": len(paths), "bytes": total}


def measure(
    fn: Callable[[], dict[str, float]], reps: int, before: Callable[[], None] = lambda: None
) -> dict[str, float]:
    times = []
    result: dict[str, float] = {}
    for _ in range(reps):
        before()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    before()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {**result, "ms": statistics.median(times) * 1000, "peak": peak / 2**20}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--reps", type=int, default=7, help="timed runs per scenario (median)")
    p.add_argument("--quick", action="store_true", help="2 runs each, no all-issues pass")
    args = p.parse_args()
    reps = 2 if args.quick else args.reps
    holder = tempfile.TemporaryDirectory(prefix="beadle-bench-dolt-")
    tmp = Path(holder.name)
    start = time.perf_counter()
    repo = tmp / "repo"
    build_repo(repo)
    print(
        f"dolt_read: beads refs/dolt/data rebuilt in {time.perf_counter() - start:.1f} s; "
        f"{reps} runs per scenario"
    )

    cache_dir = tmp / "cache"

    def empty_cache() -> None:
        for f in cache_dir.glob("*"):
            f.unlink()

    cold_cache = BlobCache(cache_dir)
    probe = CountingFiles(LocalGitFiles(str(repo)))
    forget_indexes()
    beads = BeadsDolt(probe)
    beads.issue_ids()
    beads.find_issue(ISSUE)
    fetched = list(probe.paths)

    rows = {
        "baseline": measure(lambda: baseline(repo, fetched), reps),
        "cold": measure(lambda: read_once(repo, cold_cache, cold=True), reps, empty_cache),
    }
    rows["warm disk"] = measure(lambda: read_once(repo, cold_cache, cold=True), reps)
    rows["warm memory"] = measure(lambda: read_once(repo, cold_cache, cold=False), reps)
    if not args.quick:
        rows["all issues"] = measure(lambda: all_issues(repo, cold_cache), max(reps // 3, 1))
    holder.cleanup()
    report(rows)


def report(rows: dict[str, dict[str, float]]) -> None:
    base = rows["baseline"]["ms"]
    print(
        f"\n{'scenario':12} {'rows':>6} {'blob':>5} {'bytes':>10} {'time':>8} {'/base':>6} "
        f"{'peak':>6} {'rows/s':>8}"
    )
    print(f"{'':12} {'':>6} {'reads':>5} {'fetched':>10} {'ms':>8} {'':>6} {'MiB':>6}")
    for name, r in rows.items():
        rate = r["rows"] / (r["ms"] / 1000) if r["rows"] else 0
        print(
            f"{name:12} {int(r['rows']):6d} {int(r['reads']):5d} {int(r['bytes']):10,d} "
            f"{r['ms']:8.1f} {r['ms'] / base:5.1f}x {r['peak']:6.1f} {rate:8,.0f}"
        )
    print(
        "rows = issue ids decoded + records built; blob reads and bytes = what reached git "
        "(cache misses);\nbaseline = read the cold run's blobs through the same adapter and "
        "SHA-512 them; times are medians"
    )


if __name__ == "__main__":
    main()
