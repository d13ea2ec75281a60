"""The pure parts of `beadle review`: bd's output shapes, remote names, the local range as a pull
request, the remembered rounds, `--fail-on`, and why an issue is missing."""

from __future__ import annotations

import json

import pytest

from bot.github.errors import GitHubError
from bot.local import state
from bot.local.bd import parse_error, parse_show, records
from bot.local.issue import _why_none
from bot.local.output import body_without_marker, failing, marker_of
from bot.local.pull import parse_target
from bot.local.range import LocalRange, local_pull, repository_names
from bot.model.answer import ReviewAnswer
from bot.review.findings import check
from bot.review.marker import TrackedFinding
from tests.fakes.model import reviewer_answer
from tests.harness import ISSUE

SHOW = {**ISSUE, "dependencies": [{"id": "bd-base", "title": "x", "dependency_type": "blocks"}]}


@pytest.mark.parametrize(
    "printed",
    [
        {**SHOW, "schema_version": 1},  # legacy: the object with schema_version beside
        [SHOW],  # legacy: an array
        {"schema_version": 1, "data": SHOW},  # BD_JSON_ENVELOPE=1
        {"schema_version": 1, "data": [SHOW]},  # an array inside the envelope
    ],
)
def test_every_shape_of_bd_show_gives_the_issue(printed):
    answer = parse_show(json.dumps(printed), "bd-a3f8")
    assert answer.problem is None and answer.issue is not None
    assert (answer.issue.id, answer.issue.title) == ("bd-a3f8", "Validate widget sizes")
    assert answer.issue.priority_label == "P1" and answer.issue.labels == ("backend",)
    [dep] = answer.issue.dependencies
    assert (dep.issue_id, dep.depends_on_id, dep.type) == ("bd-a3f8", "bd-base", "blocks")


def test_bd_output_that_is_no_issue_is_named():
    assert (
        parse_show("not json", "bd-x").problem
        == "`bd show --json` printed something that is not JSON"
    )
    assert parse_show("[]", "bd-x").problem == "`bd show bd-x` printed no issue"
    error = {"schema_version": 1, "error": "database locked"}
    assert parse_show(json.dumps(error), "bd-x").problem == "`bd show` failed: database locked"
    two = [{**ISSUE, "id": "bd-1"}, {**ISSUE, "id": "bd-2"}]
    assert "not bd-x" in (parse_show(json.dumps(two), "bd-x").problem or "")
    assert records({"schema_version": 1, "data": {"id": 3}}) == []


def test_bd_errors_in_one_line():
    text = json.dumps(
        {"schema_version": 1, "error": "no issue\nfound", "code": "not_found"}, indent=2
    )
    assert parse_error(text, 1) == "no issue found (not_found)"
    assert parse_error("Warning: x\nError: no beads database found\n", 1) == (
        "Error: no beads database found"
    )
    assert parse_error("", 3) == "exit status 3"


@pytest.mark.parametrize(
    ("url", "names"),
    [
        (
            "https://github.com/octo/widgets.git",
            ("octo/widgets", "https://github.com/octo/widgets"),
        ),
        ("git@github.com:octo/widgets.git", ("octo/widgets", "https://github.com/octo/widgets")),
        ("ssh://git@ghe.example.com/octo/w.v2", ("octo/w.v2", "https://ghe.example.com/octo/w.v2")),
        (
            "https://x-token:secret@github.com/octo/widgets/",
            ("octo/widgets", "https://github.com/octo/widgets"),
        ),
        ("/srv/git/widgets.git", ("widgets-folder", "")),
        ("", ("widgets-folder", "")),
    ],
)
def test_repository_names_from_the_remote(url, names):
    assert repository_names(url, folder="widgets-folder") == names


def test_targets():
    assert parse_target("octo/widgets#12") == ("octo/widgets", 12)
    assert parse_target(" octo/my.repo-2#1 ") == ("octo/my.repo-2", 1)
    for bad in ("octo/widgets", "octo#1", "octo/widgets#0", "octo/widgets#x", "a/b/c#1"):
        assert parse_target(bad) is None


def test_a_local_range_reads_as_a_pull_request():
    one = LocalRange(
        "/r", "a" * 40, "b" * 40, "feature/x", "main", ("Fix it (bd-1)\n\nWhy.",), "o/r", ""
    )
    pr = local_pull(one)
    assert (pr.title, pr.head_ref, pr.number, pr.state) == ("Fix it (bd-1)", "feature/x", 0, "open")
    assert pr.body == "- Fix it (bd-1)\n\nWhy."
    assert (pr.base_sha, pr.head_sha, pr.default_branch) == ("a" * 40, "b" * 40, "main")
    many = local_pull(LocalRange("/r", "a" * 40, "b" * 40, "", "main", ("One", "Two"), "o/r", ""))
    assert many.title == "2 commits" and many.body == "- One\n\n- Two"
    assert local_pull(LocalRange("/r", "a" * 40, "a" * 40, "x", "main", (), "o/r", "")).body is None


