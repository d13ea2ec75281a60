"""The issue id a pull request names (search order, id shapes, false positives) and the paths an
issue names."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import pytest

from bot.beads.ids import find_issue_id
from bot.beads.jsonl import BeadsIssue, parse_issues
from bot.beads.paths import referenced_paths


def line(**fields: Any) -> str:
    return json.dumps(fields)


# --- find_issue_id --------------------------------------------------------------------------


def find(
    title: str = "",
    body: str | None = None,
    branch: str = "",
    commits: tuple[str, ...] = (),
    known: set[str] | None = None,
) -> str | None:
    return find_issue_id(
        title=title, body=body, branch=branch, commit_messages=commits, known_ids=known
    )


def test_search_order_title_body_branch_commits() -> None:
    everywhere = {
        "title": "Add login (bd-t1tl)",
        "body": "Implements bd-b0dy",
        "branch": "feature/bd-br4n-login",
        "commits": ("Fix auth validation (bd-c0m1)", "Other (bd-c0m2)"),
    }
    assert find(**everywhere) == "bd-t1tl"
    assert find(**dict(everywhere, title="Add login")) == "bd-b0dy"
    assert find(**dict(everywhere, title="Add login", body=None)) == "bd-br4n"
    assert find(**dict(everywhere, title="Add login", body="", branch="main")) == "bd-c0m1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fix auth validation (bd-abc)", "bd-abc"),
        ("Fix auth validation [bd-abc]", "bd-abc"),
        ("Closes bd-abc", "bd-abc"),
        ("Implements: bd-xyz", "bd-xyz"),
        ("beads: proj-qrs", "proj-qrs"),
        ("work on citations-0o2 today", "citations-0o2"),
        ("child bd-a3f8.1.2 done", "bd-a3f8.1.2"),
        ("old style (bd-123)", "bd-123"),  # bare, a sequential id needs the project prefix
        ("Case kept (gt-gastown-polecat-Toast)", None),  # a hand-made id needs its prefix known
        ("UPPER CASE BD-A3F8", None),  # ids are case-sensitive; beads writes hashes lower-case
        ("Closes bd-Kwro", None),
        ("my-app-a3f8 is the id", "my-app-a3f8"),
        ("see bd-a3f8.", "bd-a3f8"),
        ("[bd-abc] Fix auth", "bd-abc"),
        ("Fix auth (bd-abc, bd-def)", "bd-abc"),
        ("Fix auth (bd-abc).\nSigned-off-by: Ana", "bd-abc"),
        ("Closes bd-abc.", "bd-abc"),
        ("Fixes #bd-abc\nand more", "bd-abc"),
    ],
)
def test_id_shapes(text: str, expected: str | None) -> None:
    assert find(title=text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "fix-typo in README",
        "set up pre-commit",
        "decode as utf-8 (utf-8) and UTF-16",
        "build for x86-64",
        "a follow-up to the e2e tests",
        "see https://example.com/pr-1234x/abc-9z9 and www.site-42a.com/x",
        "mail jo-abc9@example.com",
        "sha-256 and iso-8601 dates, rfc-3339",
        "upgrade to gpt-4o",
        "Fixes pre-commit config",
        "step-1, phase-2",
        "bd-abc without cue",  # no digit, no cue: needs known_ids
        "Fixes off-by-one error",  # a cue word, but the clause goes on
        "Fixed race-condition in parser",
        "Issue: memory-leak in worker",
        "Task: add-login-form.",
        "Use a lock (thread-safe) here",  # parentheses, but not ending the line
        "This is fixed in-place.",
        "2025-11-21",
    ],
)
def test_false_positives(text: str) -> None:
    assert find(title=text, body=text, branch=text, commits=(text,)) is None


def test_branch_forms() -> None:
    assert find(branch="bd-a3f8") == "bd-a3f8"
    assert find(branch="feature/bd-a3f8-login") == "bd-a3f8"
    assert find(branch="feature/bd-abc-login", known={"bd-abc"}) == "bd-abc"
    assert find(branch="feature/bd-abc-login") is None


def test_known_ids_are_preferred_in_search_order() -> None:
    known = {"bd-abc", "bd-def"}
    # The title's explicit id is not a known id; the body's bare one is, and it does not outrank
    # an explicit id. Between explicit ids search order decides.
    assert find(title="Refs (bd-a1b2)", body="part of bd-def", known=known) == "bd-a1b2"
    assert find(title="fix-typo", commits=("x (bd-zzz)", "y (bd-abc)"), known=known) == "bd-zzz"
    # A bare known id outranks a bare unknown one.
    assert find(title="Bump bd-a1b2 parser", body="part of bd-def", known=known) == "bd-def"
    # Known ids keep their case, and match another case when only one known id folds so.
    assert find(title="BD-ABC", known={"BD-ABC"}) == "BD-ABC"
    assert find(title="UPPER CASE BD-A3F8", known={"bd-a3f8"}) == "bd-a3f8"
    assert find(title="Stop (gt-gastown-polecat-Toast)", known={"gt-gastown-polecat-Toast"}) == (
        "gt-gastown-polecat-Toast"
    )
    # No known candidate at all: the rule for unknown ids applies.
    assert find(title="Refs (bd-a1b2)", known=known) == "bd-a1b2"
    # A known id hidden inside a longer hyphenated word is still found.
    assert find(branch="wip-bd-abc-login", known=known) == "bd-abc"


def test_nothing_found() -> None:
    assert find(title="Update README", body=None, branch="main", commits=("wip",)) is None


# --- referenced_paths -----------------------------------------------------------------------


def issue_with(**text: str) -> BeadsIssue:
    base = parse_issues(line(id="bd-a1"))["bd-a1"]
    return replace(base, **text)


def test_paths_from_the_seed_issue() -> None:
    description = """## Files
