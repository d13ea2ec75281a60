"""`beadle setup` as a new user meets it: the console script serves its page, a real Chromium
clicks through GitHub's manifest flow (the fake GitHub's web side and REST API) and `.env` ends
up holding the App's settings."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from bot.settings import load_settings
from bot.setup import envfile
from bot.setup.manifest import read_app_yml
from tests.browser import *  # noqa: F403  (fixtures)
from tests.browser import Chromium
from tests.fakes.github import FakeGitHub
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import beadle_executable

HOOK = "https://hooks.example.test/api/github/webhooks"
OTHER_LINES = "# the model\nOPENAI_API_KEY=sk-test-not-a-real-key\n\nBEADLE_MODEL='fake-model'\n"


@pytest.fixture
def gh(app_key):
    with FakeGitHub(app_id=1, public_key_pem=app_key[1]) as fake:
        yield fake


@pytest.fixture
def start_setup(gh):
    """`start_setup(folder, *args)`; whatever is still running at the end is killed."""
    started: list[Setup] = []

    def start(folder: Path, *args: str) -> Setup:
        started.append(Setup(gh, folder, *args))
        return started[-1]

    yield start
    for setup in started:
        if setup.proc.poll() is None:
            setup.proc.kill()
            setup.proc.communicate(timeout=10)


class Setup:
    """`beadle setup --port 0 ARGS` in its own process, cwd `folder`, GitHub Enterprise style
    URLs at the fake (web side at the root, the API under /api/v3)."""

    def __init__(self, gh: FakeGitHub, folder: Path, *args: str) -> None:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(folder),
            "GITHUB_URL": gh.base_url,
            "GITHUB_API_URL": f"{gh.base_url}/api/v3",
        }
        self.proc = subprocess.Popen(
            [beadle_executable(), "setup", "--port", "0", *args],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        first = self.proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+/", first)
        if not found:
            self.proc.kill()
            raise AssertionError(f"no page URL: {first!r} {self.proc.stderr.read()}")
        self.url = found[0]

    def finish(self) -> tuple[int, str, str]:
        try:
            out, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        return self.proc.returncode, out, err


def read_env(folder: Path) -> dict[str, str]:
    return envfile.values((folder / ".env").read_text())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_one_click_registers_the_app_and_writes_env(gh, start_setup, browser: Chromium, tmp_path):
    (tmp_path / ".env").write_text(OTHER_LINES)
    setup = start_setup(tmp_path, "--webhook-url", HOOK)

    browser.goto(setup.url)
    assert "Register Beadle on GitHub" in browser.text("h1")
    browser.click("#create")
    browser.wait_for("document.querySelector('#install') !== null", timeout=30)
    browser.screenshot(tmp_path / "done.png")
    install = browser.evaluate("document.querySelector('#install').href")
    code, out, err = setup.finish()

    [app] = gh.registered_apps
    assert app["converted"], "the code was exchanged"
    assert install == f"{gh.base_url}/apps/{app['slug']}/installations/new"
    assert code == 0, err
    assert f"Install it on your repositories: {install}" in out
    # .env: the App's settings, mode 0600, and every line it had before
    env_file = tmp_path / ".env"
    assert mode(env_file) == 0o600
    values = read_env(tmp_path)
    assert values["APP_ID"] == str(app["id"])
    assert values["PRIVATE_KEY"] == app["pem"].replace("\n", "\\n"), "one line, as Docker reads it"
    assert values["WEBHOOK_SECRET"] == app["webhook_secret"]
    assert values["BEADLE_BOT_LOGIN"] == f"{app['slug']}[bot]"
    assert env_file.read_text().startswith(OTHER_LINES)
    # …and Beadle itself reads them back: the key is a key
    settings = load_settings(_env_file=env_file)
    assert settings.app_id == str(app["id"]) and settings.model == "fake-model"
    assert settings.private_key_pem() == app["pem"]
    serialization.load_pem_private_key(settings.private_key_pem().encode(), password=None)
    # what GitHub received: app.yml, this webhook URL, a redirect back to the page, the state
    [post] = gh.manifest_posts
    manifest = post["manifest"]
    base = read_app_yml()
    assert manifest["default_permissions"] == base["default_permissions"]
    assert manifest["default_events"] == base["default_events"]
    assert manifest["hook_attributes"] == {"url": HOOK, "active": True}
    assert manifest["redirect_url"] == setup.url + "callback"
    assert post["org"] is None and post["state"]
    assert gh.contract_violations() == []


def test_without_webhook_url_the_page_asks_for_it(gh, start_setup, browser: Chromium, tmp_path):
    setup = start_setup(tmp_path, "--org", "acme")
    browser.goto(setup.url)
    assert browser.evaluate("document.querySelector('#create')") is None, "no button before a URL"
    browser.fill("#webhook_url", "ftp://nowhere")
    browser.evaluate(
        "document.querySelector('#webhook_url').form.submit()"
    )  # skip the browser's own check
    assert "https://" in browser.wait_for("document.querySelector('#problem')?.innerText")
    browser.fill("#webhook_url", HOOK)
    browser.click("#use-url")
    browser.wait_for("document.querySelector('#create') !== null")
    browser.click("#create")
    browser.wait_for("document.querySelector('#install') !== null", timeout=30)
    code, _, err = setup.finish()

    assert code == 0, err
    [post] = gh.manifest_posts
    assert post["org"] == "acme"
    assert post["manifest"]["hook_attributes"]["url"] == HOOK
    assert read_env(tmp_path)["APP_ID"] == str(gh.registered_apps[0]["id"])
    assert gh.contract_violations() == []


def test_a_second_run_refuses_and_changes_nothing(gh, tmp_path):
    old = OTHER_LINES + "APP_ID=41\nWEBHOOK_SECRET=old-secret\nPRIVATE_KEY_PATH=/keys/old.pem\n"
    env_file = tmp_path / ".env"
    env_file.write_text(old)
    env_file.chmod(0o640)
    result = subprocess.run(
        [beadle_executable(), "setup", "--port", "0", "--webhook-url", HOOK],
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GITHUB_URL": gh.base_url},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "APP_ID, PRIVATE_KEY_PATH, WEBHOOK_SECRET already set in .env" in result.stderr
    assert "--force" in result.stderr
    assert env_file.read_text() == old and mode(env_file) == 0o640
    assert gh.requests == [] and gh.manifest_posts == []


def test_app_settings_in_the_environment_count_too(gh, tmp_path):
    result = subprocess.run(
        [beadle_executable(), "setup", "--port", "0"],
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "APP_ID": "7"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "APP_ID already set in the environment" in result.stderr
    assert not (tmp_path / ".env").exists()


def test_force_replaces_the_old_app_and_keeps_the_rest(
    gh, start_setup, browser: Chromium, tmp_path
):
    old = (
        OTHER_LINES
        + "APP_ID=41\nWEBHOOK_SECRET=old-secret\nPRIVATE_KEY_PATH=/keys/old.pem\n"
        + "BEADLE_BOT_LOGIN=old[bot]\n"
    )
    (tmp_path / ".env").write_text(old)
    setup = start_setup(tmp_path, "--force", "--webhook-url", HOOK)
    browser.goto(setup.url)
    replacing = browser.text("#replacing")
    assert (
        "APP_ID, PRIVATE_KEY_PATH, WEBHOOK_SECRET, BEADLE_BOT_LOGIN will be replaced" in replacing
    )
    browser.click("#create")
    browser.wait_for("document.querySelector('#install') !== null", timeout=30)
    code, _, err = setup.finish()

    assert code == 0, err
    [app] = gh.registered_apps
    text = (tmp_path / ".env").read_text()
    values = read_env(tmp_path)
    assert values["APP_ID"] == str(app["id"]) != "41"
    assert values["WEBHOOK_SECRET"] == app["webhook_secret"]
    assert values["BEADLE_BOT_LOGIN"] == f"{app['slug']}[bot]"
    assert "PRIVATE_KEY_PATH" not in values, "the old key's path would shadow nothing but confuse"
    assert text.count("APP_ID=") == 1 and text.startswith(OTHER_LINES)
    assert mode(tmp_path / ".env") == 0o600


def test_the_fake_checks_what_is_posted(gh):
    """The fake refuses a manifest GitHub would refuse, so a broken page cannot pass the tests."""
    import httpx

    bad = {"name": "x", "url": "not a url", "hook_attributes": {"url": HOOK}, "colour": "red"}
    answer = httpx.post(
        f"{gh.base_url}/settings/apps/new?state=s",
        data={"manifest": json.dumps(bad)},
        follow_redirects=False,
    )
    assert answer.status_code == 422
    problems = "\n".join(gh.contract_violations())
    assert "unknown manifest parameter 'colour'" in problems
    assert "url must be an http(s) URL" in problems
    assert "redirect_url must be an http(s) URL" in problems
