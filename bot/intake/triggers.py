"""Decide what a verified event asks of Beadle (docs/design.md §3). Pure: an Event in, a Decision out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from bot.intake.webhook import Event
from bot.queue.request import Mode, ReviewRequest

REVIEW_ACTIONS = frozenset({"opened", "reopened", "ready_for_review", "synchronize"})
# https://docs.github.com/en/graphql/reference/enums#commentauthorassociation
# Only the repository's owner is trusted on the payload's word: MEMBER and COLLABORATOR include
# read-only people, so everyone else's permission is asked of GitHub before a model call.
WRITE_ASSOCIATIONS = frozenset({"OWNER"})
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1, or SHA-256 repositories
RECORDED_EVENTS = frozenset({"ping", "installation", "installation_repositories"})


@dataclass(frozen=True, slots=True)
class Decision:
    request: ReviewRequest | None
    reason: str  # said in the HTTP answer and the log
    handled: bool = True  # False: an event Beadle does not handle at all (answered 202)


def decide(event: Event, *, bot_login: str | None = None) -> Decision:
    if event.name in RECORDED_EVENTS:
        return Decision(None, f"{event.name} recorded")
    if event.name == "pull_request":
        return _pull_request(event.payload)
    if event.name == "issue_comment":
        return _issue_comment(event.payload, bot_login=bot_login)
    return Decision(None, f"event {event.name!r} is not handled", handled=False)


def _pull_request(p: Mapping[str, Any]) -> Decision:
    action = p.get("action")
    if not isinstance(action, str) or action not in REVIEW_ACTIONS:
        return Decision(None, f"pull_request.{action} needs no review")
    pr, repo, installation_id = _dict(p, "pull_request"), _repo(p), _installation(p)
    number, head = pr.get("number"), _dict(pr, "head").get("sha")
    if not (
        repo
        and installation_id
        and _is_int(number)
        and isinstance(head, str)
        and _SHA.fullmatch(head)
    ):
        return Decision(None, "ignored: payload lacks repository, installation, number or head sha")
    if pr.get("state", "open") != "open":
        return Decision(None, "ignored: pull request is not open")
    sender = _dict(p, "sender").get("login")
    return Decision(
        ReviewRequest(
            repo=repo,
            pr_number=number,
            installation_id=installation_id,
            head_sha=head,
            mode=Mode.AUTO,
            requested_by=sender if isinstance(sender, str) else None,
        ),
        f"pull_request.{action}: review queued",
    )


def review_command(body: str) -> Mode | None:
    """`/review` → COMMAND, `/review full` → FULL; anything else is not a command."""
    words = body.strip().split(maxsplit=2)
    if not words or words[0] != "/review":
        return None
    return Mode.FULL if len(words) > 1 and words[1].lower() == "full" else Mode.COMMAND


def _issue_comment(p: Mapping[str, Any], *, bot_login: str | None) -> Decision:
    if p.get("action") != "created":
        return Decision(None, "ignored: only new comments are commands")
    issue, comment = _dict(p, "issue"), _dict(p, "comment")
    if not isinstance(issue.get("pull_request"), dict):
        return Decision(None, "ignored: comment is on an issue, not a pull request")
    body = comment.get("body")
    mode = review_command(body) if isinstance(body, str) else None
    if mode is None:
        return Decision(None, "ignored: not a /review command")
    user = _dict(comment, "user")
    login = user.get("login")
    if not isinstance(login, str) or not login:
        return Decision(None, "ignored: comment has no author")
    if user.get("type") == "Bot" or login.endswith("[bot]") or login == bot_login:
        return Decision(None, "ignored: comments by bots are not commands")
    repo, installation_id, number = _repo(p), _installation(p), issue.get("number")
    comment_id = comment.get("id")
    if not (repo and installation_id and _is_int(number) and _is_int(comment_id)):
        return Decision(None, "ignored: payload lacks repository, installation or issue number")
    association = comment.get("author_association")
    trusted = isinstance(association, str) and association in WRITE_ASSOCIATIONS
    return Decision(
        ReviewRequest(
            repo=repo,
            pr_number=number,
            installation_id=installation_id,
            head_sha="",
            mode=mode,
            comment_id=comment_id,
            requested_by=login,
            verify_permission=not trusted,
        ),
        "/review: review queued" if trusted else "/review: queued pending a permission check",
    )


def _dict(parent: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**53


def _repo(p: Mapping[str, Any]) -> str | None:
    name = _dict(p, "repository").get("full_name")
    if (
        isinstance(name, str)
        and name.count("/") == 1
        and len(name) <= 200
        and "\x00" not in name
        and "" not in name.split("/")
    ):
        return name
    return None


def _installation(p: Mapping[str, Any]) -> int | None:
    ident = _dict(p, "installation").get("id")
    return ident if _is_int(ident) else None
