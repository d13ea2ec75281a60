"""End-to-end harness: Beadle's real app on loopback, a fake GitHub, a fake model.

`world` builds a repository with a beads issue and a feature branch; `Beadle` runs the real
Runtime (store, workers, web app under uvicorn) against them; `deliver` POSTs signed bytes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bot.runtime import Runtime
from bot.settings import load_settings
from tests.fakes.github import FakeGitHub
from tests.fakes.model import FakeModel
from tests.fakes.server import LoopbackServer
from tests.fakes.webhooks import sign

SECRET = "It's a Secret to Everybody"
REPO = "octo/widgets"
ISSUE = {
    "id": "bd-a3f8",
    "title": "Validate widget sizes",
    "status": "in_progress",
    "priority": 1,
    "issue_type": "feature",
    "description": "Widgets must reject negative sizes.\nSee docs/plans/widgets-design.md.",
    "design": "Check sizes in `widgets/size.py`.",
    "acceptance_criteria": "- negative sizes raise ValueError\n- tests cover it",
    "notes": "",
    "labels": ["backend"],
    "updated_at": "2026-11-01T10:00:00Z",
}


def settings_env(
    gh: FakeGitHub, model: FakeModel, *, private_key: str, database_url: str, **extra: str
) -> dict[str, str]:
    env = {
        "APP_ID": str(gh.app_id),
        "PRIVATE_KEY": private_key,
        "WEBHOOK_SECRET": SECRET,
        "GITHUB_API_URL": gh.base_url,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "OPENAI_BASE_URL": model.base_url,
        "BEADLE_MODEL": "fake-model",
        "DATABASE_URL": database_url,
        "BEADLE_WORKERS": "2",
        "BEADLE_RETRY_BASE": "0.05",
        "BEADLE_POLL_INTERVAL": "0.05",
    }
    env.update(extra)
    return env


class Beadle:
    """The real app (web + workers) served on loopback, configured like a deployment."""

    def __init__(self, env: dict[str, str], *, with_workers: bool = True) -> None:
        fields = {k: v for k, v in env.items()}
        self.runtime = Runtime(load_settings(_env_file=None, **fields))
        self.server = LoopbackServer(self.runtime.web(with_workers=with_workers), lifespan="on")
        self.url = self.server.url

    def __enter__(self) -> Beadle:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()
        self.runtime.store.close()


def deliver(
    url: str,
    event: str,
    payload: dict[str, Any] | bytes,
    *,
    delivery: str | None = None,
    secret: str = SECRET,
) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(body, secret),
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/test",
    }
    return httpx.post(f"{url}/api/github/webhooks", content=body, headers=headers, timeout=10)


def spawn(env: dict[str, str], *args: str) -> subprocess.Popen:
    """`beadle ARGS` as a deployment runs it: its own process, settings from the environment."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def beadle_executable() -> str:
    beside = Path(sys.executable).with_name("beadle")
    found = str(beside) if beside.exists() else shutil.which("beadle")
    assert found, "the `beadle` console script is not installed (pip install -e .)"
    return found


def run_beadle(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed console script, with nothing from this environment but PATH."""
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd)}
    return subprocess.run(
        [beadle_executable(), *args],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def serve(env: dict[str, str], port: int, *extra: str) -> subprocess.Popen:
    """`beadle serve` on `port`, once `/healthz` answers."""
    proc = spawn(env, "serve", "--host", "127.0.0.1", "--port", str(port), *extra)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
        if proc.poll() is not None:
            raise AssertionError(f"beadle serve exited: {proc.stderr.read().decode()}")
    proc.kill()
    raise AssertionError("beadle serve did not come up")


def wait_for(
    condition: Callable[[], Any], *, timeout: float = 20.0, what: str = "condition"
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


# -- fixtures (import them into a test module: `from tests.harness import *`) ----------------
import pytest  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from tests.fakes.gitrepo import GitRepo  # noqa: E402

SIZE_PY = "def size(value):\n    return value\n"
FEATURE_PY = (
    "def size(value):\n    if value < 0:\n        raise ValueError('negative')\n    return value\n"
)


@pytest.fixture(scope="session")
def app_key() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture
def git(tmp_path) -> GitRepo:
    repo = GitRepo(tmp_path / "widgets")
    repo.commit(
        {
            "README.md": "# widgets\n",
            "widgets/size.py": SIZE_PY,
            ".beads/issues.jsonl": json.dumps(ISSUE) + "\n",
            "docs/plans/widgets-design.md": "# Design\nSizes are validated on entry.\n",
        },
        "Initial commit",
    )
    repo.commit(
        {
            "widgets/size.py": FEATURE_PY,
            "tests/test_size.py": "def test_negative():\n    assert True\n",
        },
        "Reject negative sizes (bd-a3f8)",
        branch="feature",
    )
    return repo


@pytest.fixture
def github(app_key, git):
    with FakeGitHub(app_id=1, public_key_pem=app_key[1]) as gh:
        gh.add_repo(REPO, git)
        yield gh


@pytest.fixture
def model():
    with FakeModel() as fake:
        yield fake


@pytest.fixture
def env(github, model, app_key, tmp_path) -> dict[str, str]:
    return settings_env(
        github,
        model,
        private_key=app_key[0],
        database_url=f"sqlite:///{tmp_path / 'beadle.sqlite3'}",
    )


@pytest.fixture
def beadle(env):
    with Beadle(env) as app:
        yield app