def test_rounds_are_remembered_per_branch_and_bounded(tmp_path):
    path = tmp_path / "beadle" / "reviews.json"
    doc = state.load(path)
    assert doc == {} and state.markers(doc, "feature") == []
    for n in range(state.KEEP + 3):
        doc = state.remembered(doc, "feature", {"marker": f"m{n}", "round": n})
    doc = state.remembered(doc, "", {"marker": "detached"})
    state.save(path, doc)
    again = state.load(path)
    assert state.markers(again, "feature") == [f"m{n}" for n in range(3, state.KEEP + 3)]
    assert state.markers(again, "") == ["detached"] and state.markers(again, "other") == []
    path.write_text("{broken")
    assert state.load(path) == {}


def _composed(answer: dict, earlier: tuple[TrackedFinding, ...] = ()):
    from bot.model.answer import Verdict

    parsed = ReviewAnswer.model_validate(answer)
    checked = check(parsed, [], earlier=earlier)

    class Composed:  # the two fields `failing` reads
        pass

    composed = Composed()
    composed.checked = checked  # type: ignore[attr-defined]
    composed.verdict = Verdict(parsed.assessment.ready_to_merge)  # type: ignore[attr-defined]
    return composed


def test_fail_on():
    prompt = "+++ b/a.py\n@@ -0,0 +1,2 @@\n+x\n+y\n"
    plain = _composed(reviewer_answer(prompt))
    assert not any(failing(c, plain) for c in ("never", "critical", "not-ready"))
    no = reviewer_answer(prompt)
    no["assessment"]["ready_to_merge"] = "no"
    assert failing("not-ready", _composed(no)) and not failing("critical", _composed(no))
    critical = reviewer_answer(prompt)
    critical["findings"][0]["severity"] = "critical"
    assert failing("critical", _composed(critical)) and not failing("never", _composed(critical))
    # an earlier critical finding the model did not call fixed is still open
    earlier = (TrackedFinding("C1", "critical", "Injection", "a.py", 1),)
    left = reviewer_answer(prompt) | {
        "earlier_findings": [{"id": "C1", "status": "not_fixed", "evidence": "still there"}]
    }
    assert failing("critical", _composed(left, earlier))
    fixed = left | {"earlier_findings": [{"id": "C1", "status": "fixed", "evidence": "gone"}]}
    assert not failing("critical", _composed(fixed, earlier))


def test_the_marker_is_cut_from_what_a_reader_sees():
    body = "## Review\n\ntext\n\n<!-- beadle:review v=1 round=1 base=a head=b -->"
    assert body_without_marker(body) == "## Review\n\ntext"
    assert marker_of(body) == "<!-- beadle:review v=1 round=1 base=a head=b -->"
    assert marker_of("no marker") is None and body_without_marker("plain\n") == "plain"


def test_why_no_issue_says_what_to_do():
    pr = local_pull(LocalRange("/r", "a" * 40, "b" * 40, "", "main", (), "o/r", ""))
    assert _why_none(None, [], pr, bd_missing=True).startswith(
        "No beads issue id was found in the branch name or commit messages"
    )
    assert "`--issue ID` names one" in _why_none(None, [], pr, bd_missing=False)
    said = _why_none("bd-1", ["`bd show` failed: locked"], pr, bd_missing=False)
    assert said == "The beads issue `bd-1` could not be read: `bd show` failed: locked."
    app = "No beads issue could be read: the pull request names `bd-1`, but …."
    assert _why_none("bd-1", [app], pr, bd_missing=True) == f"`bd` is not on PATH. {app}"


def test_detached_ranges_are_remembered_apart_by_their_base() -> None:
    """A branch's rounds continue each other; detached heads of unrelated ranges do not."""
    assert state.key("feature", base="a" * 40) == state.key("feature", base="b" * 40) == "feature"
    assert state.key("", base="a" * 40) != state.key("", base="b" * 40)


def test_a_read_only_pull_request_refuses_thread_replies_too() -> None:
    from bot.local.pull import ReadOnly
    from tests.fakes.memory import MemoryRepo

    inner = MemoryRepo()
    with pytest.raises(GitHubError):
        ReadOnly(inner).reply_to_review_comment(1, 5, "Fixed")
    assert "reply_to_review_comment" not in inner.calls
