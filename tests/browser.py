"""A real browser for tests: Debian's headless Chromium driven over the DevTools protocol.

Only what the tests need: open a page, run JavaScript in it (to read it or click), wait for a
condition, take a screenshot. The protocol: https://chromedevtools.github.io/devtools-protocol/
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websocket

# Flags that work as root in a container with no display, GPU or network.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


class BrowserError(Exception):
    pass


def chromium_path() -> str | None:
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


class Chromium:
    def __init__(self, executable: str, profile: Path) -> None:
        profile.mkdir(parents=True, exist_ok=True)
        (profile / "DevToolsActivePort").unlink(missing_ok=True)  # a reused profile's old port
        self._proc = subprocess.Popen(
            [
                executable,
                *FLAGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its renderers and helpers share its process group
        )
        self._ids = itertools.count(1)
        self._ws: websocket.WebSocket | None = None
        try:
            self._ws = self._connect(profile / "DevToolsActivePort")
        except BaseException:
            self.close()
            raise

    def _connect(self, port_file: Path) -> websocket.WebSocket:
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if time.monotonic() > deadline or self._proc.poll() is not None:
                raise BrowserError("chromium did not open its DevTools port")
            time.sleep(0.05)
        port = int(port_file.read_text().split("\n")[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            targets = json.loads(answer.read())
        page = next(t for t in targets if t.get("type") == "page")
        # No Origin header: Chromium refuses DevTools websockets from origins it was not told of.
        return websocket.create_connection(
            page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True
        )

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        assert self._ws is not None
        ident = next(self._ids)
        self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, expression: str, *, timeout: float = 20.0) -> Any:
        """Poll `expression` until it is truthy; a page mid-navigation counts as not yet."""
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
                if value:
                    return value
                last = value
            except BrowserError as exc:
                last = exc
            time.sleep(0.05)
        raise BrowserError(f"timed out waiting for {expression} (last: {last!r}, at {self.url})")

    def goto(self, url: str) -> None:
        self.call("Page.navigate", url=url)
        self.wait_for(f"location.href === {json.dumps(url)} && document.readyState === 'complete'")

    def click(self, selector: str) -> None:
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")

    def fill(self, selector: str, value: str) -> None:
        self.evaluate(f"document.querySelector({json.dumps(selector)}).value = {json.dumps(value)}")

    def text(self, selector: str = "body") -> str:
        return str(self.evaluate(f"document.querySelector({json.dumps(selector)}).innerText"))

    @property
    def url(self) -> str:
        try:
            return str(self.evaluate("location.href"))
        except BrowserError:
            return "?"

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot")["data"]))

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self._proc.pid, sig)  # the group this Chromium leads, nothing else
                self._proc.wait(10)
                return
            except ProcessLookupError:
                return
            except subprocess.TimeoutExpired:
                continue


@pytest.fixture
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    """A fresh headless Chromium with an empty profile; skipped without one unless CI=true."""
    executable = chromium_path()
    if executable is None:
        reason = "no Chromium (apt-get install chromium) for the browser tests"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " and CI=true: they must run", pytrace=False)
        pytest.skip(reason)
    chromium = Chromium(executable, tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield chromium
    finally:
        chromium.close()
