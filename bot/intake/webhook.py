"""Sans-I/O webhook intake: check a delivery's signature and headers, turn bytes into an Event.

Nothing here opens a socket or touches the store, so every rule is tested with plain values.
https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_PAYLOAD_BYTES = 25 * 1024 * 1024  # GitHub caps payloads at 25 MB


class WebhookError(Exception):
    """A delivery that must be refused; `status` is the HTTP answer, the message says why."""

    status = 400


class BadSignature(WebhookError):
    status = 401


class BadRequest(WebhookError):
    status = 400


@dataclass(frozen=True, slots=True)
class Event:
    name: str  # X-GitHub-Event
    delivery_id: str  # X-GitHub-Delivery: redeliveries keep it, so it is the idempotency key
    payload: Mapping[str, Any]

    @property
    def action(self) -> str | None:
        action = self.payload.get("action")
        return action if isinstance(action, str) else None


def signature_for(body: bytes, *, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, *, signature: str | None, secret: str) -> None:
    """Raise BadSignature unless `signature` is the HMAC-SHA256 of the raw body.

    Fails closed: no secret configured, or no signature sent, is a refusal, not a pass.
    """
    if not secret:
        raise BadSignature("no webhook secret is configured; set WEBHOOK_SECRET")
    if not signature:
        raise BadSignature("missing X-Hub-Signature-256 header")
    if not hmac.compare_digest(signature.encode(), signature_for(body, secret=secret).encode()):
        raise BadSignature(
            "signature mismatch: check that WEBHOOK_SECRET matches the App's setting"
        )


def parse(headers: Mapping[str, str], body: bytes, *, secret: str) -> Event:
    """Verify, then parse. `headers` must be case-insensitive (Starlette's are)."""
    verify(body, signature=headers.get("x-hub-signature-256"), secret=secret)
    name = headers.get("x-github-event")
    delivery_id = headers.get("x-github-delivery")
    if not name or not delivery_id:
        raise BadRequest("missing X-GitHub-Event or X-GitHub-Delivery header")
    if len(delivery_id) > 100:
        raise BadRequest("X-GitHub-Delivery is too long")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest("body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise BadRequest("body is not a JSON object")
    return Event(name=name, delivery_id=delivery_id, payload=payload)