- Create: tests/test_async_jobs_integration.py
- Create: tests/fixtures/test_citations.py
- Reference: docs/plans/2025-11-21-async-polling-timeout-fix-design.md (Testing section)

## Verification
Run: pytest tests/test_async_jobs_integration.py -m integration -v
"""
    assert referenced_paths(issue_with(description=description)) == [
        "tests/test_async_jobs_integration.py",
        "tests/fixtures/test_citations.py",
        "docs/plans/2025-11-21-async-polling-timeout-fix-design.md",
    ]


def test_paths_are_cleaned_and_deduplicated_across_fields() -> None:
    issue = issue_with(
        description="Edit `bot/store.py` and 'README.md'. Also \"setup.cfg\", and (bot/web.py).",
        design="Touch bot/store.py:42, ./bot/cli.py#L10 and [docs](docs/guide.md).",
        acceptance_criteria="tests/test_x.py::test_y passes; see .github/workflows/ci.yml",
        notes="Dockerfile, Makefile and .beads/issues.jsonl!",
    )
    assert referenced_paths(issue) == [
        "bot/store.py",
        "README.md",
        "setup.cfg",
        "bot/web.py",
        "bot/cli.py",
        "docs/guide.md",
        "tests/test_x.py",
        ".github/workflows/ci.yml",
        "Dockerfile",
        "Makefile",
        ".beads/issues.jsonl",
    ]


def test_not_paths() -> None:
    issue = issue_with(
        description=(
            "See https://github.com/org/repo/blob/main/docs/x.md and www.example.com/a/b.md, "
            "mail ana@example.com/x.md. Absolute /etc/passwd.conf and ~/notes/todo.md and "
            "../outside/secret.py and a/../b.py. Words: e.g. i.e. v1.2.3 and/or Node.js, "
            "Vue.js, bot.store module, example.com/page.html, tests/*.py, 3.5x faster, "
            "C:\\Users\\x\\file.txt, docs/plans/ (a directory)"
        )
    )
    assert referenced_paths(issue) == []


def test_pathological_text_stays_fast() -> None:
    long_word = "-".join(["ab"] * 20_000)
    start = time.perf_counter()
    assert (
        find(
            title=long_word,
            body="a@" * 30_000,
            branch=":/" * 30_000,
            commits=("x" * 60_000,),
            known={"bd-abc"},
        )
        is None
    )
    referenced_paths(issue_with(description=long_word + " " + "a." * 30_000))
    assert time.perf_counter() - start < 60  # a hang guard: a regex gone quadratic takes hours
