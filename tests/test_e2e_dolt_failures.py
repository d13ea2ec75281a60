"""Dolt data Beadle cannot read is named in the review, never guessed, and the review still
happens: a chunk that fails its address check, a manifest of a version this reader does not
know, a blob GitHub does not have. Through the real app and the fake GitHub, the beads
project's own refs/dolt/data with one thing broken each time."""

from __future__ import annotations

import pytest

from tests.data.dolt.fixture import BEADS, build_repo, tree_rows
from tests.fakes.webhooks import pull_request_payload
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import REPO, deliver, wait_for

ROOT_FILE = "dcsml3s6crjt7ip5q9h0nqlc5dknf9t4"  # the table file holding the store's root chunk
ROOT_RECORD = 106  # where the root chunk's record starts in it (tests/test_dolt_reader.py)


def corrupt_root() -> dict[str, object]:
    data = bytearray((BEADS / "blobs" / ROOT_FILE).read_bytes())
    data[ROOT_RECORD + 3] ^= 0x20
    return {"replace": {ROOT_FILE: bytes(data)}}


def future_manifest() -> dict[str, object]:
    text = (BEADS / "blobs" / "manifest").read_text()
    return {"replace": {"manifest": ("6" + text[1:]).encode()}}


def missing_root_file() -> dict[str, object]:
    """The root's table file named in the tree but absent: bytes of its own (a blob no other
    test's cache holds), never written."""
    assert any(path == ROOT_FILE for path, *_ in tree_rows())
    data = (BEADS / "blobs" / ROOT_FILE).read_bytes() + b"\0"
    return {"replace": {ROOT_FILE: data}, "skip": frozenset({ROOT_FILE})}


@pytest.mark.parametrize(
    ("broken", "named"),
    [
        (
            corrupt_root,
            f"chunk ngf3f4o8edotjm2iegt42d8p604dgnqs in {ROOT_FILE} fails its address check",
        ),
        (future_manifest, "manifest version 6"),
        (missing_root_file, "(the store root) is in none of the table files that could be read"),
    ],
    ids=["corrupt chunk", "unsupported version", "missing blob"],
)
def test_dolt_data_that_cannot_be_read_is_named_and_the_review_still_happens(
    github, model, beadle, git, broken, named
):
    build_repo(git.path, **broken())  # type: ignore[arg-type]
    number = github.open_pull(REPO, title="Prepare the release (bd-5l7jm)", head="feature")
    deliver(beadle.url, "pull_request", pull_request_payload(github, REPO, number, "opened"))
    [review] = wait_for(lambda: github.reviews(REPO, number), what="a review")
    body = review["body"]
    assert "`refs/dolt/data` could not be read" in body and named in body
    # The PR names bd-5l7jm (the Dolt data's) first and bd-a3f8 (the JSONL's) in its commits:
    # with the Dolt data unreadable, the review is against the one Beadle could read.
    assert "### Beads Issue ID: bd-a3f8" in model.prompts[0]
    assert "Beads v1.1 release" not in model.prompts[0]  # nothing guessed
    assert github.contract_violations() == []
