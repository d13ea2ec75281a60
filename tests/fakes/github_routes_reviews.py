"""Pull request reviews as GitHub accepts them: inline comments must sit on a line of a hunk
(RIGHT = new-file numbers of added/context lines, LEFT = old-file numbers of removed/context
lines), or the whole review is refused with 422 and nothing is stored. A reply joins the thread
of a top-level comment (replies to replies are refused: GitHub documents them as unsupported).
GitHub files a reply under a review of its own, an empty COMMENTED one; the fake does that only
when `gh.reply_reviews` is set, so that by default the reviews listed are Beadle's rounds."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from . import github_shapes as shapes
from .github_routes_pulls import find_pull, pr_files
from .github_state import Call, Reply, Repo, error, not_found, paginate, route, validation_failed

if TYPE_CHECKING:
    from .github import FakeGitHub

MAX_BODY = 65_536
_DOC_REVIEW = "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"
_EVENT_STATE = {
    "COMMENT": "COMMENTED",
    "APPROVE": "APPROVED",
    "REQUEST_CHANGES": "CHANGES_REQUESTED",
    None: "PENDING",
}
_HUNK = re.compile(r"@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


# -- reviews --------------------------------------------------------------------------------------
def review_json(gh: FakeGitHub, repo: Repo, number: int, rec: dict) -> dict:
    return shapes.review(gh.base_url, repo.full_name, number, rec)


@route("GET", "/repos/{owner}/{repo}/pulls/{pull_number:int}/reviews")
def list_reviews(gh: FakeGitHub, call: Call) -> Reply:
    repo, pr = find_pull(call)
    if pr is None:
        return not_found()
    with gh.lock:
        reviews = [review_json(gh, repo, pr.number, r) for r in pr.reviews]
    return paginate(gh, call, reviews)


@route("GET", "/repos/{owner}/{repo}/pulls/{pull_number:int}/comments")
def list_review_comments(gh: FakeGitHub, call: Call) -> Reply:
    repo, pr = find_pull(call)
    if pr is None:
        return not_found()
    with gh.lock:
        comments = [comment_json(gh, repo, pr.number, c) for c in pr.review_comments]
    return paginate(gh, call, comments)


def comment_json(gh: FakeGitHub, repo: Repo, number: int, rec: dict) -> dict:
    out = shapes.review_comment(gh.base_url, repo.full_name, number, rec)
    if rec.get("in_reply_to_id"):
        out["in_reply_to_id"] = rec["in_reply_to_id"]
    return out


@route("POST", "/repos/{owner}/{repo}/pulls/{pull_number:int}/comments/{comment_id:int}/replies")
def reply_to_review_comment(gh: FakeGitHub, call: Call) -> Reply:
    repo, pr = find_pull(call)
    if pr is None:
        return not_found()
    body = (call.json or {}).get("body") or ""
    if not body or len(body) > MAX_BODY:
        reason = "Body can't be blank" if not body else f"Body is too long (maximum is {MAX_BODY})"
        return validation_failed("PullRequestReviewComment", "body", reason)
    wanted = call.int_param("comment_id")
    with gh.lock:
        target = next((c for c in pr.review_comments if c["id"] == wanted), None)
        if target is None:
            return not_found()
        if target.get("in_reply_to_id"):
            return _unresolvable("Replies to replies are not supported")
        stamp = shapes.now_iso()
        review_id = target["pull_request_review_id"]
        if getattr(gh, "reply_reviews", False):
            review_id = gh.new_id()
            pr.reviews.append(
                {
                    "id": review_id,
                    "user": gh.bot,
                    "body": "",
                    "state": "COMMENTED",
                    "commit_id": target["commit_id"],
                    "submitted_at": stamp,
                    "author_association": "NONE",
                }
            )
        rec = {
            **target,
            "id": gh.new_id(),
            "pull_request_review_id": review_id,
            "in_reply_to_id": target["id"],
            "body": body,
            "user": gh.bot,
            "created_at": stamp,
        }
        pr.review_comments.append(rec)
        return Reply(201, comment_json(gh, repo, pr.number, rec))


def _hunks(patch: str) -> list[dict]:
    """Per hunk: {header, lines[(text, side, number)]}; side None for `\\ No newline` lines."""
    hunks: list[dict] = []
    old = new = 0
    for text in patch.split("\n"):
        head = _HUNK.match(text)
        if head:
            old, new = int(head.group(1)), int(head.group(2))
            hunks.append({"header": text, "lines": []})
            continue
        if not hunks:
            continue
        if text.startswith("+"):
            hunks[-1]["lines"].append((text, {"RIGHT": new}))
            new += 1
        elif text.startswith("-"):
            hunks[-1]["lines"].append((text, {"LEFT": old}))
            old += 1
        elif text.startswith("\\"):
            hunks[-1]["lines"].append((text, {}))
        else:
            hunks[-1]["lines"].append((text, {"LEFT": old, "RIGHT": new}))
            old, new = old + 1, new + 1
    return hunks


def _locate(hunks: list[dict], side: str, line: int) -> tuple[int, int] | None:
    """(hunk index, index in hunk) of `line` on `side`, or None when it is not in the diff."""
    for h, hunk in enumerate(hunks):
        for i, (_, numbers) in enumerate(hunk["lines"]):
            if numbers.get(side) == line:
                return h, i
    return None


def _by_position(hunks: list[dict], position: int) -> tuple[int, int] | None:
    count = 0
    for h, hunk in enumerate(hunks):
        if h:
            count += 1  # later hunk headers count as positions
        for i in range(len(hunk["lines"])):
            count += 1
            if count == position:
                return h, i
    return None


def _position_of(hunks: list[dict], spot: tuple[int, int]) -> int:
    """The legacy diff `position` of a located line (1 = the line below the first @@)."""
    return sum(len(h["lines"]) + 1 for h in hunks[: spot[0]]) + spot[1] + 1


def _unresolvable(reason: str = "Line could not be resolved") -> Reply:
    return error(422, "Unprocessable Entity", errors=[reason], doc=_DOC_REVIEW)


def _resolve_comment(comment: dict, files: dict[str, dict]) -> dict | Reply:
    """The stored fields of an inline comment, or the 422 GitHub gives for it."""
    path = comment["path"]
    if len(comment.get("body", "")) > MAX_BODY:
        return validation_failed(
            "PullRequestReviewComment",
            "body",
            f"Body is too long (maximum is {MAX_BODY} characters)",
            doc=_DOC_REVIEW,
        )
    entry = files.get(path)
    if entry is None:
        return _unresolvable("Path could not be resolved")
    fields: dict[str, Any] = {
        "path": path,
        "body": comment.get("body", ""),
        "line": None,
        "side": None,
        "start_line": None,
        "start_side": None,
        "position": None,
        "diff_hunk": "",
    }
    if comment.get("subject_type") == "file":
        return fields
    hunks = _hunks(entry.get("patch", ""))
    if "line" in comment:
        side = comment.get("side", "RIGHT")
        spot = _locate(hunks, side, comment["line"])
        if spot is None:
            return _unresolvable()
        if "start_line" in comment:
            start_side = comment.get("start_side", side)
            if comment["start_line"] >= comment["line"] and start_side == side:
                return _unresolvable("start_line must precede line")
            start = _locate(hunks, start_side, comment["start_line"])
            if start is None or start[0] != spot[0]:
                return _unresolvable()
            fields.update(start_line=comment["start_line"], start_side=start_side)
        fields.update(line=comment["line"], side=side)
    elif "position" in comment:
        spot = _by_position(hunks, comment["position"])
        if spot is None:
            return _unresolvable()
        numbers = hunks[spot[0]]["lines"][spot[1]][1]
        side = "RIGHT" if "RIGHT" in numbers else "LEFT"
        fields.update(position=comment["position"], line=numbers.get(side), side=side)
    else:
        return _unresolvable()
    hunk = hunks[spot[0]]
    fields["position"] = _position_of(hunks, spot)
    fields["diff_hunk"] = "\n".join([hunk["header"]] + [t for t, _ in hunk["lines"][: spot[1] + 1]])
    return fields


@route("POST", "/repos/{owner}/{repo}/pulls/{pull_number:int}/reviews")
def create_review(gh: FakeGitHub, call: Call) -> Reply:
    repo, pr = find_pull(call)
    if pr is None:
        return not_found()
    data = call.json or {}
    body = data.get("body") or ""
    event = data.get("event")
    comments = data.get("comments") or []
    if len(body) > MAX_BODY:
        return validation_failed(
            "PullRequestReview",
            "body",
            f"Body is too long (maximum is {MAX_BODY} characters)",
            doc=_DOC_REVIEW,
        )
    if event in ("COMMENT", "REQUEST_CHANGES") and not body and not comments:
        return validation_failed(
            "PullRequestReview",
            "body",
            "Body can't be blank",
            code="missing_field",
            doc=_DOC_REVIEW,
        )
    commit_id = data.get("commit_id") or pr.head_sha
    try:
        commit_sha = repo.git.sha(commit_id)
    except KeyError:
        return _unresolvable("Commit could not be resolved")
    if not repo.git.is_ancestor(commit_sha, pr.head_sha):
        return _unresolvable("Commit is not part of the pull request")
    files = {f["filename"]: f for f in pr_files(gh, repo, pr.base_sha, commit_sha)}
    resolved = []
    for comment in comments:
        fields = _resolve_comment(comment, files)
        if isinstance(fields, Reply):
            return fields  # one bad comment refuses the whole review, nothing stored
        resolved.append(fields)
    bot = gh.bot
    with gh.lock:
        if event is None and any(
            r["state"] == "PENDING" and r["user"]["login"] == bot["login"] for r in pr.reviews
        ):
            return _unresolvable("User can only have one pending review per pull request")
        stamp = shapes.now_iso()
        rec = {
            "id": gh.new_id(),
            "user": bot,
            "body": body,
            "state": _EVENT_STATE[event],
            "commit_id": commit_sha,
            "submitted_at": None if event is None else stamp,
            "author_association": "NONE",
        }
        pr.reviews.append(rec)
        for fields in resolved:
            pr.review_comments.append(
                {
                    **fields,
                    "id": gh.new_id(),
                    "pull_request_review_id": rec["id"],
                    "commit_id": commit_sha,
                    "user": bot,
                    "created_at": stamp,
                    "author_association": "NONE",
                }
            )
    return Reply(200, review_json(gh, repo, pr.number, rec))
