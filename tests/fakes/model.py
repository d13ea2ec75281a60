"""A tiny OpenAI-compatible server on loopback: `POST /v1/chat/completions`.

By default it answers like a reviewer would: it reads the diff in the prompt and reports one
important and one minor finding on lines the diff adds, and says every earlier finding it is
asked about was fixed. Tests can script failures (`fail_next`), a latency, or a fixed answer.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.server import LoopbackServer

Answer = Callable[[str], dict[str, Any]]
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_EARLIER = re.compile(r"^\d+\. \[([CIM]\d+)\]", re.M)


def added_lines(prompt: str) -> list[tuple[str, int]]:
    """(path, new line number) of every added line in the diff inside the prompt."""
    found: list[tuple[str, int]] = []
    path, line = None, 0
    for raw in prompt.splitlines():
        if raw.startswith("+++ "):
            path = raw[6:] if raw.startswith("+++ b/") else None
        elif (m := _HUNK.match(raw)) is not None:
            line = int(m[1])
        elif path and raw.startswith("+"):
            found.append((path, line))
            line += 1
        elif path and raw.startswith(" "):
            line += 1
    return found


def reviewer_answer(prompt: str) -> dict[str, Any]:
    lines = added_lines(prompt)
    findings = []
    if lines:
        path, line = lines[0]
        findings.append(_finding("important", "Missing input validation", path, line))
        path, line = lines[-1]
        findings.append(_finding("minor", "Name could be clearer", path, line))
    earlier = [
        {"id": ident, "status": "fixed", "evidence": "changed in this push"}
        for ident in _EARLIER.findall(prompt)
    ]
    return {
        "findings": findings,
        "strengths": ["Small, focused change", "Tests exercise the behaviour @someone asked for"],
        "requirements": [
            {
                "requirement": "Implements the issue",
                "status": "met",
                "evidence": f"{lines[0][0]}:{lines[0][1]}" if lines else "n/a",
            }
        ],
        "earlier_findings": earlier,
        "assessment": {"ready_to_merge": "with_fixes", "reasoning": "Fix the important finding."},
        "summary": "The change does what the issue asks, with one gap in validation.",
    }


def _finding(severity: str, title: str, path: str, line: int) -> dict[str, Any]:
    return {
        "severity": severity,
        "title": title,
        "file": path,
        "start_line": line,
        "end_line": line,
        "problem": f"{title} at line {line}.",
        "impact": "It may break.",
        "fix": "Validate the input <b>first</b>.",
    }


class FakeModel:
    def __init__(self, *, answer: Answer = reviewer_answer, latency: float = 0.0) -> None:
        self.answer = answer
        self.latency = latency
        self.requests: list[dict[str, Any]] = []
        self._script: list[tuple[int, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._server = LoopbackServer(
            Starlette(routes=[Route("/v1/chat/completions", self._completions, methods=["POST"])])
        )
        self.base_url = f"{self._server.url}/v1"

    def __enter__(self) -> FakeModel:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    def fail_next(self, status: int, *, times: int = 1, retry_after: float | None = None) -> None:
        headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
        with self._lock:
            self._script.extend([(status, headers)] * times)

    @property
    def prompts(self) -> list[str]:
        """The user message of every answered request."""
        return [r["messages"][-1]["content"] for r in self.requests if r.get("answered")]

    async def _completions(self, request: Request) -> JSONResponse:
        body = await request.json()
        with self._lock:
            self.requests.append(body)
            scripted = self._script.pop(0) if self._script else None
        if scripted is not None:
            status, headers = scripted
            return JSONResponse(
                {"error": {"message": f"scripted {status}", "type": "server_error"}},
                status_code=status,
                headers=headers,
            )
        body["started"] = time.monotonic()
        if self.latency:
            await asyncio.sleep(self.latency)
        prompt = body["messages"][-1]["content"]
        content = json.dumps(self.answer(prompt))
        body["answered"] = True
        body["ended"] = time.monotonic()
        usage = {
            "prompt_tokens": len(prompt) // 4,
            "completion_tokens": len(content) // 4,
            "total_tokens": (len(prompt) + len(content)) // 4,
        }
        body["usage"] = usage  # what it reported, for tests that count tokens
        return JSONResponse(
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake-model"),
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": content, "refusal": None},
                    }
                ],
                "usage": usage,
            }
        )
