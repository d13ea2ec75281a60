"""Where `beadle review` finds the issue of a local range: `--issue-json FILE`, else `bd show ID
--json` (a fake `bd` on PATH, written by the test, printing each of bd's output shapes), else
the repository's own data (JSONL at the head, the Dolt data of refs/dolt/data)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.data.dolt.fixture import build_repo
from tests.fakes.bd import FakeBd, tool_path
from tests.fakes.gitrepo import GitRepo
from tests.fakes.model import FakeModel
from tests.harness import FEATURE_PY, ISSUE, SIZE_PY
from tests.test_cli_review import beadle_review, model_env

BD_ISSUE = {
    **ISSUE,
    "title": "Validate widget sizes (as bd has it)",
    "description": "bd says: widgets must reject negative sizes.",
    "dependencies": [
        {"id": "bd-base", "title": "Widgets", "status": "closed", "dependency_type": "parent-child"}
    ],
}


@pytest.fixture
def fake_bd(tmp_path: Path) -> FakeBd:
    return FakeBd(tmp_path / "bd", BD_ISSUE)


def checkout(path: Path, *, jsonl: bool) -> GitRepo:
    repo = GitRepo(path)
    files = {"README.md": "# widgets\n", "widgets/size.py": SIZE_PY}
    if jsonl:
        files[".beads/issues.jsonl"] = json.dumps(ISSUE) + "\n"
    repo.commit(files, "Initial commit")
    repo.commit(
        {"widgets/size.py": FEATURE_PY}, "Reject negative sizes (bd-a3f8)", branch="feature"
    )
    return repo


def dry_json(repo: GitRepo, *args: str, env: dict[str, str]) -> dict:
    done = beadle_review("--dry-run", "--format", "json", *args, cwd=repo.path, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("mode", ["legacy", "bare-array", "envelope", "envelope-array"])
def test_every_shape_of_bd_show_reaches_the_prompt(tmp_path, fake_bd, mode):
    repo = checkout(tmp_path / "widgets", jsonl=False)
    got = dry_json(repo, env=fake_bd.env(mode))
    assert fake_bd.calls() == [["show", "bd-a3f8", "--json"]]
    assert got["issue"]["id"] == "bd-a3f8"
    assert got["issue"]["title"] == "Validate widget sizes (as bd has it)"
    assert got["issue"]["source"] == "`bd show bd-a3f8 --json`"
    assert "bd says: widgets must reject negative sizes." in got["prompt"]["user"]
    assert "schema_version" not in got["prompt"]["user"]


def test_bd_is_asked_before_the_repository_file(tmp_path, fake_bd):
    repo = checkout(tmp_path / "widgets", jsonl=True)
    got = dry_json(repo, env=fake_bd.env("envelope"))
    assert got["issue"]["source"] == "`bd show bd-a3f8 --json`"


def test_a_bd_error_falls_back_to_the_repository_file(tmp_path, fake_bd):
    repo = checkout(tmp_path / "widgets", jsonl=True)
    got = dry_json(repo, env=fake_bd.env("error"))
    assert got["issue"]["title"] == "Validate widget sizes"
    assert got["issue"]["source"].startswith("`.beads/issues.jsonl` at ")


def test_without_the_issue_anywhere_the_review_says_why(tmp_path, fake_bd):
    repo = checkout(tmp_path / "widgets", jsonl=False)
    got = dry_json(repo, env=fake_bd.env("error"))
    assert got["issue"] is None
    note = got["issue_note"]
    assert note.startswith("`bd show` failed: no issue found matching 'bd-a3f8' (not_found). ")
    # then what the App says of the repository's own data (bot/beads/sources)
    assert "the repository has no beads JSONL file at this head" in note
    assert "no beads Dolt data (`refs/dolt/data`)" in note
    assert "### Beads Issue ID: none found" in got["prompt"]["user"]
    assert note in got["prompt"]["user"]
    with FakeModel() as model:
        env = {**fake_bd.env("error"), **model_env(model)}
        done = beadle_review(cwd=repo.path, env=env)
    assert done.returncode == 0, done.stderr
    assert "> **Note:** `bd show` failed: no issue found matching 'bd-a3f8'" in done.stdout
    assert "Issue: none. `bd show` failed: " in done.stdout


def test_issue_json_wins_and_bd_is_not_asked(tmp_path, fake_bd):
    repo = checkout(tmp_path / "widgets", jsonl=True)
    issue_file = tmp_path / "issue.json"
    issue_file.write_text(
        json.dumps({"schema_version": 1, "data": [{**BD_ISSUE, "title": "From a file"}]})
    )
    got = dry_json(repo, "--issue-json", str(issue_file), env=fake_bd.env("legacy"))
    assert got["issue"]["title"] == "From a file"
    assert got["issue"]["source"] == f"`--issue-json {issue_file}`"
    assert fake_bd.calls() == []
    jsonl = tmp_path / "issues.jsonl"
    jsonl.write_text(
        json.dumps({**ISSUE, "id": "bd-zz9q", "title": "Other"}) + "\n" + json.dumps(ISSUE) + "\n"
    )
    got = dry_json(repo, "--issue-json", str(jsonl), env=fake_bd.env("legacy"))
    assert got["issue"]["id"] == "bd-a3f8"  # of two, the one the branch names
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    done = beadle_review("--dry-run", "--issue-json", str(bad), cwd=repo.path)
    assert done.returncode == 2 and "no beads issue in it" in done.stderr


def test_issue_names_the_id_to_ask_bd_for(tmp_path, fake_bd):
    repo = checkout(tmp_path / "widgets", jsonl=False)
    got = dry_json(repo, "--issue", "bd-other", env=fake_bd.env("legacy"))
    assert fake_bd.calls() == [["show", "bd-other", "--json"]]
    assert got["issue"]["id"] == "bd-a3f8"  # bd answered with what it had (a short id's full)


def test_the_dolt_data_of_refs_dolt_data_is_read(tmp_path):
    """The beads project's own refs/dolt/data (tests/data/dolt), with a branch naming one of
    its issues; no JSONL, no bd: the issue comes from the Dolt data, and what could not be
    read of it (blobs absent from the fixture) is named."""
    path = tmp_path / "beads"
    build_repo(path)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}

    def git(*args: str) -> None:
        subprocess.run(
            ["git", *args], cwd=path, check=True, capture_output=True, env={**os.environ, **env}
        )

    git("checkout", "-q", "-b", "main")
    (path / "README.md").write_text("beads\n")
    git("add", "README.md")
    git("commit", "-q", "-m", "start")
    git("checkout", "-q", "-b", "fix/bd-5l7jm-release-notes")
    (path / "CHANGELOG.md").write_text("## 1.1\n- notes\n")
    git("add", "CHANGELOG.md")
    git("commit", "-q", "-m", "Release notes")
    repo = GitRepo(path)
    got = dry_json(repo, env={"PATH": tool_path()})
    assert got["issue"]["id"] == "bd-5l7jm"
    assert got["issue"]["title"] == "Beads v1.1 release"
    assert got["issue"]["source"].startswith("beads Dolt data at ")
    assert got["issue"]["source"].endswith(" (`refs/dolt/data`)")
    assert any("labels of bd-5l7jm could not be read" in n for n in got["notes"])
    assert "# Beads v1.1 Release" in got["prompt"]["user"]
    missing = dry_json(repo, "--issue", "bd-nope", env={"PATH": tool_path()})
    assert missing["issue"] is None
    assert missing["issue_note"].startswith("`bd` is not on PATH. No beads issue could be read:")
    assert "names `bd-nope`" in missing["issue_note"]
