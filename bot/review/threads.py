"""Threads that follow up: when a later round judges an earlier finding fixed, Beadle says so in
that finding's inline comment thread, once.

Every inline comment Beadle posts carries a hidden `<!-- beadle:finding I2 -->`; a reply carries
`<!-- beadle:fixed I2 -->`. Before replying, Beadle lists its own review comments and skips a
thread that already has its reply, so a retried job or a restarted process never says it twice;
and a fixed finding leaves the open findings the review's marker carries, so later rounds never
ask about it again. What a review judged fixed is also recorded in its own hidden tail, so a job
whose review landed but whose replies did not (a crash in between) finishes them when retried.

Replies are courtesies: a failure is logged, never fails the round. GitHub resolves a thread
only through its GraphQL API (`resolveReviewThread`), which Beadle does not call: a fixed
finding's thread gets the reply and stays for the author to resolve.
https://docs.github.com/en/rest/pulls/comments#create-a-reply-for-a-review-comment
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from bot.github.client import RepoClient, ReviewComment
from bot.github.errors import GitHubError
from bot.model.answer import FixStatus
from bot.review.findings import EarlierVerdict
from bot.review.templates import render

log = logging.getLogger("beadle.review")
MAX_REPLIES = 20  # per round: GitHub's secondary limit is about 80 content writes a minute
MAX_EVIDENCE = 500
_FINDING = re.compile(r"<!-- beadle:finding ([CIM][0-9]{1,4}) -->")
_FIXED = re.compile(r"<!-- beadle:fixed ([CIM][0-9]{1,4}) -->")
_RECORD = re.compile(r"<!-- beadle:fixed-findings head=([0-9a-f]{7,64}) data=([A-Za-z0-9_=-]*) -->")


@dataclass(frozen=True, slots=True)
class Fixed:
    id: str
    evidence: str


@dataclass(frozen=True, slots=True)
class ThreadReply:
    comment_id: int  # the thread's first comment
    finding: str
    body: str


def finding_marker(ident: str) -> str:
    return f"<!-- beadle:finding {ident} -->"


def fixed_in(verdicts: Sequence[EarlierVerdict]) -> list[Fixed]:
    """Pure: the earlier findings this round judged fixed (not partly, not "no longer applies")."""
    return [
        Fixed(v.finding.id, v.evidence[:MAX_EVIDENCE])
        for v in verdicts
        if v.status is FixStatus.FIXED
    ][:MAX_REPLIES]


def plan_replies(
    fixed: Sequence[Fixed], comments: Sequence[ReviewComment], *, head: str
) -> list[ThreadReply]:
    """Pure: one reply per fixed finding whose thread exists and has no reply of Beadle's yet.

    `comments` are Beadle's own, oldest first; the newest thread of a finding id wins (after
    `/review full` ids start again, and the newer thread is the one the author is reading)."""
    threads: dict[str, ReviewComment] = {}
    replied: set[tuple[int, str]] = set()
    for c in comments:
        if c.in_reply_to is None:
            for ident in _FINDING.findall(c.body):
                threads[ident] = c
        else:
            replied |= {(c.in_reply_to, ident) for ident in _FIXED.findall(c.body)}
    out = []
    for f in fixed:
        thread = threads.get(f.id)
        if thread is None or (thread.id, f.id) in replied:
            continue
        body = render(
            "thread_fixed.md.j2", short=head[:7], evidence=f.evidence, marker=_fixed_marker(f.id)
        )
        out.append(ThreadReply(thread.id, f.id, body))
    return out


def follow_up(repo: RepoClient, number: int, fixed: Sequence[Fixed], *, head: str) -> int:
    """Reply in the threads of `fixed`; how many replies were posted. Never raises GitHubError."""
    if not fixed:
        return 0
    try:
        comments = repo.own_review_comments(number)
    except GitHubError as exc:
        log.warning("no thread replies on %s#%s: %s", repo.full_name, number, exc)
        return 0
    posted = 0
    for reply in plan_replies(fixed, comments, head=head):
        try:
            repo.reply_to_review_comment(number, reply.comment_id, reply.body)
            posted += 1
        except GitHubError as exc:
            log.warning(
                "reply for %s on %s#%s failed: %s", reply.finding, repo.full_name, number, exc
            )
    return posted


def record(fixed: Sequence[Fixed], *, head: str) -> str:
    """Pure: the hidden line a review carries of what it judged fixed ("" for nothing);
    base64url keeps `--`, which would end the HTML comment, out."""
    if not fixed:
        return ""
    data = json.dumps([[f.id, f.evidence] for f in fixed]).encode()
    packed = base64.urlsafe_b64encode(zlib.compress(data, 9)).decode()
    return f"<!-- beadle:fixed-findings head={head} data={packed} -->"


def recorded(body: str) -> tuple[str, list[Fixed]] | None:
    """Pure: (head, fixed findings) from a review's record, None without a readable one."""
    matches = _RECORD.findall(body or "")
    if not matches:
        return None
    head, data = matches[-1]
    try:
        raw = zlib.decompressobj().decompress(base64.urlsafe_b64decode(data), 200_000)
        items = json.loads(raw)
    except (binascii.Error, zlib.error, ValueError):
        return None
    fixed = [
        Fixed(ident, evidence)
        for item in items
        if isinstance(item, list) and len(item) == 2
        for ident, evidence in [item]
        if isinstance(ident, str)
        and re.fullmatch(r"[CIM][0-9]{1,4}", ident)
        and isinstance(evidence, str)
    ]
    return head, fixed[:MAX_REPLIES]


def finish_recorded(repo: RepoClient, number: int, body: str) -> int:
    """For a retried job whose review is already posted: the replies it may not have made."""
    found = recorded(body)
    return follow_up(repo, number, found[1], head=found[0]) if found else 0


def _fixed_marker(ident: str) -> str:
    return f"<!-- beadle:fixed {ident} -->"
