"""The hidden marker in every review Beadle posts: the source of truth for the next round.

`<!-- beadle:review v=1 round=2 base=<sha> head=<sha> issue=bd-a3f8 job=<key> data=<base64url(zlib(json))> -->`

The header is readable at a glance in the raw body; `data` holds the findings still open after
that round (id, severity, title, file:line), so round N+1 can ask about each of them even if
Beadle's database is lost. base64url keeps `--` (which would end the HTML comment) out.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

_MARKER = re.compile(r"<!-- beadle:review (?P<attrs>[^<>]*?) -->")
_SHA = re.compile(r"^[0-9a-f]{7,64}$")
_ISSUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")  # beads prefixes keep their case
_JOB = re.compile(r"^[0-9a-z-]{1,64}$")
_ID = re.compile(r"^[CIM][0-9]{1,4}$")
SEVERITIES = ("critical", "important", "minor")
MAX_TITLE = 120


@dataclass(frozen=True, slots=True)
class TrackedFinding:
    id: str  # C1, I2, M3: severity letter + number, unique within the PR
    severity: str
    title: str
    file: str
    line: int | None


@dataclass(frozen=True, slots=True)
class Marker:
    round: int
    base: str
    head: str
    issue: str | None
    findings: tuple[TrackedFinding, ...] = ()
    # the highest number used so far per severity letter, so ids are never reused
    counters: dict[str, int] = field(default_factory=dict)
    job: str | None = None  # the job that posted it: a retried job finds its own review


def render_marker(m: Marker) -> str:
    data = {
        "findings": [
            [f.id, f.severity, f.title[:MAX_TITLE], f.file[:300], f.line] for f in m.findings
        ],
        "counters": m.counters,
    }
    packed = base64.urlsafe_b64encode(zlib.compress(json.dumps(data).encode(), 9)).decode()
    return (
        f"<!-- beadle:review v=1 round={m.round} base={m.base} head={m.head} "
        f"issue={m.issue or '-'} job={m.job or '-'} data={packed} -->"
    )


def parse_marker(body: str) -> Marker | None:
    """The marker in `body`, or None when absent or not a well-formed Beadle marker."""
    # The last one: Beadle writes its marker at the very end, so a marker quoted earlier in the
    # body (by the model, from the PR's text) cannot stand in for it.
    matches = _MARKER.findall(body or "")
    if not matches:
        return None
    attrs = dict(part.split("=", 1) for part in matches[-1].split() if "=" in part)
    try:
        if attrs.get("v") != "1":
            return None
        round_ = int(attrs["round"])
        base, head, issue = attrs["base"], attrs["head"], attrs.get("issue", "-")
        if not (1 <= round_ <= 10_000 and _SHA.match(base) and _SHA.match(head)):
            return None
        if issue != "-" and not _ISSUE.match(issue):
            return None
        findings, counters = _decode(attrs.get("data", ""))
        job = attrs.get("job", "-")
        if job != "-" and not _JOB.match(job):
            return None
    except (KeyError, ValueError):
        return None
    return Marker(
        round=round_,
        base=base,
        head=head,
        issue=None if issue == "-" else issue,
        findings=findings,
        counters=counters,
        job=None if job == "-" else job,
    )


def latest_marker(bodies: Iterable[str]) -> Marker | None:
    """The marker of the newest of `bodies` (Beadle's own reviews, oldest first) that has one.

    The newest, not the highest round: after `/review full` posts a new round one, the next push
    follows that review, not the chain it replaced."""
    latest: Marker | None = None
    for body in bodies:
        marker = parse_marker(body)
        if marker is not None:
            latest = marker
    return latest


def _decode(data: str) -> tuple[tuple[TrackedFinding, ...], dict[str, int]]:
    if not data:
        return (), {}
    try:
        raw = zlib.decompressobj().decompress(base64.urlsafe_b64decode(data), 1_000_000)
        obj = json.loads(raw)
    except (binascii.Error, zlib.error, UnicodeDecodeError) as exc:
        raise ValueError("corrupt marker data") from exc
    if not isinstance(obj, dict) or not isinstance(obj.get("findings"), list):
        raise ValueError("marker data has no findings list")
    findings = []
    for item in obj["findings"]:
        if not (isinstance(item, list) and len(item) == 5):
            raise ValueError("malformed finding in marker")
        ident, severity, title, file, line = item
        if not (
            isinstance(ident, str)
            and _ID.match(ident)
            and severity in SEVERITIES
            and isinstance(title, str)
            and isinstance(file, str)
            and (line is None or (isinstance(line, int) and line > 0))
        ):
            raise ValueError("malformed finding in marker")
        findings.append(TrackedFinding(ident, severity, title, file, line))
    counters = obj.get("counters") or {}
    if not (
        isinstance(counters, dict)
        and all(k in ("C", "I", "M") and isinstance(v, int) for k, v in counters.items())
    ):
        raise ValueError("malformed counters in marker")
    return tuple(findings), counters
