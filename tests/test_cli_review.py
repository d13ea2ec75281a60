"""`beadle review` over a local range, run as a user runs it (`python -m bot.cli review …` in a
process of its own) against a real git checkout and the fake model on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.gitrepo import GitRepo
from tests.fakes.model import FakeModel, reviewer_answer
from tests.harness import FEATURE_PY, ISSUE, SIZE_PY

ROOT = Path(__file__).resolve().parents[1]
FIXED_PY = FEATURE_PY.replace(
    "raise ValueError('negative')", "raise ValueError(f'negative: {value}')"
)


def beadle_review(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command in a fresh process, with nothing from this environment but PATH (so no
    `.env`, no OPENAI_* of the developer's) and this tree's `bot` package."""
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "review", *args],
        env={**base, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def model_env(model: FakeModel) -> dict[str, str]:
    return {
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "OPENAI_BASE_URL": model.base_url,
        "BEADLE_MODEL": "fake-model",
        "BEADLE_MODEL_RETRIES": "0",
    }


def checkout(path: Path) -> GitRepo:
    """main with the issue in `.beads/issues.jsonl`; branch `feature` (checked out) with one
    commit that names it."""
    repo = GitRepo(path)
    repo.commit(
        {
            "README.md": "# widgets\n",
            "widgets/size.py": SIZE_PY,
            ".beads/issues.jsonl": json.dumps(ISSUE) + "\n",
            "docs/plans/widgets-design.md": "# Design\nSizes are validated on entry.\n",
        },
        "Initial commit",
    )
    repo.commit(
        {"widgets/size.py": FEATURE_PY, "tests/test_size.py": "def test_negative():\n    pass\n"},
        "Reject negative sizes (bd-a3f8)",
        branch="feature",
    )
    return repo


@pytest.fixture
def model():
    with FakeModel() as fake:
        yield fake


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return checkout(tmp_path / "widgets")


def as_json(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# -- round one ------------------------------------------------------------------------------
def test_a_range_review_prints_the_sections_of_a_posted_review(repo, model, tmp_path):
    done = beadle_review("--repo", str(repo.path), cwd=tmp_path, env=model_env(model))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("## Beadle review · round 1 · `bd-a3f8` Validate widget sizes")
    for section in ("### Critical", "### Important", "### Minor", "### Strengths"):
        assert section in out
    assert "### Requirements" in out and "### Assessment" in out
    assert "🟡 Ready to merge with fixes" in out
    # findings link to the file (relative: the checkout has no GitHub remote)
    assert (
        "**[I1] Missing input validation** · [`tests/test_size.py:1`](tests/test_size.py#L1)" in out
    )
    assert "**[M1] Name could be clearer** · [`widgets/size.py:3`](widgets/size.py#L3)" in out
    assert "<!-- beadle:review" not in out  # the marker is for the next round, not the reader
    assert "Issue: `bd-a3f8` Validate widget sizes (from `.beads/issues.jsonl` at " in out
    base = repo.merge_base("main", "feature")
    assert f"round 1 over {base[:12]}..{repo.sha('feature')[:12]}" in out
    assert done.stderr == ""
    [prompt] = model.prompts
    assert f"- BASE_SHA: {base}" in prompt and f"- HEAD_SHA: {repo.sha('feature')}" in prompt
    assert "Widgets must reject negative sizes." in prompt  # the issue
    assert "Sizes are validated on entry." in prompt  # the plan it names
    assert "Reject negative sizes (bd-a3f8)" in prompt  # the commits are the description
    remembered = json.loads((repo.path / ".git" / "beadle" / "reviews.json").read_text())
    [entry] = remembered["branches"]["feature"]
    assert entry["round"] == 1 and entry["head"] == repo.sha("feature")
    assert entry["marker"].startswith("<!-- beadle:review v=1 round=1 ")


def test_json_carries_the_structured_answer(repo, model, tmp_path):
    got = as_json(beadle_review("--format", "json", cwd=repo.path, env=model_env(model)))
    assert got["target"]["kind"] == "local" and got["target"]["where"] == str(repo.path)
    assert got["round"] == 1 and got["head"] == repo.sha("feature")
    assert got["base"] == repo.merge_base("main", "feature")
    assert got["verdict"] == "with_fixes"
    assert got["issue"]["id"] == "bd-a3f8"
    assert got["issue"]["source"].startswith("`.beads/issues.jsonl` at ")
    important, minor = got["findings"]
    assert important["id"] == "I1" and important["severity"] == "important"
    assert (important["file"], important["start_line"]) == ("tests/test_size.py", 1)
    assert important["location"] == "tests/test_size.py:1" and important["in_diff"] is True
    assert important["inline"] is True
    assert (minor["id"], minor["location"]) == ("M1", "widgets/size.py:3")
    assert got["still_open"] == ["I1", "M1"]
    assert got["requirements"][0]["status"] == "met"
    assert got["tokens"]["prompt"] > 0 and got["tokens"]["completion"] > 0
    assert got["tokens"]["prompt_estimate"] > 0
    assert got["cost_usd"] is None  # "fake-model" is in no price table
    assert got["marker"].startswith("<!-- beadle:review v=1 round=1 ")
    assert got["body"].endswith(got["marker"])
    assert got["posted"] is None


def test_a_model_with_a_price_has_a_cost(repo, model, tmp_path):
    env = {**model_env(model), "BEADLE_MODEL": "gpt-4.1-mini"}
    got = as_json(beadle_review("--format", "json", cwd=repo.path, env=env))
    tokens = got["tokens"]
    expected = (tokens["prompt"] * 0.40 + tokens["completion"] * 1.60) / 1_000_000
    assert got["cost_usd"] == pytest.approx(expected)


# -- dry run --------------------------------------------------------------------------------
def test_a_dry_run_asks_no_model_and_needs_no_key(repo, model, tmp_path):
    env = {"OPENAI_BASE_URL": model.base_url, "BEADLE_MODEL": "gpt-4.1"}
    done = beadle_review("--dry-run", cwd=repo.path, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Dry run: ")
    assert "Prompt: " in done.stdout and "tokens (offline estimate)" in done.stdout
    assert "Estimated cost: $" in done.stdout and "for the prompt, at most" in done.stdout
    assert "Files in the prompt: 2 of 2." in done.stdout
    assert "Left out: nothing." in done.stdout
    got = as_json(beadle_review("--dry-run", "--format", "json", cwd=repo.path, env=env))
    assert got["dry_run"] is True and got["files_in_prompt"] == 2
    assert "+        raise ValueError('negative')" in got["prompt"]["user"]
    assert got["prompt_tokens_estimate"] > 0 and got["cost_usd_prompt"] > 0
    assert model.requests == []
    assert not (repo.path / ".git" / "beadle").exists()  # a dry run is no round


def test_a_dry_run_names_what_was_left_out(repo, model, tmp_path):
    repo.commit(
        {"package-lock.json": "{}\n", "logo.png": b"\x89PNG\r\n\x1a\n\0\0"},
        "Add lockfile and logo",
        branch="feature",
    )
    done = beadle_review("--dry-run", cwd=repo.path)
    assert done.returncode == 0, done.stderr
    assert "- package-lock.json: lockfile" in done.stdout
    assert "- logo.png: binary file" in done.stdout


def test_nothing_to_review_costs_no_model_call(repo, model, tmp_path):
    repo.branch("lockonly", "main")
    repo.commit({"package-lock.json": "{}\n"}, "Lockfile only", branch="lockonly")
    done = beadle_review("--repo", str(repo.path), cwd=tmp_path, env=model_env(model))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Nothing to review in ")
    assert "- package-lock.json: lockfile" in done.stdout
    assert model.requests == []


# -- round two ------------------------------------------------------------------------------
def test_the_next_review_is_round_two_with_verdicts_on_the_earlier_findings(repo, model, tmp_path):
    env = model_env(model)
    first = as_json(beadle_review("--format", "json", cwd=repo.path, env=env))
    repo.commit({"widgets/size.py": FIXED_PY}, "Say which size was negative", branch="feature")
    done = beadle_review(cwd=repo.path, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("## Beadle review · round 2 · `bd-a3f8`")
    assert "### Earlier findings" in done.stdout
    assert "| I1 | Missing input validation (`tests/test_size.py:1`) | ✅ fixed |" in done.stdout
    assert "### Important (new)" in done.stdout
    second_prompt = model.prompts[-1]
    assert "This is a round 2 code review" in second_prompt
    assert "1. [I1] Missing input validation — tests/test_size.py:1" in second_prompt
    assert f"- BASE_SHA: {first['head']} (the head reviewed in round 1)" in second_prompt
    assert "Say which size was negative" in second_prompt
    assert "+        raise ValueError('negative')" not in second_prompt  # round one's diff
    # the new findings continue the numbering
    third = as_json(beadle_review("--full", "--format", "json", cwd=repo.path, env=env))
    assert third["round"] == 1 and third["earlier_findings"] == []


def test_since_reviews_from_a_commit_with_the_remembered_findings(repo, model, tmp_path):
    env = model_env(model)
    refused = beadle_review("--since", "main", cwd=repo.path, env=env)
    assert refused.returncode == 2
    assert "no earlier review of feature is remembered" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    first = as_json(beadle_review("--format", "json", cwd=repo.path, env=env))
    fix = repo.commit({"widgets/size.py": FIXED_PY}, "Fix the message", branch="feature")
    repo.commit({"README.md": "# widgets\n\nSizes.\n"}, "Document sizes", branch="feature")
    got = as_json(beadle_review("--since", fix, "--format", "json", cwd=repo.path, env=env))
    assert got["round"] == 2 and got["base"] == fix
    assert [(e["id"], e["status"]) for e in got["earlier_findings"]] == [
        ("I1", "fixed"),
        ("M1", "fixed"),
    ]
    prompt = model.prompts[-1]
    assert f"- BASE_SHA: {fix} (the head reviewed in round 1)" in prompt
    assert "+Sizes." in prompt and "Fix the message" not in prompt.split("```diff")[1]
    assert [f["id"] for f in got["findings"]] == ["I2", "M2"]
    assert first["head"] != fix


def test_an_explicit_base_reviews_that_range_as_round_one(repo, model, tmp_path):
    """`--base REV` asks for REV..HEAD: remembered rounds do not replace it (`--since` does)."""
    env = model_env(model)
    beadle_review(cwd=repo.path, env=env)
    repo.commit({"README.md": "# widgets\n\nSizes.\n"}, "Document sizes", branch="feature")
    base = repo.merge_base("main", "feature")
    got = as_json(beadle_review("--base", base, "--format", "json", cwd=repo.path, env=env))
    assert (got["round"], got["base"], got["earlier_findings"]) == (1, base, [])


def test_reviewing_the_same_head_again_reviews_the_whole_range(repo, model, tmp_path):
    env = model_env(model)
    beadle_review(cwd=repo.path, env=env)
    got = as_json(beadle_review("--format", "json", cwd=repo.path, env=env))
    assert got["round"] == 2 and got["base"] == repo.merge_base("main", "feature")
    # the App's own words (as for `/review` on a head already reviewed)
    assert f"{repo.sha('feature')[:12]}, which round 1 already reviewed" in got["range_note"]


def test_after_a_rebase_the_whole_range_is_reviewed_again(repo, model, tmp_path):
    env = model_env(model)
    beadle_review(cwd=repo.path, env=env)
    repo.commit({"README.md": "# widgets, again\n"}, "Main moves on", branch="main")
    subprocess.run(["git", "checkout", "-q", "feature"], cwd=repo.path, check=True)
    subprocess.run(["git", "rebase", "-q", "main"], cwd=repo.path, check=True, capture_output=True)
    got = as_json(beadle_review("--format", "json", cwd=repo.path, env=env))
    assert got["round"] == 2
    assert got["base"] == repo.merge_base("main", "feature")
    assert "is no longer in this branch's history (force push or rebase)" in got["range_note"]


# -- gating and errors ----------------------------------------------------------------------
def critical_answer(prompt: str) -> dict[str, Any]:
    answer = reviewer_answer(prompt)
    answer["findings"][0]["severity"] = "critical"
    answer["assessment"]["ready_to_merge"] = "no"
    return answer


def test_fail_on_critical_exits_1_when_a_critical_finding_is_open(repo, tmp_path):
    with FakeModel(answer=critical_answer) as model:
        env = model_env(model)
        done = beadle_review("--fail-on", "critical", cwd=repo.path, env=env)
        assert done.returncode == 1, done.stderr
        assert "### Critical" in done.stdout and "[C1]" in done.stdout  # printed all the same
        assert beadle_review("--fail-on", "never", cwd=repo.path, env=env).returncode == 0
        assert beadle_review("--fail-on", "not-ready", cwd=repo.path, env=env).returncode == 1


def test_fail_on_holds_not_for_a_review_without_criticals(repo, model, tmp_path):
    env = model_env(model)
    assert beadle_review("--fail-on", "critical", cwd=repo.path, env=env).returncode == 0
    assert beadle_review("--fail-on", "not-ready", cwd=repo.path, env=env).returncode == 0


@pytest.mark.parametrize(
    ("args", "status", "words"),
    [
        (("--base", "no-such-rev"), 2, "--base no-such-rev: no such commit"),
        (("--head", "nope"), 2, "--head nope: no such commit"),
        (("--post",), 2, "--post needs a pull request"),
        (("octo/widgets#1", "--base", "main"), 2, "--base is for a local range"),
        (("not-a-target",), 2, "'not-a-target' is not OWNER/REPO#N"),
        (("--issue-json", "missing.json"), 2, "--issue-json missing.json: no such file"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(repo, args, status, words):
    done = beadle_review(*args, cwd=repo.path, env={"OPENAI_API_KEY": "sk-x"})
    assert done.returncode == status, done.stderr
    assert done.stderr.startswith("beadle review: ") and words in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stdout == ""


def test_outside_a_checkout_and_without_a_key(tmp_path, repo):
    done = beadle_review(cwd=tmp_path, env={"OPENAI_API_KEY": "sk-x"})
    assert done.returncode == 2 and "is not inside a git checkout" in done.stderr
    done = beadle_review(cwd=repo.path)
    assert done.returncode == 2
    assert done.stderr.strip() == "beadle review: missing required setting OPENAI_API_KEY"


def test_a_model_that_cannot_be_reached_exits_3_without_a_traceback(repo, tmp_path):
    env = {"OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    done = beadle_review(cwd=repo.path, env={**env, "BEADLE_MODEL_RETRIES": "0"})
    assert done.returncode == 3
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "model API unreachable" in done.stderr
    assert not (repo.path / ".git" / "beadle").exists()


def test_default_base_falls_back_to_master_and_names_what_is_missing(tmp_path):
    repo = GitRepo(tmp_path / "r")
    repo.commit({"a.py": "x = 1\n"}, "start", branch="trunk")
    done = beadle_review("--dry-run", cwd=repo.path)
    assert done.returncode == 2
    assert "no default branch found (origin/HEAD, main, master): pass --base REV" in done.stderr
    repo.branch("master", "trunk")
    repo.commit({"a.py": "x = 2\n"}, "change", branch="trunk")
    got = as_json(beadle_review("--dry-run", "--format", "json", cwd=repo.path))
    assert got["base"] == repo.sha("master") and got["files_in_prompt"] == 1
    assert got["issue"] is None
    assert "No beads issue id was found in the branch name or commit messages" in got["issue_note"]
