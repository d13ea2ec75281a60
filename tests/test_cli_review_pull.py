"""`beadle review OWNER/REPO#N` against the fake GitHub on loopback, with a token (as GitHub
Actions gives one) or the App's settings: printed without `--post` (nothing written), posted
with it exactly as the App posts (one review, marker, inline comments, check run)."""

from __future__ import annotations

import json
import subprocess

from bot.review.marker import parse_marker
from tests.fakes.bd import FakeBd
from tests.harness import *  # noqa: F403  (fixtures: app_key, git, github, model)
from tests.harness import FEATURE_PY, REPO
from tests.test_cli_review import beadle_review, model_env
from tests.test_cli_review_issue import BD_ISSUE

FIXED_PY = FEATURE_PY.replace("'negative'", "f'negative: {value}'")


def token_env(github, model, **extra: str) -> dict[str, str]:
    return {
        "GITHUB_API_URL": github.base_url,
        "GITHUB_TOKEN": github.issue_token(1),
        "BEADLE_BOT_LOGIN": github.bot_login,  # an Actions token posts as github-actions[bot]
        **model_env(model),
        **extra,
    }


def open_pull(github) -> int:
    return github.open_pull(
        REPO,
        title="Validate widget sizes (bd-a3f8)",
        body="Implements the size check.",
        head="feature",
    )


def test_a_pull_request_is_printed_and_nothing_is_written(github, model, tmp_path):
    number = open_pull(github)
    github.reset_requests()
    done = beadle_review(f"{REPO}#{number}", cwd=tmp_path, env=token_env(github, model))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("## Beadle review · round 1 · `bd-a3f8` Validate widget sizes")
    assert "### Important" in done.stdout and "### Assessment" in done.stdout
    pr = github.pull(REPO, number)
    assert f"]({pr['base']['repo']['html_url']}/blob/{pr['head']['sha']}/" in done.stdout
    assert f"Reviewed: {REPO}#{number}, round 1 over " in done.stdout
    assert "(from `.beads/issues.jsonl` at " in done.stdout
    assert github.reviews(REPO, number) == [] and github.check_runs(REPO) == []
    assert {r.method for r in github.requests} == {"GET"}
    assert github.contract_violations() == []
    [prompt] = model.prompts
    assert f"- HEAD_SHA: {pr['head']['sha']}" in prompt and "Implements the size check." in prompt


