"""Contract checks against GitHub's official OpenAPI description (a vendored subset in tests/data/github).

`check_request` tells whether a request names a real path and method and carries a body the
operation's schema accepts; `check_webhook` validates a webhook payload against `x-webhooks`.
Both return a list of problems (empty when fine), so a fake server can collect them, not raise.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import threading
from pathlib import Path
from typing import Any

from jsonschema import _keywords as _jsonschema_keywords
from jsonschema.validators import extend
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_URI = "urn:github:api.github.com.json"
SPEC_FILE = Path(__file__).resolve().parents[1] / "data" / "github" / "api.github.com.subset.json"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# `contents/{path}`, `compare/{basehead}` and `git/ref/{ref}` (`dolt/data`) may hold slashes
_MULTI_SEGMENT = {"path", "basehead", "ref"}


def spec_path() -> Path:
    """The vendored subset of GitHub's description (tests/data/github; see its LICENSE and the
    script beside it that regenerates it from the full file)."""
    return SPEC_FILE


@functools.cache
def load_spec() -> dict[str, Any]:
    """The description, parsed once per process."""
    with spec_path().open("rb") as fh:
        return json.load(fh)


def example(name: str) -> Any:
    """A deep copy of `components/examples/<name>/value`, to start a response from."""
    return copy.deepcopy(load_spec()["components"]["examples"][name]["value"])


# -- paths --------------------------------------------------------------------------------------
@functools.cache
def _templates() -> list[tuple[re.Pattern[str], str, int]]:
    """(regex, template, literal length) for every path, most literal first."""
    compiled = []
    for template in load_spec()["paths"]:
        pattern = ""
        for piece in re.split(r"(\{[^}]+\})", template):
            if piece.startswith("{"):
                name = piece[1:-1]
                pattern += ".*" if name in _MULTI_SEGMENT else "[^/]+"
            else:
                pattern += re.escape(piece)
        literal = len(re.sub(r"\{[^}]+\}", "", template))
        compiled.append((re.compile(pattern + r"\Z"), template, literal))
    compiled.sort(key=lambda item: -item[2])
    return compiled


def normalize_path(path: str) -> str:
    path = path.split("?", 1)[0]
    if path.startswith("/api/v3/") or path == "/api/v3":
        path = path[len("/api/v3") :] or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    return path


def match_path(path: str) -> list[str]:
    """Templates the path fits, most specific (most literal characters) first."""
    path = normalize_path(path)
    found = [template for regex, template, _ in _templates() if regex.match(path)]
    if not found:  # `contents/` (the root directory) fits `contents/{path}` with an empty path
        found = [template for regex, template, _ in _templates() if regex.match(path + "/")]
    return found


def operation(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """(template, operation object) that serves `method path`, or None."""
    paths = load_spec()["paths"]
    for template in match_path(path):
        op = paths[template].get(method.lower())
        if op is not None:
            return template, op
    return None


# -- schema validation ---------------------------------------------------------------------------
@functools.cache
def _registry() -> Registry:
    return Registry().with_resource(
        SPEC_URI, Resource.from_contents(load_spec(), default_specification=DRAFT4)
    )


def _nullable_enum(validator: Any, enums: Any, instance: Any, schema: dict) -> Any:
    """OAS 3.0.3: `nullable: true` admits null even when an `enum` does not list it."""
    if instance is None and schema.get("nullable") is True:
        return
    yield from _jsonschema_keywords.enum(validator, enums, instance, schema)


_Validator = extend(OAS30Validator, {"enum": _nullable_enum})
_validators: dict[str, Any] = {}
_validators_lock = threading.Lock()


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _validator(pointer: str) -> Any:
    """A compiled validator for the schema at the JSON pointer, built once and cached."""
    with _validators_lock:
        validator = _validators.get(pointer)
        if validator is None:
            validator = _Validator({"$ref": f"{SPEC_URI}#/{pointer}"}, registry=_registry())
            _validators[pointer] = validator
        return validator


def _errors(pointer: str, instance: Any, label: str, limit: int = 5) -> list[str]:
    problems = []
    for error in _validator(pointer).iter_errors(instance):
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        problems.append(f"{label}: {where}: {error.message[:300]}")
        if len(problems) >= limit:
            break
    return problems


def _path_parameter_problems(template: str, op: dict[str, Any], path: str, label: str) -> list[str]:
    """Integer path parameters (`pull_number`, `comment_id`, …) must be digits."""
    spec = load_spec()
    names = re.findall(r"\{([^}]+)\}", template)
    pattern = re.escape(template)
    for name in names:
        pattern = pattern.replace(
            re.escape("{" + name + "}"),
            f"(?P<{name}>{'.+' if name in _MULTI_SEGMENT else '[^/]+'})",
        )
    found = re.match(pattern + r"\Z", normalize_path(path))
    if not found:
        return []
    problems = []
    for param in op.get("parameters", []):
        if "$ref" in param:
            param = spec["components"]["parameters"][param["$ref"].rsplit("/", 1)[1]]
        if param.get("in") != "path" or param.get("schema", {}).get("type") != "integer":
            continue
        value = found.groupdict().get(param["name"])
        if value is not None and not value.isdigit():
            problems.append(f"{label}: path parameter {param['name']}={value!r} is not an integer")
    return problems


def check(method: str, path: str, body: Any = None) -> tuple[list[str], list[str]]:
    """(problems with the path and method, problems with the JSON body)."""
    method = method.upper()
    label = f"{method} {normalize_path(path)}"
    templates = match_path(path)
    if not templates:
        return [f"{label}: no such path in GitHub's REST API"], []
    found = operation(method, path)
    if found is None:
        return [f"{label}: method not allowed (path {templates[0]} has no {method})"], []
    template, op = found
    path_problems = _path_parameter_problems(template, op, path, label)
    body_problems: list[str] = []
    request_body = op.get("requestBody")
    if body is not None:
        content = (request_body or {}).get("content", {})
        if "application/json" in content and "schema" in content["application/json"]:
            pointer = _pointer(
                "paths",
                template,
                method.lower(),
                "requestBody",
                "content",
                "application/json",
                "schema",
            )
            body_problems = _errors(pointer, body, f"{label} body")
        elif not request_body and body != {}:  # recorded, but GitHub ignores it: not a 422
            path_problems.append(f"{label}: this operation takes no request body")
    elif request_body and request_body.get("required"):
        body_problems = [f"{label} body: request body is required"]
    return path_problems, body_problems


def check_request(method: str, path: str, body: Any = None) -> list[str]:
    """Problems with a request as GitHub's description sees it; [] when it is a documented call.

    `body` is the decoded JSON body (None for none). The path may carry a query and a GHES
    `/api/v3` prefix.
    """
    path_problems, body_problems = check(method, path, body)
    return path_problems + body_problems


def check_response(method: str, path: str, status: int, body: Any) -> list[str]:
    """Problems with a JSON response per the operation's documented schema for `status`."""
    found = operation(method, path)
    if found is None:
        return [f"{method.upper()} {normalize_path(path)}: not a documented operation"]
    template, op = found
    response = op.get("responses", {}).get(str(status))
    label = f"{method.upper()} {normalize_path(path)} -> {status}"
    if response is None:
        return [f"{label}: status not documented"]
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[1]
        response = load_spec()["components"]["responses"][name]
        pointer = _pointer("components", "responses", name, "content", "application/json", "schema")
    else:
        pointer = _pointer(
            "paths",
            template,
            method.lower(),
            "responses",
            str(status),
            "content",
            "application/json",
            "schema",
        )
    if "schema" not in response.get("content", {}).get("application/json", {}):
        return []
    return _errors(pointer, body, label)


