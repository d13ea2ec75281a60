"""One issue from a 20 MB beads JSONL file: cold, and warm (the same blob), against json.loads.

A JSONL export of the size real projects reach (docs/design.md §5: 1 to 20 MB) is generated:
bd's own line shapes (`{"id":…` and, from v1.0.3, `{"_type":"issue","id":…`), markdown
descriptions, labels, dependencies, comments on some issues, union-merge duplicates, a memory
line and a schema header. Then, in the same run:

  baseline      json.loads over every line (bytes split on newlines): what reading the file
                record by record costs at least
  cold index    JsonlIndex.build + find: the one-pass index and the one issue (no cache)
  cold lookup   BeadsSources.find through the sources port, fresh caches: listing, blob, index,
                id search with the file's ids as known ids, the issue with its context
  warm lookup   the same call again (the same blob SHA): the parse comes from the memo
  warm find     JsonlIndex.find on the kept index: the part a second read of the file costs

Times are medians of --reps runs; peak memory is tracemalloc's peak of one more run of each
(above what was allocated before it; the file's own bytes are outside every measure). Targets
(docs/design.md §9): cold ≤ 1 s, warm ≤ 10 ms.

  python bench/beads_jsonl.py [--quick] [--size-mb 20] [--reps 5]
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# The repository root first; bench/ never, so no script name can shadow a standard module.
sys.path[:] = [ROOT, *(p for p in sys.path if os.path.abspath(p or ".") not in (HERE, ROOT))]

import argparse
import hashlib
import json
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from bot.beads.jsonl_index import JsonlIndex
from bot.beads.sources import BeadsSources, Memo, PullText

WORDS = (
    "widget size check retry cache export sync branch token review prompt budget model "
    "issue dolt table index parse stream blob commit tree label parent child depends"
).split()


def generate(size: int, seed: int = 7) -> tuple[bytes, str, str]:
    """(file bytes, an id in the middle, the id on the last line)."""
    rnd = random.Random(seed)
    lines = ['{"_schema":"beads-jsonl/1","exported_at":"2026-11-30T10:00:00Z"}']
    total, n = len(lines[0]), 0
    ids: list[str] = []
    while total < size:
        issue_id = f"bd-{n:06x}"[:3] + format(rnd.getrandbits(30), "x")[:6]
        ids.append(issue_id)
        text = " ".join(rnd.choices(WORDS, k=rnd.randint(60, 180)))
        record: dict[str, Any] = {
            "id": issue_id,
            "title": " ".join(rnd.choices(WORDS, k=6)).capitalize(),
            "description": f"## Goal\n{text}\n\n## Notes\n- {rnd.choice(WORDS)}\n",
            "acceptance_criteria": "- " + "\n- ".join(rnd.choices(WORDS, k=5)),
            "status": rnd.choice(["open", "in_progress", "closed"]),
            "priority": rnd.randint(0, 4),
            "issue_type": rnd.choice(["task", "bug", "feature", "epic"]),
            "created_at": f"2026-{rnd.randint(1, 11):02d}-{rnd.randint(1, 28):02d}T10:00:00Z",
            "updated_at": "2026-11-29T10:00:00Z",
            "labels": rnd.sample(WORDS, 2),
        }
        if len(ids) > 1 and rnd.random() < 0.5:
            record["dependencies"] = [
                {"issue_id": issue_id, "depends_on_id": rnd.choice(ids[:-1]), "type": "blocks"}
            ]
        if rnd.random() < 0.3:
            record["comments"] = [
                {
                    "id": f"c{n}-{k}",
                    "issue_id": issue_id,
                    "author": rnd.choice(WORDS),
                    "text": " ".join(rnd.choices(WORDS, k=30)),
                    "created_at": "2026-11-02T10:00:00Z",
                }
                for k in range(rnd.randint(1, 4))
            ]
        if n % 2:
            record = {"_type": "issue", **record}
        line = json.dumps(record, separators=(",", ":"))
        lines.append(line)
        total += len(line) + 1
        if rnd.random() < 0.02:  # a union merge kept an older copy
            lines.append(line.replace("2026-11-29T10", "2026-11-28T10"))
        if n == 100:
            lines.append('{"_type":"memory","id":"m-1","text":"remember this"}')
        n += 1
    return ("\n".join(lines) + "\n").encode(), ids[len(ids) // 2], ids[-1]


class Entry(NamedTuple):
    name: str
    kind: str
    sha: str
    size: int


class OneFile:
    """The sources port over one `.beads/issues.jsonl` already in memory (no hashing per call,
    no HTTP): what the lookup itself costs."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.entry = Entry("issues.jsonl", "file", hashlib.sha1(data).hexdigest(), len(data))
        self.blobs = 0

    def tree_entries(self, path: str, ref: str) -> Sequence[Entry] | None:
        return [self.entry] if path == ".beads" else None

    def blob(self, sha: str) -> bytes:
        self.blobs += 1
        return self.data

    def branch_sha(self, name: str) -> str | None:
        return None

    def ref_sha(self, name: str) -> str | None:
        return None

    def commit_tree(self, commit_sha: str) -> str:
        raise KeyError(commit_sha)

    def tree(self, tree_sha: str) -> Sequence[tuple[str, str, str, int | None]]:
        raise KeyError(tree_sha)


