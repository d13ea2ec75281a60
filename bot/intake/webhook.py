"""Sans-I/O webhook intake: check a delivery's signature and headers, turn bytes into an Event.

Nothing here opens a socket or touches the store, so every rule is tested with plain values.
https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_PAYLOAD_BYTES = 25 * 1024 * 1024  # GitHub caps payloads at 25 MB
MAX_DELIVERY_ID = 100  # a GUID is 36 characters
_SIGNATURE = re.compile(r"sha256=[0-9a-f]{64}")  # the only shape `signature_for` makes
_MISMATCH = "signature mismatch: check that WEBHOOK_SECRET matches the App's setting"


class WebhookError(Exception):
    """A delivery that must be refused; `status` is the HTTP answer, the message says why."""

    status = 400


class BadSignature(WebhookError):
    status = 401


class BadRequest(WebhookError):
    status = 400


@dataclass(frozen=True, slots=True)
class Envelope:
    """What a delivery's headers say, checked before its body is read."""

    name: str  # X-GitHub-Event
    delivery_id: str  # X-GitHub-Delivery
    signature: str  # X-Hub-Signature-256, well formed (not yet checked against the body)


@dataclass(frozen=True, slots=True)
class Event:
    name: str  # X-GitHub-Event
    delivery_id: str  # X-GitHub-Delivery: redeliveries keep it, so it is the idempotency key
    payload: Mapping[str, Any]

    @property
    def action(self) -> str | None:
        action = self.payload.get("action")
        return action if isinstance(action, str) else None


def signature_for(body: bytes | bytearray, *, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes | bytearray, *, signature: str | None, secret: str) -> None:
    """Raise BadSignature unless `signature` is the HMAC-SHA256 of the raw body.

    Fails closed: no secret configured, or no signature sent, is a refusal, not a pass.
    """
    if not secret:
        raise BadSignature("no webhook secret is configured; set WEBHOOK_SECRET")
    if not signature:
        raise BadSignature("missing X-Hub-Signature-256 header")
    if not hmac.compare_digest(signature.encode(), signature_for(body, secret=secret).encode()):
        raise BadSignature(_MISMATCH)


def check_headers(headers: Mapping[str, str], *, secret: str) -> Envelope:
    """Raise unless the headers are those of a delivery GitHub could have sent.

    Everything here is known before the body arrives, so the web handler asks it first: a
    request with no signature, or none that could ever match, is refused without waiting for or
    holding its body (up to 25 MB). Same answers as before the body was read: a missing or
    malformed signature is 401, a missing event or delivery header 400. `headers` must be
    case-insensitive (Starlette's are).
    """
    if not secret:
        raise BadSignature("no webhook secret is configured; set WEBHOOK_SECRET")
    signature = headers.get("x-hub-signature-256")
    if not signature:
        raise BadSignature("missing X-Hub-Signature-256 header")
    if not _SIGNATURE.fullmatch(signature):
        raise BadSignature(_MISMATCH)
    name = headers.get("x-github-event")
    delivery_id = headers.get("x-github-delivery")
    if not name or not delivery_id:
        raise BadRequest("missing X-GitHub-Event or X-GitHub-Delivery header")
    if len(delivery_id) > MAX_DELIVERY_ID:
        raise BadRequest("X-GitHub-Delivery is too long")
    return Envelope(name=name, delivery_id=delivery_id, signature=signature)


def parse(headers: Mapping[str, str], body: bytes | bytearray, *, secret: str) -> Event:
    """Check the headers, verify the body, then parse it."""
    return parse_body(check_headers(headers, secret=secret), body, secret=secret)


def parse_body(envelope: Envelope, body: bytes | bytearray, *, secret: str) -> Event:
    """Verify the body against the envelope's signature, then parse it."""
    verify(body, signature=envelope.signature, secret=secret)
    name, delivery_id = envelope.name, envelope.delivery_id
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest("body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise BadRequest("body is not a JSON object")
    return Event(name=name, delivery_id=delivery_id, payload=payload)