# -- webhooks ------------------------------------------------------------------------------------
@functools.cache
def _webhook_index() -> dict[tuple[str, str | None], str]:
    """(event, action with hyphens) -> `x-webhooks` key."""
    index = {}
    for key, entry in load_spec()["x-webhooks"].items():
        post = entry["post"]
        event = post["x-github"]["subcategory"]
        op = post["operationId"]
        action = op.split("/", 1)[1] if "/" in op else None
        index[(event, action)] = key
    return index


def webhook_key(event: str, action: str | None) -> str | None:
    return _webhook_index().get((event, action.replace("_", "-") if action else None))


def check_webhook(event: str, action: str | None, payload: Any) -> list[str]:
    """Problems with a webhook payload per `x-webhooks`; [] when it validates."""
    key = webhook_key(event, action)
    label = f"webhook {event}.{action}" if action else f"webhook {event}"
    if key is None:
        return [f"{label}: no such event/action in x-webhooks"]
    problems = []
    if action is not None and isinstance(payload, dict) and payload.get("action") != action:
        problems.append(f"{label}: payload action is {payload.get('action')!r}")
    pointer = _pointer(
        "x-webhooks", key, "post", "requestBody", "content", "application/json", "schema"
    )
    return problems + _errors(pointer, payload, label)