def test_post_posts_one_review_as_the_app_would(github, model, git, tmp_path):
    number = open_pull(github)
    env = token_env(github, model)
    done = beadle_review(f"{REPO}#{number}", "--post", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    [review] = github.reviews(REPO, number)
    marker = parse_marker(review["body"])
    assert marker is not None and marker.round == 1 and marker.issue == "bd-a3f8"
    assert marker.job is not None and marker.job.startswith("cli-")
    assert review["commit_id"] == git.sha("feature") and review["state"] == "COMMENTED"
    assert len(github.review_comments(REPO, number)) == 2  # both findings sit on the diff
    [check] = github.check_runs(REPO)
    assert (check["status"], check["conclusion"]) == ("completed", "neutral")
    url = f"{github.pull(REPO, number)['html_url']}#pullrequestreview-{review['id']}"
    assert done.stdout.rstrip().endswith(f"Posted: {url}")
    assert review["body"].startswith(done.stdout.split("\n---\n")[0].rstrip())
    assert github.contract_violations() == []

    git.commit({"widgets/size.py": FIXED_PY}, "Name the size", branch="feature")
    github.sync_pull(REPO, number)
    again = beadle_review(f"{REPO}#{number}", "--post", "--format", "json", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    got = json.loads(again.stdout)
    assert got["round"] == 2 and got["base"] == marker.head
    assert [(e["id"], e["status"]) for e in got["earlier_findings"]] == [
        ("I1", "fixed"),
        ("M1", "fixed"),
    ]
    _, second = github.reviews(REPO, number)
    assert got["posted"]["review_id"] == second["id"] and second["body"] == got["body"]


def test_a_dry_run_through_the_app_looks_up_the_installation(github, model, app_key, tmp_path):
    number = open_pull(github)
    env = {"GITHUB_API_URL": github.base_url, "APP_ID": "1", "PRIVATE_KEY": app_key[0]}
    github.reset_requests()
    done = beadle_review(f"{REPO}#{number}", "--dry-run", "--format", "json", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["dry_run"] is True and got["target"]["number"] == number
    assert got["issue"]["id"] == "bd-a3f8" and "widgets/size.py" in got["prompt"]["user"]
    calls = [(r.method, r.path) for r in github.requests]
    assert ("GET", f"/repos/{REPO}/installation") in calls
    assert ("POST", "/app/installations/1/access_tokens") in calls
    assert {m for m, _ in calls} == {"GET", "POST"}  # the token, nothing else written
    assert model.requests == [] and github.reviews(REPO, number) == []
    assert github.contract_violations() == []


def test_in_ci_bd_in_the_checkout_gives_the_issue(github, model, git, tmp_path):
    """In CI the working directory is a checkout of the repository (its origin is it): bd is
    asked there."""
    number = open_pull(github)
    fake_bd = FakeBd(tmp_path / "bd", BD_ISSUE)
    work = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", str(git.path), str(work)], check=True)
    subprocess.run(
        ["git", "remote", "set-url", "origin", f"https://github.com/{REPO}.git"],
        cwd=work,
        check=True,
    )
    env = {**token_env(github, model), **fake_bd.env("envelope")}
    done = beadle_review(f"{REPO}#{number}", "--dry-run", "--format", "json", cwd=work, env=env)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["issue"]["source"] == "`bd show bd-a3f8 --json`"
    assert fake_bd.calls() == [["show", "bd-a3f8", "--json"]]
    elsewhere = beadle_review(
        f"{REPO}#{number}", "--dry-run", "--format", "json", cwd=tmp_path, env=env
    )
    assert json.loads(elsewhere.stdout)["issue"]["source"] != "`bd show bd-a3f8 --json`"


def test_credentials_and_targets_that_do_not_work(github, model, tmp_path):
    number = open_pull(github)
    env = token_env(github, model)
    cases = [
        (
            {**env, "GITHUB_TOKEN": "ghs_not-a-token"},
            f"{REPO}#{number}",
            2,
            "refused the credentials",
        ),
        (
            {k: v for k, v in env.items() if k != "GITHUB_TOKEN"},
            f"{REPO}#{number}",
            2,
            "needs GITHUB_TOKEN",
        ),
        (env, f"{REPO}#999", 3, "GitHub: GET /pulls/999 answered 404"),
    ]
    for case_env, target, status, words in cases:
        done = beadle_review(target, cwd=tmp_path, env=case_env)
        assert done.returncode == status, (target, done.stderr)
        assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert "Traceback" not in done.stderr
    assert model.requests == []


def test_a_re_run_ci_job_posts_no_second_review_and_a_draft_none(github, model, tmp_path):
    """`--post` is the App's push: a head already reviewed is skipped (exit 0, said on stderr),
    and so is a draft, as `auto_review` and `drafts` in .github/beadle.yml decide."""
    number = open_pull(github)
    env = token_env(github, model)
    assert beadle_review(f"{REPO}#{number}", "--post", cwd=tmp_path, env=env).returncode == 0
    again = beadle_review(f"{REPO}#{number}", "--post", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert "not reviewed: head" in again.stderr and "already reviewed in round 1" in again.stderr
    assert len(github.reviews(REPO, number)) == 1 and len(model.prompts) == 1

    draft = github.open_pull(REPO, title="WIP (bd-a3f8)", head="feature", draft=True)
    skipped = beadle_review(f"{REPO}#{draft}", "--post", cwd=tmp_path, env=env)
    assert skipped.returncode == 0 and "draft pull request skipped" in skipped.stderr
    assert github.reviews(REPO, draft) == [] and len(model.prompts) == 1
