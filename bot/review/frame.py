"""What surrounds the diff in the prompt, cut to leave the diff its share of the window. Pure
but for measuring through the templates.

The issue, the documents it names and the code at earlier findings are measured before the
diff. Left alone, a 1 MB issue description or three long plans could fill the window, and the
round would end "nothing to review" with every file "over the budget". So the diff is promised
at least half the window (or all it needs, if less), and the frame gives way in this order:
the documents (last named first), the code at earlier findings, then the issue's long fields,
cut at the end. What was cut is said in the review.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.review.prompt import PromptInput

ISSUE_FIELDS = ("notes", "design", "description", "acceptance_criteria")
CUT_MARK = "\n\n[… cut to fit the model's window]"


@dataclass(frozen=True, slots=True)
class Framed:
    input: PromptInput
    cuts: tuple[str, ...] = ()  # what was left out, in words for the review


def fit_frame(
    base: PromptInput, *, limit: int, diff_tokens: int, measure: Callable[[PromptInput], int]
) -> Framed:
    """`base` (no diff yet) cut until it leaves `min(diff_tokens, limit // 2)` of `limit`."""
    want = min(diff_tokens, limit // 2)

    def fits(p: PromptInput) -> bool:
        return limit - measure(p) >= want

    current, cuts = base, []
    if fits(current):
        return Framed(current)
    documents = list(current.documents)
    while documents and not fits(current):
        dropped = documents.pop()
        current = replace(current, documents=tuple(documents))
        cuts.append(f"the document `{dropped.path}`")
    if not fits(current) and current.evidence:
        current = replace(current, evidence=())
        cuts.append("the code at the earlier findings")
    issue = current.issue
    if issue is not None and not fits(current):
        for name in ISSUE_FIELDS:
            text = getattr(issue, name)
            keep = len(text)
            while keep > 200 and not fits(current):
                keep //= 2
                issue = replace(issue, **{name: text[:keep] + CUT_MARK})
                current = replace(current, issue=issue)
            if keep < len(text):
                cuts.append(f"the end of the issue's {name.replace('_', ' ')}")
            if fits(current):
                break
    return Framed(current, tuple(cuts))


def cut_note(cuts: tuple[str, ...]) -> str | None:
    if not cuts:
        return None
    return "To leave the diff room in the model's window, the prompt left out " + (
        ", ".join(cuts) + "."
    )
