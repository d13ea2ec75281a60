"""A beads issue as Beadle uses it, whatever source it was read from (docs/design.md §5)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Dependency:
    issue_id: str
    depends_on_id: str
    type: str


@dataclass(frozen=True, slots=True)
class BeadsIssue:
    id: str
    title: str
    description: str
    design: str
    acceptance_criteria: str
    notes: str
    status: str
    priority: int | None
    issue_type: str
    assignee: str | None
    labels: tuple[str, ...]
    dependencies: tuple[Dependency, ...]
    created_at: str | None
    updated_at: str | None
    closed_at: str | None

    @property
    def priority_label(self) -> str:
        """The prompt shows priority the way beads users write it (P0 is most urgent)."""
        if self.priority is not None and 0 <= self.priority <= 4:
            return f"P{self.priority}"
        return "unknown"
