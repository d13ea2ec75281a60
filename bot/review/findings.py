"""Check the model's findings against the diff and number them; pure.

GitHub refuses a whole review (422) if one inline comment sits outside the diff, so only
findings whose lines the diff shows become inline comments. A finding on a file that is not in
the reviewed diff is kept, but marked unverified in the summary. A finding's replacement for its
lines is kept only where the comment covers exactly those lines (bot/review/suggestions.py).
https://docs.github.com/en/rest/pulls/reviews#create-a-review-for-a-pull-request
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.model.answer import EarlierFinding, Finding, FixStatus, ReviewAnswer, Severity
from bot.review.diff import FileDiff
from bot.review.marker import TrackedFinding
from bot.review.suggestions import fit_suggestion

LETTER = {Severity.CRITICAL: "C", Severity.IMPORTANT: "I", Severity.MINOR: "M"}
STILL_OPEN = frozenset({FixStatus.NOT_FIXED, FixStatus.PARTLY_FIXED})


@dataclass(frozen=True, slots=True)
class Placed:
    id: str
    finding: Finding
    verified: bool  # the file is in the reviewed diff
    line: int | None  # where an inline comment goes (RIGHT side), None: summary only
    start_line: int | None  # set for a multi-line inline comment
    suggestion: str | None = None  # the finding's replacement, when it fits the comment's lines

    @property
    def location(self) -> str:
        f = self.finding
        if f.start_line and f.end_line and f.end_line > f.start_line:
            return f"{f.file}:{f.start_line}-{f.end_line}"
        return f"{f.file}:{f.start_line}" if f.start_line else f.file


@dataclass(frozen=True, slots=True)
class EarlierVerdict:
    finding: TrackedFinding
    status: FixStatus | None  # None: the model did not say
    evidence: str


@dataclass(frozen=True, slots=True)
class Checked:
    findings: tuple[Placed, ...]
    earlier: tuple[EarlierVerdict, ...]
    still_open: tuple[TrackedFinding, ...]  # what the next round asks about
    counters: dict[str, int]


def check(
    answer: ReviewAnswer,
    files: Sequence[FileDiff],
    *,
    earlier: Sequence[TrackedFinding] = (),
    counters: dict[str, int] | None = None,
) -> Checked:
    by_path = {f.path: f for f in files}
    counters = dict(counters or {})
    placed = []
    order = {Severity.CRITICAL: 0, Severity.IMPORTANT: 1, Severity.MINOR: 2}
    for finding in sorted(answer.findings, key=lambda f: order[f.severity]):
        letter = LETTER[finding.severity]
        counters[letter] = counters.get(letter, 0) + 1
        if finding.file not in by_path:  # a real top-level `b/` folder keeps its name
            finding = finding.model_copy(update={"file": _repo_path(finding.file)})
        diff = by_path.get(finding.file)
        spot = _place(f"{letter}{counters[letter]}", finding, diff)
        replacement = fit_suggestion(
            finding.suggestion,
            diff,
            start=finding.start_line,
            end=finding.end_line,
            line=spot.line,
            start_line=spot.start_line,
        )
        placed.append(replace(spot, suggestion=replacement) if replacement else spot)
    verdicts = _earlier(earlier, answer.earlier_findings)
    still_open = [v.finding for v in verdicts if v.status is None or v.status in STILL_OPEN]
    still_open += [
        TrackedFinding(
            p.id, p.finding.severity.value, p.finding.title, p.finding.file, p.finding.start_line
        )
        for p in placed
    ]
    return Checked(tuple(placed), tuple(verdicts), tuple(still_open), counters)


def _repo_path(path: str) -> str:
    """Models sometimes quote the diff's `b/` prefix or a `./`; GitHub wants the bare path."""
    path = path.strip().strip("`")
    for prefix in ("b/", "a/", "./", "/"):
        path = path.removeprefix(prefix)
    return path


def _place(ident: str, finding: Finding, diff: FileDiff | None) -> Placed:
    if diff is None:
        return Placed(ident, finding, verified=False, line=None, start_line=None)
    start = finding.start_line if finding.start_line and finding.start_line > 0 else None
    end = finding.end_line if finding.end_line and start and finding.end_line >= start else start
    if end is None:
        return Placed(ident, finding, verified=True, line=None, start_line=None)
    if start is not None and start < end and _same_hunk(diff, start, end):
        return Placed(ident, finding, verified=True, line=end, start_line=start)
    for line in (end, start):
        if line in diff.right_lines:
            return Placed(ident, finding, verified=True, line=line, start_line=None)
    return Placed(ident, finding, verified=True, line=None, start_line=None)


def _same_hunk(diff: FileDiff, start: int, end: int) -> bool:
    """A multi-line comment must span lines of one hunk, all shown on the RIGHT side."""
    if start not in diff.right_lines or end not in diff.right_lines:
        return False
    return any(h.new_start <= start and end < h.new_start + h.new_len for h in diff.hunks)


def _earlier(
    earlier: Sequence[TrackedFinding], said: Sequence[EarlierFinding]
) -> list[EarlierVerdict]:
    by_id = {e.id.strip().upper(): e for e in said}
    return [
        EarlierVerdict(f, by_id[f.id].status, by_id[f.id].evidence)
        if f.id in by_id
        else EarlierVerdict(f, None, "")
        for f in earlier
    ]
