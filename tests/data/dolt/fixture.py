"""Rebuild the beads project's `refs/dolt/data` tree in a throwaway git repository.

`beads-refs-dolt-data/TREE.tsv` lists every path of the real tree with its blob id; `blobs/`
holds the blobs that were available. Present blobs are written with `git hash-object -w` (their
ids must come out as listed); absent ones are named in the tree without their objects
(`git mktree --missing`), which is exactly what a reader meets when a fetch fails.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
BEADS = HERE / "beads-refs-dolt-data"


def tree_rows() -> list[tuple[str, str, str, bool]]:
    """(path, mode, blob id, present) for every path of the beads tree."""
    rows = []
    lines = (BEADS / "TREE.tsv").read_text().splitlines()[1:]
    for line in lines:
        path, mode, blob, _size, present = line.split("\t")
        rows.append((path, mode, blob, present == "yes"))
    return rows


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], input=stdin, capture_output=True, check=True
    )
    return done.stdout.decode().strip()


def _mktree(repo: Path, items: dict[str, tuple[str, str, str]]) -> str:
    listing = "".join(
        f"{mode} {kind} {sha}\t{name}\n" for name, (mode, kind, sha) in sorted(items.items())
    )
    return _git(repo, "mktree", "--missing", stdin=listing.encode())


def build_repo(
    repo: Path,
    skip: frozenset[str] = frozenset(),
    replace: dict[str, bytes] | None = None,
    drop: frozenset[str] = frozenset(),
) -> str:
    """Create a git repository at `repo` whose refs/dolt/data is the beads tree; return the
    commit. `skip` leaves blobs out but keeps them in the tree (as if their fetch failed);
    `replace` puts other bytes at a path, or adds the path (the tree names the new blob);
    `drop` removes paths from the tree."""
    replace = replace or {}
    repo.mkdir(parents=True, exist_ok=True)
    _git(repo, "init", "-q", ".")
    top: dict[str, tuple[str, str, str]] = {}
    subtrees: dict[str, dict[str, tuple[str, str, str]]] = {}
    rows = [r for r in tree_rows() if r[0] not in drop]
    listed = {r[0] for r in rows}
    rows += [(p, "100644", "", True) for p in sorted(replace) if p not in listed]
    for path, mode, blob, present in rows:
        if path in replace:
            write = [] if path in skip else ["-w"]
            blob = _git(repo, "hash-object", *write, "--stdin", stdin=replace[path])
        elif present and path not in skip:
            written = _git(repo, "hash-object", "-w", str(BEADS / "blobs" / path))
            assert written == blob, f"{path}: fixture blob id {blob} but bytes hash to {written}"
        if "/" in path:
            folder, name = path.split("/", 1)
            subtrees.setdefault(folder, {})[name] = (mode, "blob", blob)
        else:
            top[path] = (mode, "blob", blob)
    for folder, items in subtrees.items():
        top[folder] = ("040000", "tree", _mktree(repo, items))
    tree = _mktree(repo, top)
    env_args = ["-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    commit = _git(repo, *env_args, "commit-tree", tree, "-m", "refs/dolt/data fixture")
    _git(repo, "update-ref", "refs/dolt/data", commit)
    return commit
