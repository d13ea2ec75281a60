"""A beads issue as Beadle uses it, whatever source it was read from (docs/design.md §5).

The fields are beads' own (`internal/types/types.go`); `parent`, `blockers` and the counts of
what was left out are what Beadle adds around them so a review can show the issue's context.
"""

from __future__ import annotations

from dataclasses import dataclass

# beads' dependency types that hold an issue back (`DependencyType.IsBlockingEdge`).
BLOCKING_TYPES = frozenset({"blocks", "conditional-blocks", "waits-for"})
PARENT_TYPE = "parent-child"  # issue_id is the child, depends_on_id the parent


@dataclass(frozen=True, slots=True)
class Dependency:
    issue_id: str
    depends_on_id: str
    type: str


@dataclass(frozen=True, slots=True)
class Comment:
    author: str
    text: str
    created_at: str | None


@dataclass(frozen=True, slots=True)
class Related:
    """Another issue as the review mentions it: a parent, a blocker, another id the PR names.
    `known` is False when no source had it (then only the id is real)."""

    id: str
    title: str = ""
    status: str = ""
    summary: str = ""  # the start of its description, for a parent
    known: bool = True


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
    close_reason: str = ""
    comments: tuple[Comment, ...] = ()  # oldest first
    comments_left_out: int = 0  # older comments dropped to keep the prompt within its budget
    parent: Related | None = None
    blockers: tuple[Related, ...] = ()
    unreadable: tuple[str, ...] = ()  # fields the source could not deliver (Dolt: absent blobs)

    @property
    def priority_label(self) -> str:
        """The prompt shows priority the way beads users write it (P0 is most urgent)."""
        if self.priority is not None and 0 <= self.priority <= 4:
            return f"P{self.priority}"
        return "unknown"

    @property
    def parent_id(self) -> str | None:
        """The parent this issue names: a `parent-child` dependency, else the id without its
        last `.N` (`bd-a3f8.1.2` is a child of `bd-a3f8.1`)."""
        for dep in self.dependencies:
            if dep.type == PARENT_TYPE and dep.issue_id == self.id and dep.depends_on_id:
                return dep.depends_on_id
        stem, dot, last = self.id.rpartition(".")
        return stem if dot and stem and last.isdigit() else None

    @property
    def blocker_ids(self) -> tuple[str, ...]:
        """Issues that block this one (it depends on them), in the order beads lists them."""
        found: dict[str, None] = {}
        for dep in self.dependencies:
            if dep.type in BLOCKING_TYPES and dep.issue_id == self.id:
                found.setdefault(dep.depends_on_id, None)
        return tuple(found)
