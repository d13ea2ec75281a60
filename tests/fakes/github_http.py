"""The HTTP side of the fake GitHub: uvicorn on a free loopback port in a background thread, and
the pipeline every request goes through (record, contract check, injected failures, route, auth)."""

from __future__ import annotations

import itertools
import json
import re
import socket
import threading
import time
import traceback
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qsl

import anyio.to_thread
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute

from . import openapi
from .github_state import ROUTES, Call, RecordedRequest, Reply, Repo, error, not_found

if TYPE_CHECKING:
    from .github_auth import Auth

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class HttpFront:
    """Serves ROUTES; subclasses provide `auth` and `find_repo()`."""

    auth: Auth

    def __init__(self) -> None:
        self.base_url = ""
        self.lock = threading.RLock()
        self._ids = itertools.count(1001)
        self._requests: list[RecordedRequest] = []
        self._violations: list[str] = []
        self._failures: list[dict] = []
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = Starlette(
            routes=[StarletteRoute("/{path:path}", self._endpoint, methods=_METHODS)]
        )

    def find_repo(self, owner: str, name: str) -> Repo | None:
        raise NotImplementedError

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> Self:
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP;
        # with proto 0, Nagle + delayed ACK add ~40 ms to every response.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        self._socket = sock
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake GitHub did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            assert self._thread is not None
            self._thread.join(10)
            self._socket.close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def new_id(self) -> int:
        return next(self._ids)

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        json: Any = None,
    ) -> None:
        """The next `times` requests whose method matches and path (no query) `re.search`es answer `status`."""
        with self.lock:
            self._failures.append(
                {
                    "method": method.upper(),
                    "regex": re.compile(path_regex),
                    "status": status,
                    "times": times,
                    "headers": headers or {},
                    "json": json,
                }
            )

    @property
    def requests(self) -> list[RecordedRequest]:
        with self.lock:
            return list(self._requests)

    def reset_requests(self) -> None:
        with self.lock:
            self._requests.clear()

    def contract_violations(self) -> list[str]:
        with self.lock:
            return list(self._violations)

    def violation(self, text: str) -> None:
        with self.lock:
            self._violations.append(text)

    # -- request pipeline --------------------------------------------------------------------------
    async def _endpoint(self, request: Request) -> Response:
        body = await request.body()
        reply = await anyio.to_thread.run_sync(
            self._handle,
            request.method,
            request.url.path,
            request.url.query,
            dict(request.headers),
            body,
        )
        headers = {
            "x-github-media-type": "github.v3; format=json",
            "x-github-request-id": f"FAKE:{self.new_id()}",
            **self.auth.rate_headers(),
            **reply.headers,
        }
        if reply.content is not None:
            content = reply.content.encode() if isinstance(reply.content, str) else reply.content
            media = reply.content_type or "text/plain; charset=utf-8"
        elif reply.json is None and reply.status in (202, 204):
            content, media = (
                (b"" if reply.status == 204 else b"{}"),
                "application/json; charset=utf-8",
            )
        else:
            content = json.dumps(reply.json).encode()
            media = "application/json; charset=utf-8"
        return Response(content, status_code=reply.status, headers=headers, media_type=media)

    def _handle(
        self, method: str, raw_path: str, query: str, headers: dict[str, str], body: bytes
    ) -> Reply:
        path = openapi.normalize_path(raw_path)
        params = dict(parse_qsl(query, keep_blank_values=True))
        data, reply = None, None
        if body.strip():
            try:
                data = json.loads(body)
            except ValueError:
                reply = error(400, "Problems parsing JSON")
                self.violation(f"{method} {path}: body is not JSON")
        path_problems, body_problems = openapi.check(method, path, data)
        with self.lock:
            self._violations.extend(path_problems + body_problems)
        call = Call(method, path, raw_path, params, headers, body, data)
        if reply is None:
            reply = self._take_failure(method, path) or self._dispatch(call, body_problems)
        with self.lock:
            self._requests.append(
                RecordedRequest(method, path, params, headers, data, reply.status, body)
            )
        return reply

    def _take_failure(self, method: str, path: str) -> Reply | None:
        with self.lock:
            for failure in self._failures:
                if failure["method"] in (method, "*") and failure["regex"].search(path):
                    failure["times"] -= 1
                    if failure["times"] <= 0:
                        self._failures.remove(failure)
                    body = (
                        failure["json"]
                        if failure["json"] is not None
                        else {"message": f"fake failure {failure['status']}"}
                    )
                    return Reply(failure["status"], body, headers=dict(failure["headers"]))
        return None

    def _dispatch(self, call: Call, body_problems: list[str]) -> Reply:
        for candidate in ROUTES:
            found = candidate.regex.match(call.path)
            if found and candidate.method == call.method:
                break
        else:
            # an unknown path was already reported by openapi.check(); a known one is the fake's gap
            if openapi.operation(call.method, call.path) is not None:
                self.violation(f"{call.method} {call.path}: a GitHub call the fake does not serve")
            return not_found()
        call.params = found.groupdict()
        denied = self.auth.check(call, candidate.auth)
        if denied is not None:
            return denied
        if "owner" in call.params and "repo" in call.params:
            call.repo = self.find_repo(call.params["owner"], call.params["repo"])
            if call.repo is None or (
                candidate.auth == "token" and call.repo.installation_id != call.installation_id
            ):
                return not_found()
        if body_problems:
            return error(422, "Invalid request.\n\n" + "\n".join(body_problems))
        try:
            return candidate.handler(self, call)
        except Exception:
            self.violation(
                f"{call.method} {call.path}: fake GitHub crashed:\n{traceback.format_exc()}"
            )
            return error(500, "fake GitHub crashed; see contract_violations()")
