"""Big pull requests and precise feedback: budget, 406 too_large, inline comments that GitHub
accepts, the check run, repository settings, output safety."""

import json
import re

from bot.review.marker import parse_marker
from tests.fakes.model import FakeModel, reviewer_answer
from tests.fakes.webhooks import pull_request_payload
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import REPO, Beadle, deliver, settings_env, wait_for


def review_of(github, beadle, number):
    deliver(beadle.url, "pull_request", pull_request_payload(github, REPO, number, "opened"))
    [review] = wait_for(lambda: github.reviews(REPO, number), timeout=60, what="the review")
    return review


def test_check_run_goes_in_progress_then_completes_with_annotations(github, model, beadle):
    number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
    review_of(github, beadle, number)
    [run] = wait_for(
        lambda: [r for r in github.check_runs(REPO) if r["status"] == "completed"],
        what="a completed check run",
    )
    assert (
        run["name"] == "Beadle review"
        and run["head_sha"] == github.pull(REPO, number)["head"]["sha"]
    )
    assert run["conclusion"] == "neutral"  # verdict "with fixes", no critical finding
    assert run["output"]["title"].startswith("Round 1: 0 critical, 1 important, 1 minor")
    levels = {a["annotation_level"] for a in run["output"]["annotations"]}
    assert levels == {"warning", "notice"}
    statuses = [r.json["status"] for r in github.requests if r.path.endswith("/check-runs")]
    assert statuses == ["in_progress"]


def critical_answer(prompt):
    answer = reviewer_answer(prompt)
    answer["findings"][0]["severity"] = "critical"
    answer["findings"].append(
        {**answer["findings"][0], "file": "not/in/the/pr.py", "title": "Imagined file"}
    )
    answer["summary"] = "Ping @octo-org/security and <script>alert(1)</script>"
    return answer


def test_critical_findings_fail_the_check_and_unknown_files_are_unverified(
    github, app_key, tmp_path
):
    with FakeModel(answer=critical_answer) as model:
        env = settings_env(
            github,
            model,
            private_key=app_key[0],
            database_url=f"sqlite:///{tmp_path / 'b.sqlite3'}",
        )
        with Beadle(env) as beadle:
            number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
            body = review_of(github, beadle, number)["body"]
            run = wait_for(
                lambda: [r for r in github.check_runs(REPO) if r["status"] == "completed"],
                what="check",
            )[0]
    assert run["conclusion"] == "failure"
    assert "unverified: this file is not in the reviewed diff" in body
    assert all(c["path"] != "not/in/the/pr.py" for c in github.review_comments(REPO, number))
    # output safety: no ping, no raw HTML
    assert "@octo-org/security" not in body and "@\u200bocto-org/security" in body
    assert "<script>" not in body and "&lt;script&gt;" in body


def test_an_invalid_settings_file_gives_defaults_and_a_visible_note(github, model, beadle, git):
    git.commit({".github/beadle.yml": "auto_reveiw: false\ndrafts: [\n"}, "Settings", branch="main")
    git.branch("feature2", "main")
    git.commit({"widgets/x.py": "X = 1\n"}, "More (bd-a3f8)", branch="feature2")
    number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature2")
    body = review_of(github, beadle, number)["body"]
    assert (
        "`.github/beadle.yml` was ignored and the defaults used, because it is not valid YAML"
        in body
    )


def test_settings_file_turns_automatic_reviews_off_and_ignores_paths(github, model, beadle, git):
    git.commit(
        {".github/beadle.yml": "auto_review: false\nignore: ['tests/**']\n"},
        "Settings",
        branch="main",
    )
    number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
    deliver(beadle.url, "pull_request", pull_request_payload(github, REPO, number, "opened"))
    wait_for(
        lambda: (
            beadle.runtime.store.recent_jobs()
            and beadle.runtime.store.recent_jobs()[0].state.value == "done"
        ),
        what="job done",
    )
    assert github.reviews(REPO, number) == [] and model.requests == []


