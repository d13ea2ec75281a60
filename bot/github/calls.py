"""One JSON request through a PyGithub requester, with the status GitHub answered reported.

`Requester.requestJsonAndCheck` hides the status of a success (200, 201 and 204 look alike), and
`beadle_github_requests_total{status}` (docs/design.md §8) wants it: this asks `requestJson`,
reports the status to a hook, and raises PyGithub's own `GithubException` for a 4xx or 5xx, as
`requestJsonAndCheck` would. A request that never got an answer is reported as None.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import requests
from github.GithubException import GithubException
from github.Requester import Requester

StatusHook = Callable[[int | None], None]


def ignore(status: int | None) -> None:
    """The hook of a client nobody counts (tests, `beadle review`)."""


def request_json(
    requester: Requester,
    verb: str,
    path: str,
    *,
    on_status: StatusHook,
    parameters: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    input: Any = None,
) -> tuple[dict[str, Any], Any]:
    """(headers, decoded JSON) of a 2xx or 3xx; GithubException otherwise; requests' own
    exceptions when GitHub could not be reached."""
    try:
        status, resp_headers, output = requester.requestJson(
            verb, path, parameters=parameters, headers=headers, input=input
        )
    except GithubException as exc:  # PyGithub's retry gave up (a 403 or 5xx on a read)
        on_status(exc.status)
        raise
    except requests.RequestException:
        on_status(None)
        raise
    on_status(status)
    data = _decoded(output)
    if status >= 400:
        raise Requester.createException(status, resp_headers, data)
    return resp_headers, data


def _decoded(output: str | bytes) -> Any:
    if not output:
        return None
    text = output.decode() if isinstance(output, bytes) else output
    try:
        return json.loads(text)
    except ValueError:
        return {"data": text}  # what PyGithub makes of a body that is not JSON