def baseline(data: bytes) -> int:
    count = 0
    for line in data.split(b"\n"):
        if line.strip():
            json.loads(line)
            count += 1
    return count


def timed(fn: Callable[[], object], reps: int) -> tuple[float, float]:
    """(median seconds, peak bytes of one traced run)."""
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    return statistics.median(times), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=20.0)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 MB, 2 reps")
    args = parser.parse_args()
    size_mb, reps = (2.0, 2) if args.quick else (args.size_mb, args.reps)

    data, middle, last = generate(int(size_mb * 1024 * 1024))
    lines = data.count(b"\n")
    print(f"{len(data) / 1e6:.1f} MB, {lines:,} lines; looking up {middle} and {last}\n")

    def cold_index() -> None:
        index = JsonlIndex.build(data)
        found = index.find(middle)
        assert found is not None and found.issue is not None

    def lookup(sources: BeadsSources, repo: OneFile, issue_id: str) -> Callable[[], None]:
        def run() -> None:
            got = sources.find(
                repo,
                head="h" * 40,
                pull=PullText(f"Work on it ({issue_id})", None, "feature"),
                commit_messages=list,
            )
            assert got.issue is not None and got.issue.id == issue_id, got.reason

        return run

    def cold_lookup() -> None:
        lookup(BeadsSources(errors=(KeyError,), memo=Memo()), OneFile(data), middle)()

    warm_sources, warm_repo = BeadsSources(errors=(KeyError,), memo=Memo()), OneFile(data)
    lookup(warm_sources, warm_repo, middle)()  # fills the memo
    kept = JsonlIndex.build(data)

    rows = [
        ("baseline: json.loads every line", lambda: baseline(data), None),
        ("cold index: build + find", cold_index, 1.0),
        ("cold lookup: BeadsSources.find", cold_lookup, 1.0),
        ("warm lookup: same blob", lookup(warm_sources, warm_repo, middle), 0.010),
        ("warm lookup: last line", lookup(warm_sources, warm_repo, last), 0.010),
        ("warm find: JsonlIndex.find", lambda: kept.find(middle), 0.010),
    ]
    results = [(name, *timed(fn, reps), target) for name, fn, target in rows]
    base_time, base_peak = results[0][1], results[0][2]
    print(f"{'measure':34} {'median':>10} {'x baseline':>11} {'peak MB':>9} {'x base':>7}  target")
    for name, seconds, peak, target in results:
        goal = (
            ""
            if target is None
            else f"≤ {target * 1000:g} ms " + ("met" if seconds <= target else "MISSED")
        )
        print(
            f"{name:34} {seconds * 1000:8.2f}ms {seconds / base_time:10.3f}x "
            f"{peak / 1e6:9.1f} {peak / base_peak:6.2f}x  {goal}"
        )
    assert warm_repo.blobs == 1, "the warm lookups fetched the blob again"
    print(
        f"\nblob fetched once for {1 + 2 * (reps + 1)} warm lookups; memo: {warm_sources.memo.size / 1e6:.1f} MB held"
    )


if __name__ == "__main__":
    main()
