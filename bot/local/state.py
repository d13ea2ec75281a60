"""The reviews `beadle review` made in this checkout, kept in `.git/beadle/reviews.json`.

A posted review's hidden marker is the App's memory of a round (bot/review/marker.py); a local
review keeps the same marker here, per branch, so the next `beadle review` on that branch is
round two over the new commits, with a verdict on every earlier finding. The file lives in the
git directory: never committed, gone with the checkout. A damaged file is ignored, not fatal.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from bot.local.git import Git

FILE = Path("beadle") / "reviews.json"
KEEP = 20  # reviews remembered per branch
DETACHED = "(detached HEAD)"

Doc = dict[str, Any]


def state_file(git: Git) -> Path | None:
    folder = git.line("rev-parse", "--absolute-git-dir")
    return Path(folder) / FILE if folder else None


def load(path: Path | None) -> Doc:
    if path is None:
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) and isinstance(doc.get("branches"), dict) else {}


def key(branch: str, *, base: str) -> str:
    """Where a range's rounds are remembered: its branch; a detached head by its base too, so
    unrelated detached ranges never continue each other's rounds. Pure."""
    return branch or f"{DETACHED} from {base[:12]}"


def markers(doc: Doc, branch: str) -> list[str]:
    """The markers of the reviews remembered for `branch`, oldest first; pure."""
    entries = doc.get("branches", {}).get(branch or DETACHED, [])
    if not isinstance(entries, list):
        return []
    return [
        e["marker"] for e in entries if isinstance(e, dict) and isinstance(e.get("marker"), str)
    ]


def remembered(doc: Doc, branch: str, entry: dict[str, Any]) -> Doc:
    """`doc` with one more review for `branch` (the oldest dropped past KEEP); pure."""
    branches = dict(doc.get("branches") or {})
    key = branch or DETACHED
    entries = [e for e in branches.get(key, []) if isinstance(e, dict)]
    branches[key] = [*entries, entry][-KEEP:]
    return {"version": 1, "branches": branches}


def save(path: Path, doc: Doc) -> None:
    """Written whole and renamed into place: a crash leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".reviews-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(doc, out, indent=1)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
