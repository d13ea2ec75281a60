"""The "Beadle review" check run on the head SHA: payloads built from values (no I/O but
loading the summary's template).

https://docs.github.com/en/rest/checks/runs — at most 50 annotations per request.
"""

from __future__ import annotations

from typing import Any

from bot.model.answer import Severity, Verdict
from bot.review.findings import Checked
from bot.review.templates import render

NAME = "Beadle review"
MAX_ANNOTATIONS = 50
LEVEL = {Severity.CRITICAL: "failure", Severity.IMPORTANT: "warning", Severity.MINOR: "notice"}


def started(head_sha: str, *, round_: int) -> dict[str, Any]:
    return {
        "name": NAME,
        "head_sha": head_sha,
        "status": "in_progress",
        "output": {
            "title": f"Reviewing (round {round_})",
            "summary": "Beadle is reviewing this commit.",
        },
    }


def conclusion(checked: Checked, verdict: Verdict, *, critical_fails: bool) -> str:
    """A critical finding still open blocks: a new one, or an earlier one not fixed (round two
    judging round one's critical "not fixed" must not let the check pass)."""
    blocking = verdict is Verdict.NO or any(
        f.severity == Severity.CRITICAL.value for f in checked.still_open
    )
    if blocking:
        return "failure" if critical_fails else "neutral"
    return "success" if verdict is Verdict.YES else "neutral"


def completed(
    checked: Checked, verdict: Verdict, *, round_: int, review_url: str, critical_fails: bool
) -> dict[str, Any]:
    counts = {s: sum(p.finding.severity is s for p in checked.findings) for s in Severity}
    annotations = [
        _annotation(p) for p in checked.findings if p.verified and (p.finding.start_line or 0) > 0
    ][:MAX_ANNOTATIONS]
    return {
        "status": "completed",
        "conclusion": conclusion(checked, verdict, critical_fails=critical_fails),
        "output": {
            "title": (
                f"Round {round_}: {counts[Severity.CRITICAL]} critical, "
                f"{counts[Severity.IMPORTANT]} important, {counts[Severity.MINOR]} minor"
            ),
            "summary": render(
                "check_summary.md.j2",
                round=round_,
                verdict=verdict.value,
                counts=counts,
                review_url=review_url,
                shown=len(annotations),
                total=len(checked.findings),
            )[:60_000],
            "annotations": annotations,
        },
    }


def nothing_to_review(left_out: list[str]) -> dict[str, Any]:
    listed = "\n".join(f"- {line}" for line in left_out[:200])
    return {
        "status": "completed",
        "conclusion": "neutral",
        "output": {
            "title": "Nothing to review",
            "summary": (
                "No file in this change is one Beadle reviews"
                + (f"; left out:\n\n{listed}" if listed else ".")
            )[:60_000],
        },
    }


def failed(reason: str) -> dict[str, Any]:
    return {
        "status": "completed",
        "conclusion": "neutral",
        "output": {"title": "Review not finished", "summary": reason[:60_000]},
    }


def _annotation(p: Any) -> dict[str, Any]:
    f = p.finding
    end = f.end_line if f.end_line and f.end_line >= f.start_line else f.start_line
    return {
        "path": f.file,
        "start_line": f.start_line,
        "end_line": end,
        "annotation_level": LEVEL[f.severity],
        "title": f"[{p.id}] {f.title}"[:255],
        "message": f"{f.problem}\n\nFix: {f.fix}"[:64_000],
    }
