"""The model's structured answer: a pydantic model that becomes the JSON-schema response format.

One schema for every round (strict JSON schema wants every field present): round one answers
`earlier_findings` with an empty list, and a finding without a ready replacement for its lines
answers `suggestion` with null.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Severity(StrEnum):
    CRITICAL = "critical"  # must fix: security, broken functionality, data loss
    IMPORTANT = "important"  # should fix before merge: bugs, missing requirements, poor patterns
    MINOR = "minor"  # nice to have: style, naming, small optimisations


class RequirementStatus(StrEnum):
    MET = "met"
    PARTIAL = "partial"
    MISSING = "missing"


class Verdict(StrEnum):
    YES = "yes"
    WITH_FIXES = "with_fixes"
    NO = "no"


class FixStatus(StrEnum):
    FIXED = "fixed"
    PARTLY_FIXED = "partly_fixed"
    NOT_FIXED = "not_fixed"
    NOT_APPLICABLE = "not_applicable"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Finding(_Strict):
    severity: Severity
    title: str = Field(description="One line naming the problem")
    file: str = Field(description="Repository-relative path of the file, as in the diff")
    start_line: int | None = Field(description="First line in the new version of the file")
    end_line: int | None = Field(description="Last line in the new version (= start_line for one)")
    problem: str = Field(description="What is wrong")
    impact: str = Field(description="Why it matters")
    fix: str = Field(description="How to fix it")
    # Optional in the answer's value (older answers lack it) but required in the strict schema
    # the SDK sends: its strict mode lists every field and drops the null default.
    suggestion: str | None = Field(
        default=None,
        description=(
            "Lines start_line..end_line exactly as they should read after the fix (whole lines, "
            "indentation kept, no diff markers, no code fence), or null"
        ),
    )


class Requirement(_Strict):
    requirement: str
    status: RequirementStatus
    evidence: str = Field(description="file:line or the reason it is judged so")


class EarlierFinding(_Strict):
    id: str = Field(description="The id of the earlier finding, e.g. I2")
    status: FixStatus
    evidence: str


class Assessment(_Strict):
    ready_to_merge: Verdict
    reasoning: str


class ReviewAnswer(_Strict):
    findings: list[Finding]
    strengths: list[str]
    requirements: list[Requirement]
    earlier_findings: list[EarlierFinding] = Field(
        description="Round two and later: one entry per earlier finding; round one: empty"
    )
    assessment: Assessment
    summary: str
