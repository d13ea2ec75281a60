"""Check runs: create, update (annotations accumulate, at most 50 a request), get, list."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from . import github_shapes as shapes
from .github_routes_app import app_json
from .github_state import Call, Reply, Repo, error, not_found, paginate, route, validation_failed

if TYPE_CHECKING:
    from .github import FakeGitHub

MAX_ANNOTATIONS = 50


# -- check runs ---------------------------------------------------------------------------------
def check_run_json(gh: FakeGitHub, repo: Repo, rec: dict) -> dict:
    pulls = []
    with gh.lock:
        for pr in repo.pulls.values():
            if pr.head_sha == rec["head_sha"]:
                base = f"{gh.base_url}/repos/{repo.full_name}"
                ref = {"id": repo.id, "url": base, "name": repo.full_name.split("/")[1]}
                pulls.append(
                    {
                        "url": f"{base}/pulls/{pr.number}",
                        "id": pr.id,
                        "number": pr.number,
                        "head": {"ref": pr.head_ref, "sha": pr.head_sha, "repo": ref},
                        "base": {"ref": pr.base_ref, "sha": pr.base_sha, "repo": ref},
                    }
                )
    return shapes.check_run(gh.base_url, repo.full_name, rec, app_json=app_json(gh), pulls=pulls)


def _apply_check_fields(rec: dict, data: dict) -> Reply | None:
    output = data.get("output") or {}
    annotations = output.get("annotations") or []
    if len(annotations) > MAX_ANNOTATIONS:
        return error(
            422,
            f"Invalid request.\n\nOnly {MAX_ANNOTATIONS} annotations are allowed per request.",
            doc="https://docs.github.com/rest/checks/runs#update-a-check-run",
        )
    for key in (
        "name",
        "details_url",
        "external_id",
        "started_at",
        "completed_at",
        "status",
        "conclusion",
    ):
        if key in data:
            rec[key] = data[key]
    if data.get("conclusion"):
        rec["status"] = "completed"
    if rec.get("status") == "completed":
        if not rec.get("conclusion"):
            return validation_failed(
                "CheckRun",
                "conclusion",
                "conclusion is required when status is completed",
                code="missing_field",
            )
        rec.setdefault("completed_at", None)
        rec["completed_at"] = rec["completed_at"] or shapes.now_iso()
    if output:
        merged = dict(rec.get("output") or {})
        merged.update({k: v for k, v in output.items() if k in ("title", "summary", "text")})
        rec["output"] = merged
        rec["annotations"].extend(copy.deepcopy(annotations))
    return None


@route("POST", "/repos/{owner}/{repo}/check-runs")
def create_check_run(gh: FakeGitHub, call: Call) -> Reply:
    repo = call.repo
    assert repo is not None
    data = call.json
    try:
        head_sha = repo.git.sha(data["head_sha"])
    except KeyError:
        return validation_failed(
            "CheckRun", "head_sha", "No commit found for SHA: " + data["head_sha"], code="invalid"
        )
    rec = {
        "id": gh.new_id(),
        "check_suite_id": gh.new_id(),
        "head_sha": head_sha,
        "status": "queued",
        "conclusion": None,
        "started_at": shapes.now_iso(),
        "completed_at": None,
        "annotations": [],
        "output": {},
    }
    problem = _apply_check_fields(rec, data)
    if problem is not None:
        return problem
    with gh.lock:
        repo.check_runs[rec["id"]] = rec
    return Reply(201, check_run_json(gh, repo, rec))


@route("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id:int}")
def update_check_run(gh: FakeGitHub, call: Call) -> Reply:
    repo = call.repo
    assert repo is not None
    with gh.lock:
        rec = repo.check_runs.get(call.int_param("check_run_id"))
        if rec is None:
            return not_found()
        candidate = copy.deepcopy(rec)
        problem = _apply_check_fields(candidate, call.json)
        if problem is not None:
            return problem
        rec.clear()
        rec.update(candidate)
    return Reply(200, check_run_json(gh, repo, rec))


@route("GET", "/repos/{owner}/{repo}/check-runs/{check_run_id:int}")
def get_check_run(gh: FakeGitHub, call: Call) -> Reply:
    assert call.repo is not None
    rec = call.repo.check_runs.get(call.int_param("check_run_id"))
    return Reply(200, check_run_json(gh, call.repo, rec)) if rec else not_found()


@route("GET", "/repos/{owner}/{repo}/commits/{ref}/check-runs")
def list_check_runs_for_ref(gh: FakeGitHub, call: Call) -> Reply:
    repo = call.repo
    assert repo is not None
    try:
        sha = repo.git.sha(call.params["ref"])
    except KeyError:
        return not_found()
    with gh.lock:
        runs = [
            check_run_json(gh, repo, r) for r in repo.check_runs.values() if r["head_sha"] == sha
        ]
    name = call.query.get("check_name")
    if name:
        runs = [r for r in runs if r["name"] == name]
    page = paginate(gh, call, runs)
    page.json = {"total_count": len(runs), "check_runs": page.json}
    return page
