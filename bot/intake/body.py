"""Reading a webhook body within its limits: GitHub's 25 MB cap and the shared body budget.

The body budget (bot/intake/limits.py) bounds the bytes all requests hold while their bodies are
read and checked. Bytes are reserved as they arrive, never on a declared `Content-Length`'s word
(three idle connections declaring 25 MB each would otherwise hold the whole budget for nothing),
and a body past `SMALL_BODY` may not take the last `SMALL_RESERVE` bytes: GitHub's usual
deliveries, a few kilobytes, still fit while strangers' uploads fill the rest. The bytes go back
to the budget once the body is parsed (`release`): the parsed payload of a verified delivery is
GitHub's, and small next to what a stranger could send.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from starlette.requests import Request

from bot.intake.limits import BodyBudget
from bot.intake.webhook import MAX_PAYLOAD_BYTES, WebhookError


class PayloadTooLarge(WebhookError):
    status = 413


class OverBudget(Exception):
    """Taking this body would pass the bytes all bodies in flight may hold."""


def declared_length(headers: Mapping[str, str], limit: int = MAX_PAYLOAD_BYTES) -> int | None:
    """The Content-Length, if there is a usable one; PayloadTooLarge if it is over `limit`.

    Only ASCII digits count (`"²".isdigit()` is True); uvicorn refuses anything else anyway.
    """
    declared = headers.get("content-length")
    if declared is None or not (declared.isascii() and declared.isdigit()):
        return None
    size = int(declared)
    if size > limit:
        raise PayloadTooLarge(f"payload over {limit} bytes")
    return size


SMALL_BODY = 1024 * 1024  # a delivery this size or smaller may use the reserve
SMALL_RESERVE = 8 * 1024 * 1024  # of the budget, kept for small deliveries


class HeldBody:
    """One request's share of the body budget, and the reading of its body within it."""

    __slots__ = ("budget", "held")

    def __init__(self, budget: BodyBudget) -> None:
        self.budget = budget
        self.held = 0

    def reserve(self, total: int) -> bool:
        """Hold `total` bytes in all; False, with nothing more held, if the budget is spent."""
        if total > self.held:
            keep = SMALL_RESERVE if total > SMALL_BODY else 0
            if not self.budget.take(total - self.held, keep=keep):
                return False
            self.held = total
        return True

    def release(self) -> None:
        self.budget.give(self.held)
        self.held = 0

    async def read(self, request: Request, limit: int = MAX_PAYLOAD_BYTES) -> bytes | bytearray:
        """The whole body; PayloadTooLarge past `limit`, OverBudget past the budget.

        A body in one chunk (the usual delivery) is returned as it came; a longer one grows in
        one buffer, which the allocator extends in place, so it is held about once, not twice.
        """
        first: bytes | None = None
        body: bytearray | None = None
        stream: AsyncIterator[bytes] = request.stream()
        async for chunk in stream:
            if not chunk:
                continue
            size = len(chunk) + (len(body) if body is not None else len(first or b""))
            if size > limit:
                raise PayloadTooLarge(f"payload over {limit} bytes")
            if not self.reserve(size):
                raise OverBudget
            if first is None:
                first = chunk
            elif body is None:
                body = bytearray(first)
                body += chunk
            else:
                body += chunk
        if body is not None:
            return body
        return first if first is not None else b""
