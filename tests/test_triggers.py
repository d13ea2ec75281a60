"""Which deliveries become review jobs, and who may ask for a review (docs/design.md §3)."""

import pytest

from bot.intake.triggers import decide, review_command
from bot.intake.webhook import Event
from bot.queue.request import Mode


def pr_event(action: str, *, draft: bool = False, state: str = "open") -> Event:
    return Event(
        "pull_request",
        "d",
        {
            "action": action,
            "number": 7,
            "pull_request": {
                "number": 7,
                "draft": draft,
                "state": state,
                "head": {"sha": "a" * 40, "ref": "feature"},
            },
            "repository": {"full_name": "octo/repo"},
            "installation": {"id": 42},
            "sender": {"login": "alice", "type": "User"},
        },
    )


def comment_event(
    body: str = "/review",
    *,
    association: str = "MEMBER",
    login: str = "bob",
    user_type: str = "User",
    action: str = "created",
    on_pull: bool = True,
) -> Event:
    issue = {"number": 7}
    if on_pull:
        issue["pull_request"] = {"url": "https://api.github.com/repos/octo/repo/pulls/7"}
    return Event(
        "issue_comment",
        "d",
        {
            "action": action,
            "issue": issue,
            "comment": {
                "id": 99,
                "body": body,
                "author_association": association,
                "user": {"login": login, "type": user_type},
            },
            "repository": {"full_name": "octo/repo"},
            "installation": {"id": 42},
        },
    )


@pytest.mark.parametrize("action", ["opened", "reopened", "ready_for_review", "synchronize"])
def test_pull_request_actions_queue_a_review(action):
    request = decide(pr_event(action)).request
    assert request is not None
    assert (request.repo, request.pr_number, request.installation_id) == ("octo/repo", 7, 42)
    assert request.head_sha == "a" * 40 and request.mode is Mode.AUTO


@pytest.mark.parametrize("action", ["closed", "edited", "labeled", "assigned"])
def test_other_pull_request_actions_do_not(action):
    assert decide(pr_event(action)).request is None


def test_a_closed_pull_request_is_not_reviewed():
    assert decide(pr_event("synchronize", state="closed")).request is None


@pytest.mark.parametrize(
    ("association", "trusted"),
    [
        ("OWNER", True),
        # MEMBER and COLLABORATOR include read-only people: GitHub is asked (issue 11).
        ("MEMBER", False),
        ("COLLABORATOR", False),
        ("CONTRIBUTOR", False),
        ("FIRST_TIME_CONTRIBUTOR", False),
        ("NONE", False),
    ],
)
def test_review_command_authorisation_matrix(association, trusted):
    request = decide(comment_event(association=association)).request
    assert request is not None and request.mode is Mode.COMMAND
    assert request.comment_id == 99 and request.requested_by == "bob"
    # Outsiders get no model call unless GitHub says they can write (checked by the worker).
    assert request.verify_permission is (not trusted)


@pytest.mark.parametrize(
    ("login", "user_type"),
    [
        ("dependabot[bot]", "Bot"),
        ("beadle[bot]", "Bot"),
        ("sneaky", "Bot"),
        ("beadle[bot]", "User"),
    ],
)
def test_bots_never_trigger_a_review(login, user_type):
    assert (
        decide(
            comment_event(login=login, user_type=user_type, association="OWNER"),
            bot_login="beadle[bot]",
        ).request
        is None
    )


@pytest.mark.parametrize("action", ["edited", "deleted"])
def test_edited_and_deleted_comments_are_ignored(action):
    assert decide(comment_event(action=action)).request is None


def test_review_on_a_plain_issue_is_ignored():
    assert decide(comment_event(on_pull=False)).request is None


@pytest.mark.parametrize(
    ("body", "mode"),
    [
        ("/review", Mode.COMMAND),
        ("  /review  ", Mode.COMMAND),
        ("/review please", Mode.COMMAND),
        ("/review full", Mode.FULL),
        ("/review FULL\nthanks", Mode.FULL),
        ("/reviewer", None),
        ("please /review", None),
        ("", None),
        ("review", None),
    ],
)
def test_review_command_parsing(body, mode):
    assert review_command(body) is mode


@pytest.mark.parametrize("name", ["ping", "installation", "installation_repositories"])
def test_ping_and_installation_are_recorded_not_queued(name):
    decision = decide(Event(name, "d", {"zen": "hi"}))
    assert decision.request is None and decision.handled


def test_unknown_events_are_not_handled():
    decision = decide(Event("star", "d", {"action": "created"}))
    assert decision.request is None and not decision.handled


@pytest.mark.parametrize(
    "payload",
    [
        {"action": "opened"},
        {"action": "opened", "pull_request": []},
        {
            "action": "opened",
            "pull_request": {"number": "7", "head": {"sha": "a"}},
            "repository": {"full_name": "o/r"},
            "installation": {"id": 1},
        },
        {
            "action": "opened",
            "pull_request": {"number": 7, "head": {"sha": None}},
            "repository": {"full_name": "o/r"},
            "installation": {"id": True},
        },
    ],
)
def test_malformed_payloads_are_ignored_not_crashed_on(payload):
    assert decide(Event("pull_request", "d", payload)).request is None


@pytest.mark.parametrize("sha", ["", "a" * 39, "a" * 65, "A" * 40, "g" * 40, "ab\u0000cd"])
def test_a_head_that_is_not_a_commit_sha_is_ignored(sha):
    event = pr_event("opened")
    event.payload["pull_request"]["head"]["sha"] = sha
    assert decide(event).request is None
