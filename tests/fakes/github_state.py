"""Plain records for the fake GitHub: its state, one request in, one reply out, and routing."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .gitrepo import GitRepo

if TYPE_CHECKING:
    from .github import FakeGitHub

DOCS = "https://docs.github.com/rest"


@dataclass
class Repo:
    full_name: str
    git: GitRepo
    default_branch: str
    id: int
    installation_id: int
    owner_type: str
    private: bool
    permissions: dict[str, str] = field(default_factory=dict)
    pulls: dict[int, Pull] = field(default_factory=dict)
    issue_comments: list[dict] = field(default_factory=list)  # internal records, all issues
    check_runs: dict[int, dict] = field(default_factory=dict)
    next_number: int = 1

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]


@dataclass
class Pull:
    number: int
    id: int
    title: str
    body: str | None
    head_ref: str
    base_ref: str
    head_sha: str
    base_sha: str
    draft: bool
    author: str
    author_association: str
    created_at: str
    updated_at: str
    state: str = "open"
    closed_at: str | None = None
    merged_at: str | None = None
    previous_head_sha: str | None = None
    reviews: list[dict] = field(default_factory=list)
    review_comments: list[dict] = field(default_factory=list)


@dataclass
class RecordedRequest:
    """One request the fake received, with the status it answered."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    status: int
    body: bytes = b""


@dataclass
class Call:
    """The request as handlers see it; `params` are the route's captures, `repo` the resolved repo."""

    method: str
    path: str  # without query and without any /api/v3 prefix
    raw_path: str  # as received, for Link headers
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any
    params: dict[str, str] = field(default_factory=dict)
    repo: Repo | None = None
    installation_id: int | None = None

    def accepts(self, *media_types: str) -> bool:
        """Whether Accept names one of `media_types` (given without `application/vnd.github.`)."""
        wanted = set()
        for kind in media_types:
            wanted |= {f"application/vnd.github.{kind}", f"application/vnd.github.v3.{kind}"}
        offered = {
            part.split(";")[0].strip().lower() for part in self.headers.get("accept", "").split(",")
        }
        return bool(wanted & offered)

    def int_param(self, name: str) -> int:
        return int(self.params[name])


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    content: bytes | str | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def error(status: int, message: str, *, errors: list | None = None, doc: str = DOCS) -> Reply:
    body: dict[str, Any] = {"message": message, "documentation_url": doc, "status": str(status)}
    if errors is not None:
        body["errors"] = errors
    return Reply(status, body)


def not_found(doc: str = DOCS) -> Reply:
    return error(404, "Not Found", doc=doc)


def validation_failed(
    resource: str, field_name: str, message: str, *, code: str = "custom", doc: str = DOCS
) -> Reply:
    return error(
        422,
        "Validation Failed",
        errors=[{"resource": resource, "code": code, "field": field_name, "message": message}],
        doc=doc,
    )


def paginate(gh: FakeGitHub, call: Call, items: list, *, limit: int | None = None) -> Reply:
    """One page of `items` with a GitHub-style Link header (per_page ≤ 100, default 30)."""
    if limit is not None:
        items = items[:limit]
    try:
        per_page = max(1, min(100, int(call.query.get("per_page", 30))))
        page = max(1, int(call.query.get("page", 1)))
    except ValueError:
        return error(422, "Invalid request.\n\nper_page and page must be integers.")
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    links = []

    def link(n: int, rel: str) -> str:
        query = {**call.query, "per_page": str(per_page), "page": str(n)}
        return f'<{gh.base_url}{call.raw_path}?{urlencode(query)}>; rel="{rel}"'

    if page > 1:
        links += [link(page - 1, "prev"), link(1, "first")]
    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    # GitHub lists next/last before prev/first
    links.sort(key=lambda s: ["next", "last", "prev", "first"].index(s.rsplit('"', 2)[1]))
    return Reply(200, chunk, headers={"link": ", ".join(links)} if links else {})


Handler = Callable[["FakeGitHub", Call], Reply]


@dataclass
class Route:
    method: str
    regex: re.Pattern[str]
    handler: Handler
    auth: str  # "token" (installation token), "jwt" (App JWT) or "none"


ROUTES: list[Route] = []


def route(method: str, template: str, *, auth: str = "token") -> Callable[[Handler], Handler]:
    """Register a handler for `template`: `{x}` one segment, `{x:int}` digits, `{x:path}` any."""

    def compile_template(text: str) -> re.Pattern[str]:
        def piece(m: re.Match[str]) -> str:
            name, _, kind = m.group(1).partition(":")
            body = {"int": r"\d+", "path": r".+"}.get(kind, r"[^/]+")
            return f"(?P<{name}>{body})"

        return re.compile(re.sub(r"\\\{([^}]+)\\\}", lambda m: piece(m), re.escape(text)) + r"\Z")

    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(method.upper(), compile_template(template), handler, auth))
        return handler

    return register
