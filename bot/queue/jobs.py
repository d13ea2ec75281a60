"""The queue's values: a recorded delivery, a job, and how two requests for one PR fold into one.

No I/O: bot/queue/store.py keeps them; the webhook and the workers pass them around.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.model.prices import Usage
from bot.model.spend import Spend
from bot.queue.request import Mode, ReviewRequest, with_askers
from bot.queue.schema import DELIVERY_ID_LENGTH, EVENT_LENGTH, JobState


@dataclass(frozen=True)
class Delivery:
    delivery_id: str  # X-GitHub-Delivery; a redelivery keeps it
    event: str
    action: str | None
    request: ReviewRequest | None  # None: recorded only (ping, installation, ignored events)
    received_at: datetime

    def __post_init__(self) -> None:
        """Refuse a delivery the database would refuse, here, where it fails alone.

        Deliveries are committed in batches; one with a bogus header (the headers are not
        covered by the signature) must not fail the commit of every delivery batched with it.
        """
        if not 0 < len(self.delivery_id) <= DELIVERY_ID_LENGTH:
            raise ValueError(f"delivery id of {len(self.delivery_id)} characters")
        for name, value in (("event", self.event), ("action", self.action or "")):
            if len(value) > EVENT_LENGTH:
                raise ValueError(f"{name} of {len(value)} characters")
        if self.received_at.utcoffset() is None:
            raise ValueError("received_at must be a timezone-aware datetime")
        texts = [
            ("delivery id", self.delivery_id),
            ("event", self.event),
            ("action", self.action or ""),
        ]
        if self.request is not None:
            r = self.request
            texts += [
                ("repository", r.repo),
                ("head sha", r.head_sha),
                ("login", r.requested_by or ""),
            ]
            if len(r.repo) > 255 or len(r.head_sha) > 64 or len(r.requested_by or "") > 255:
                raise ValueError("a field of the request is too long")
            if not (
                abs(r.pr_number) < 2**31
                and abs(r.installation_id) < 2**63
                and abs(r.comment_id or 0) < 2**63
            ):  # the columns' integer widths
                raise ValueError("a number of the request is out of range")
        for name, value in texts:
            if "\x00" in value or not _encodable(value):
                raise ValueError(f"{name} holds characters no database stores")


def _encodable(value: str) -> bool:
    """False for a lone surrogate (JSON's `"\\ud800"`), which UTF-8 cannot carry."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class Recorded:
    delivery_id: str
    duplicate: bool  # seen before (or earlier in the same batch): nothing queued
    job_id: int | None  # the job this delivery created or coalesced into


@dataclass(frozen=True)
class Job:
    id: int
    request: ReviewRequest
    state: JobState
    attempts: int  # claims so far, a released one not counted
    last_error: str | None
    run_after: datetime
    lease_until: datetime | None
    worker: str | None  # who holds it, or held it last
    created_at: datetime
    updated_at: datetime
    outcome: str | None
    process_id: int | None = None  # the worker process of `worker` (bot/queue/registry.py)
    usage: Usage | None = None  # the finished review's model tokens; None: no model call
    cost_usd: float | None = None  # their estimated cost; None: no call, or no known price
    answer: str | None = None  # the model's answer kept for a retry (bot/model/kept.py)
    spent: Spend = field(default_factory=Spend)  # on the model, over every attempt so far
    posted_at: datetime | None = None  # when its review was posted (max_reviews_per_hour)


def coalesce(older: ReviewRequest, newer: ReviewRequest) -> ReviewRequest:
    """Fold two requests for one PR into one review: the newest head, the strongest mode.

    A `/review full` followed by a push must still be a full review, and the 👀 reaction belongs
    on the newest comment that asked. A `/review` comment carries no head (`head_sha == ""`), so
    it never erases a pushed one.

    A request that still needs a permission check (`verify_permission`) never outranks one that
    does not: a stranger's `/review full` must not swallow a maintainer's `/review` or a push,
    only to be refused. Between requests of equal standing the stronger mode wins; when both
    need the check, the winner's login is the one checked.
    """
    head = newer.head_sha or older.head_sha
    if older.verify_permission != newer.verify_permission:
        trusted = newer if older.verify_permission else older
        return replace(trusted, head_sha=head)
    older_mode, newer_mode = Mode(older.mode), Mode(newer.mode)
    winner = older if older_mode.rank > newer_mode.rank else newer
    verify = older.verify_permission  # the same for both here
    requested_by = newer.requested_by if newer.requested_by is not None else older.requested_by
    folded = replace(
        newer,
        head_sha=head,
        mode=Mode(winner.mode),
        comment_id=newer.comment_id if newer.comment_id is not None else older.comment_id,
        requested_by=requested_by,
        verify_permission=verify,
    )
    if not verify:
        return folded
    # Everyone who asked is kept: a read-only person's `/review full` must not swallow the
    # `/review` of someone with write access, only to be refused.
    return with_askers(folded, [*older.askers(), *newer.askers()])


def request_columns(r: ReviewRequest) -> dict[str, Any]:
    return {
        "repo": r.repo,
        "pr_number": r.pr_number,
        "installation_id": r.installation_id,
        "head_sha": r.head_sha,
        "mode": Mode(r.mode),
        "comment_id": r.comment_id,
        "requested_by": r.requested_by,
        "verify_permission": r.verify_permission,
    }


def request_from_row(row: Mapping[Any, Any]) -> ReviewRequest:
    return ReviewRequest(
        repo=row["repo"],
        pr_number=row["pr_number"],
        installation_id=row["installation_id"],
        head_sha=row["head_sha"],
        mode=Mode(row["mode"]),
        comment_id=row["comment_id"],
        requested_by=row["requested_by"],
        verify_permission=row["verify_permission"],
    )


def job_from_row(row: Mapping[Any, Any]) -> Job:
    return Job(
        id=row["id"],
        request=request_from_row(row),
        state=JobState(row["state"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        run_after=row["run_after"],
        lease_until=row["lease_until"],
        worker=row["worker"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        outcome=row["outcome"],
        process_id=row.get("process_id"),
        usage=_usage(row),
        cost_usd=row.get("cost_usd"),
        answer=row.get("answer"),
        spent=Spend(
            row.get("model_requests") or 0,
            row.get("model_seconds") or 0.0,
            row.get("model_tokens") or 0,
        ),
        posted_at=row.get("posted_at"),
    )


def _usage(row: Mapping[Any, Any]) -> Usage | None:
    if row.get("prompt_tokens") is None:
        return None
    return Usage(
        row["prompt_tokens"], row.get("completion_tokens") or 0, row.get("cached_tokens") or 0
    )