def test_a_3000_file_pull_request_is_reviewed_within_budget(github, model, app_key, tmp_path, git):
    files = {
        f"src/module_{i:04d}.py": "".join(f"value_{j} = {j}\n" for j in range(12))
        for i in range(2990)
    }
    files.update({f"node_modules/pkg{i}/index.js": "module.exports = 1;\n" for i in range(5)})
    files.update(
        {
            "package-lock.json": json.dumps({"lockfileVersion": 3}) + "\n",
            "assets/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00binary",
            "docs/big.md": "# Big\n",
        }
    )
    git.branch("huge", "main")
    git.commit(files, "A very large change (bd-a3f8)", branch="huge")
    env = settings_env(
        github,
        model,
        private_key=app_key[0],
        database_url=f"sqlite:///{tmp_path / 'b.sqlite3'}",
        BEADLE_CONTEXT_TOKENS="60000",
        BEADLE_ANSWER_TOKENS="4000",
    )
    with Beadle(env) as beadle:
        number = github.open_pull(REPO, title="Huge (bd-a3f8)", head="huge")
        body = review_of(github, beadle, number)["body"]
    [prompt] = model.prompts
    assert len(prompt) < 60_000 * 4  # within the configured window (≈4 chars a token at most)
    assert "### Not reviewed" in body
    assert "`package-lock.json`: lockfile" in body
    assert "`assets/logo.png`: binary file" in body
    assert "node_modules/pkg0/index.js" in body
    assert "over the budget" in body
    assert "rebuilt from the pull request's file list" in body  # GitHub's 406 too_large path
    reviewed = prompt.count("+++ b/src/module_")
    listed = sum(
        1
        for line in body.splitlines()
        if line.startswith("- `src/module_") and line.endswith("over the budget")
    )
    more = re.search(r"… and (\d+) more files: over the budget", body)
    assert reviewed > 50 and more  # every source file is reviewed or accounted for
    assert reviewed + listed + int(more[1]) == 2990
    assert github.contract_violations() == []
    # inline comments landed on real diff lines (the fake refuses others with 422, as GitHub does)
    assert github.review_comments(REPO, number)
    [run] = [r for r in github.check_runs(REPO) if r["head_sha"] == git.sha("huge")]
    assert run["status"] == "completed" and run["output"]["annotations"]


def test_inline_comments_outside_the_diff_stay_in_the_body(github, app_key, tmp_path):
    def far_away(prompt):
        answer = reviewer_answer(prompt)
        answer["findings"][0]["start_line"] = answer["findings"][0]["end_line"] = 400
        return answer

    with FakeModel(answer=far_away) as model:
        env = settings_env(
            github,
            model,
            private_key=app_key[0],
            database_url=f"sqlite:///{tmp_path / 'b.sqlite3'}",
        )
        with Beadle(env) as beadle:
            number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
            body = review_of(github, beadle, number)["body"]
    assert ":400`" in body
    assert [c["line"] for c in github.review_comments(REPO, number)] != [400]
    assert parse_marker(body).round == 1


def test_a_lockfile_only_change_costs_no_model_call(github, model, beadle, git):
    git.branch("deps", "main")
    git.commit({"poetry.lock": "[[package]]\nname = 'x'\n"}, "Bump deps (bd-a3f8)", branch="deps")
    number = github.open_pull(REPO, title="Deps (bd-a3f8)", head="deps")
    deliver(beadle.url, "pull_request", pull_request_payload(github, REPO, number, "opened"))
    [run] = wait_for(
        lambda: [r for r in github.check_runs(REPO) if r["status"] == "completed"],
        what="the check run",
    )
    assert (
        run["output"]["title"] == "Nothing to review"
        and "poetry.lock: lockfile" in run["output"]["summary"]
    )
    assert model.requests == [] and github.reviews(REPO, number) == []
