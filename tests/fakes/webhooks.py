"""Webhook deliveries as GitHub sends them: payloads built from the fake's state, signed bodies,
and the delivery headers (https://docs.github.com/webhooks/webhook-events-and-payloads)."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import TYPE_CHECKING, Any

from . import github_shapes as shapes
from .github_routes_app import repo_json
from .github_routes_issues import issue_json

if TYPE_CHECKING:
    from .github import FakeGitHub

HOOK_ID = 412_345_678


def sign(body: bytes, secret: str) -> str:
    """`X-Hub-Signature-256`: `sha256=` + hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode(payload: dict) -> bytes:
    """The body bytes, compact JSON as GitHub sends it."""
    return json.dumps(payload, separators=(",", ":")).encode()


def headers(
    event: str,
    body: bytes,
    secret: str,
    *,
    delivery: str | None = None,
    hook_id: int = HOOK_ID,
    installation_target_id: int = 1,
) -> dict[str, str]:
    """Headers of one delivery; pass the same `delivery` GUID again to imitate a redelivery."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/7d3c6f1",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": str(hook_id),
        "X-GitHub-Hook-Installation-Target-ID": str(installation_target_id),
        "X-GitHub-Hook-Installation-Target-Type": "integration",
        "X-Hub-Signature-256": sign(body, secret),
    }


def delivery(
    event: str, payload: dict, secret: str, *, delivery_id: str | None = None
) -> tuple[bytes, dict[str, str]]:
    """(body, headers) ready to POST to the webhook endpoint."""
    body = encode(payload)
    return body, headers(event, body, secret, delivery=delivery_id)


def _installation(installation_id: int) -> dict:
    return {
        "id": installation_id,
        "node_id": shapes.node_id("Integration::Installation", installation_id),
    }


def _repository(gh: FakeGitHub, repo: str) -> dict:
    out = repo_json(gh, gh.repo(repo))
    out.pop("permissions", None)  # webhooks carry no viewer permissions
    return out


def pull_request_payload(
    gh: FakeGitHub,
    repo: str,
    number: int,
    action: str,
    *,
    installation_id: int = 1,
    sender: str = "alice",
    before: str | None = None,
    **extra: Any,
) -> dict:
    """A `pull_request` delivery; `synchronize` carries `before`/`after` (the previous and new head).

    `extra` is merged in last (e.g. `changes={...}` for `edited`).
    """
    pr = gh.pull(repo, number)
    payload: dict[str, Any] = {
        "action": action,
        "number": number,
        "pull_request": pr,
        "repository": _repository(gh, repo),
        "installation": _installation(installation_id),
        "sender": shapes.user(gh.base_url, sender),
    }
    if action == "synchronize":
        previous = gh.repo(repo).pulls[number].previous_head_sha
        payload["before"] = before or previous or pr["base"]["sha"]
        payload["after"] = pr["head"]["sha"]
    payload.update(extra)
    return payload


def issue_comment_payload(
    gh: FakeGitHub,
    repo: str,
    number: int,
    body: str,
    *,
    login: str,
    author_association: str,
    user_type: str = "User",
    action: str = "created",
    on_pull: bool = True,
    comment_id: int | None = None,
    installation_id: int = 1,
) -> dict:
    """An `issue_comment` delivery. Without `comment_id` the comment is also stored in the fake
    (so reactions to it work); `issue.pull_request` is present only when `on_pull`."""
    commenter = shapes.user(gh.base_url, login, type=user_type)
    r = gh.repo(repo)
    if comment_id is None and number in r.pulls:
        comment = gh.add_issue_comment(
            repo,
            number,
            body,
            login=login,
            user_type=user_type,
            author_association=author_association,
        )
    else:
        stamp = shapes.now_iso()
        comment = shapes.issue_comment(
            gh.base_url,
            r.full_name,
            {
                "id": comment_id or gh.new_id(),
                "issue_number": number,
                "body": body,
                "user": commenter,
                "created_at": stamp,
                "updated_at": stamp,
                "author_association": author_association,
            },
        )
    return {
        "action": action,
        "issue": issue_json(gh, gh.repo(repo), number, on_pull=on_pull),
        "comment": comment,
        "repository": _repository(gh, repo),
        "installation": _installation(installation_id),
        "sender": commenter,
    }


def ping_payload(gh: FakeGitHub, *, hook_id: int = HOOK_ID) -> dict:
    """The `ping` GitHub sends when an App's webhook is set up."""
    return {
        "zen": "Keep it logically awesome.",
        "hook_id": hook_id,
        "hook": {
            "type": "App",
            "id": hook_id,
            "name": "web",
            "active": True,
            "events": ["issue_comment", "pull_request"],
            "config": {
                "content_type": "json",
                "insecure_ssl": "0",
                "url": "https://example.com/api/github/webhooks",
            },
            "updated_at": shapes.now_iso(),
            "created_at": shapes.now_iso(),
            "app_id": gh.app_id,
            "deliveries_url": f"{gh.base_url}/app/hook/deliveries",
        },
    }
