"""`beadle setup`'s parts: the manifest it posts, the App it reads back, what `.env` becomes, and
the page's answers to a wrong state, a refused code and a `.env` it cannot write (the page served
on loopback, the code exchanged with the fake GitHub)."""

from __future__ import annotations

import json
import os
import re
import socket
import stat
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.setup import envfile, manifest
from bot.setup.server import Setup, create_app
from tests.fakes.github import FakeGitHub
from tests.fakes.github_web import register
from tests.fakes.openapi import check_response
from tests.fakes.server import LoopbackServer
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import run_beadle, wait_for

HOOK = "https://beadle.example.com/api/github/webhooks"
CALLBACK = "http://127.0.0.1:3000/callback"


# -- the manifest --------------------------------------------------------------------------------


def test_the_manifest_is_app_yml_with_this_deployments_urls():
    base = manifest.read_app_yml()
    built = manifest.build(base, webhook_url=HOOK, redirect_url=CALLBACK)
    assert built["hook_attributes"] == {"url": HOOK, "active": True}
    assert built["redirect_url"] == CALLBACK
    assert built["default_permissions"] == {
        "pull_requests": "write",
        "issues": "write",
        "contents": "read",
        "checks": "write",
        "metadata": "read",
    }
    assert built["default_events"] == ["pull_request", "issue_comment"]
    assert built["name"] == "Beadle" and built["public"] is False
    assert base["hook_attributes"]["url"] != HOOK, "app.yml itself is left alone"


def test_the_packaged_app_yml_is_the_repository_root_file():
    root = Path(__file__).resolve().parent.parent / "app.yml"
    packaged = Path(manifest.__file__).with_name("app.yml")
    assert packaged.read_text() == root.read_text()


def test_keys_github_does_not_know_stay_out_of_the_manifest():
    base = {"name": "B", "url": "https://x.test", "probot_only": 1, "hook_attributes": {"url": "h"}}
    built = manifest.build(base, webhook_url=HOOK, redirect_url=CALLBACK)
    assert set(built) == {"name", "url", "hook_attributes", "redirect_url"}
    assert json.loads(manifest.to_json(built)) == built


@pytest.mark.parametrize(
    ("github_url", "org", "action"),
    [
        ("https://github.com", None, "https://github.com/settings/apps/new?state=s%2B1"),
        (
            "https://github.com/",
            "acme",
            "https://github.com/organizations/acme/settings/apps/new?state=s%2B1",
        ),
        ("https://ghe.example.com", None, "https://ghe.example.com/settings/apps/new?state=s%2B1"),
    ],
)
def test_the_form_posts_to_the_account_or_the_organization(github_url, org, action):
    assert manifest.form_action(github_url, state="s+1", org=org) == action


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        (HOOK, True),
        ("http://10.0.0.1:3000/api/github/webhooks", True),
        ("https://smee.io/AbCd", True),
        ("", False),
        ("ftp://x.test/hook", False),
        ("https://", False),
        ("beadle.example.com/api/github/webhooks", False),
        ("https://x.test/a b", False),
    ],
)
def test_webhook_url_problems(url, ok):
    assert (manifest.webhook_url_problem(url) is None) is ok


@pytest.mark.parametrize("org", ["acme", "a", "my-org-2", "x" * 39])
def test_organization_names(org):
    assert manifest.org_problem(org) is None


@pytest.mark.parametrize("org", ["", "-acme", "acme-", "a--b", "a/b", "x" * 40, "a b"])
def test_bad_organization_names(org):
    assert manifest.org_problem(org)


def conversion(gh: FakeGitHub) -> dict:
    """The fake's answer to a code exchange, checked against GitHub's description."""
    built = manifest.build(manifest.read_app_yml(), webhook_url=HOOK, redirect_url=CALLBACK)
    code = "c0de"
    gh.manifest_codes[code] = register(gh, built, org=None)
    answer = httpx.post(f"{gh.base_url}/app-manifests/{code}/conversions")
    assert answer.status_code == 201
    body = answer.json()
    assert check_response("POST", "/app-manifests/c0de/conversions", 201, body) == []
    return body


@pytest.fixture
def gh(app_key):
    with FakeGitHub(app_id=1, public_key_pem=app_key[1]) as fake:
        yield fake


def test_the_conversion_gives_the_settings_and_the_install_link(gh):
    body = conversion(gh)
    app = manifest.parse_conversion(body)
    assert app.install_url == f"{gh.base_url}/apps/beadle/installations/new"
    assert app.settings() == {
        "APP_ID": str(body["id"]),
        "PRIVATE_KEY": body["pem"].replace("\n", "\\n"),
        "WEBHOOK_SECRET": body["webhook_secret"],
        "BEADLE_BOT_LOGIN": "beadle[bot]",
    }
    again = httpx.post(f"{gh.base_url}/app-manifests/c0de/conversions")
    assert again.status_code == 404, "a code is good once"


def test_a_conversion_without_a_webhook_secret_still_keeps_the_key(gh):
    body = {**conversion(gh), "webhook_secret": None}
    settings = manifest.parse_conversion(body).settings()
    assert "WEBHOOK_SECRET" not in settings and settings["PRIVATE_KEY"].startswith("-----BEGIN")


@pytest.mark.parametrize("missing", ["id", "slug", "html_url", "pem"])
def test_a_conversion_missing_a_field_is_named(gh, missing):
    body = conversion(gh)
    body.pop(missing)
    with pytest.raises(ValueError, match=missing):
        manifest.parse_conversion(body)


# -- .env ----------------------------------------------------------------------------------------

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIE+/a==\n-----END RSA PRIVATE KEY-----\n"


def test_merge_sets_in_place_appends_the_rest_and_keeps_other_lines():
    text = (
        "# model\nOPENAI_API_KEY=sk-1\n\nAPP_ID=41 # old\nAPP_ID=42\n"
        "export LOG_LEVEL=debug\nnot a setting\nPRIVATE_KEY_PATH=/k.pem"
    )
    merged = envfile.merge(text, {"APP_ID": "7", "PRIVATE_KEY": PEM}, drop=["PRIVATE_KEY_PATH"])
    assert merged == (
        "# model\nOPENAI_API_KEY=sk-1\n\nAPP_ID=7\nexport LOG_LEVEL=debug\nnot a setting\n"
        'PRIVATE_KEY="-----BEGIN RSA PRIVATE KEY-----\\nMIIE+/a==\\n-----END RSA PRIVATE KEY-----\\n"\n'
    )
    assert envfile.values(merged) == {
        "OPENAI_API_KEY": "sk-1",
        "APP_ID": "7",
        "LOG_LEVEL": "debug",
        "PRIVATE_KEY": PEM,
    }


def test_merge_into_nothing():
    assert envfile.merge("", {"APP_ID": "7"}) == "APP_ID=7\n"


def test_configured_names_where_each_app_setting_is():
    text = "APP_ID=1\nWEBHOOK_SECRET=\nPRIVATE_KEY_PATH=/k\n"
    found = envfile.configured(text, {"WEBHOOK_SECRET": "s", "APP_ID": "2", "OTHER": "x"})
    assert found == [
        ("APP_ID", "the environment"),
        ("PRIVATE_KEY_PATH", ".env"),
        ("WEBHOOK_SECRET", "the environment"),
    ]
    assert envfile.configured("APP_ID=\n# PRIVATE_KEY=x\n", {"APP_ID": " "}) == []


_KEYS = st.from_regex(r"[A-Z][A-Z0-9_]{0,12}", fullmatch=True)
_VALUES = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40).filter(
    lambda v: "${" not in v
)


@given(_KEYS, _VALUES)
def test_a_written_value_reads_back_the_same(key, value):
    assert envfile.values(envfile.line(key, value)) == {key: value}


@given(st.dictionaries(_KEYS, _VALUES, max_size=5), st.dictionaries(_KEYS, _VALUES, max_size=5))
def test_merge_is_the_old_settings_updated(old, updates):
    text = "".join(envfile.line(k, v) for k, v in old.items())
    assert envfile.values(envfile.merge(text, updates)) == {**old, **updates}


def test_a_value_dotenv_would_expand_is_refused():
    with pytest.raises(ValueError, match="APP_ID"):
        envfile.line("APP_ID", "${HOME}")


def test_write_atomic_is_0600_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / ".env"
    target.write_text("OLD=1\n")
    target.chmod(0o644)
    envfile.write_atomic(target, "NEW=1\n")
    assert target.read_text() == "NEW=1\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env"]


def test_write_atomic_through_a_symlink_replaces_its_target(tmp_path):
    (tmp_path / "config").mkdir()
    real = tmp_path / "config" / "beadle.env"
    real.write_text("OLD=1\n")
    link = tmp_path / ".env"
    link.symlink_to(real)
    envfile.write_atomic(link, "NEW=1\n")
    assert link.is_symlink() and real.read_text() == "NEW=1\n"


# -- the page, served on loopback ----------------------------------------------------------------


class Page:
    """The setup page on a loopback port, exchanging codes with the fake GitHub."""

    def __init__(self, gh: FakeGitHub, env_path: Path, **kw: object) -> None:
        self.done: list = []
        port = _free_port()
        self.setup = Setup(
            app_yml=manifest.read_app_yml(),
            github_url=gh.base_url,
            api_url=f"{gh.base_url}/api/v3",
            port=port,
            env_path=env_path,
            environ={},
            **kw,
        )
        self.server = LoopbackServer(create_app(self.setup, done=self.done.append), port=port)

    def get(self, path: str, **params: str) -> httpx.Response:
        return httpx.get(f"{self.server.url}{path}", params=params, timeout=30)

    def through_github(self) -> httpx.Response:
        """What the browser does: post the page's form to GitHub and follow it back here."""
        html = self.get("/").text
        action = re.search(r'<form method="post" action="([^"]+)"', html)[1].replace("&amp;", "&")
        value = re.search(r'name="manifest" value="([^"]+)"', html)[1]
        posted = json.loads(value.replace("&#34;", '"').replace("&amp;", "&").replace("&#39;", "'"))
        back = httpx.post(action, data={"manifest": json.dumps(posted)}, follow_redirects=False)
        assert back.status_code == 302, back.text
        return httpx.get(back.headers["location"], timeout=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def page(gh, tmp_path):
    served = Page(gh, tmp_path / ".env", webhook_url=HOOK, org="acme")
    served.server.start()
    yield served
    served.server.stop()


def test_the_page_posts_to_the_organization_with_a_state(page, gh):
    answer = page.through_github()
    assert answer.status_code == 200
    [post] = gh.manifest_posts
    assert post["org"] == "acme" and post["state"] == page.setup.state
    wait_for(lambda: page.done, what="the page to call it done")
    assert envfile.values((page.setup.env_path).read_text())["APP_ID"] == str(
        gh.registered_apps[0]["id"]
    )


def test_a_wrong_state_writes_nothing_and_exchanges_nothing(page, gh):
    answer = page.get("/callback", code="abc", state="not-the-one")
    assert answer.status_code == 400
    assert "nothing was written" in answer.text
    assert not page.setup.env_path.exists() and page.done == []
    assert gh.requests == []


def test_a_refused_code_is_explained_and_the_page_stays_up(page, gh):
    answer = page.get("/callback", code="unknown", state=page.setup.state)
    assert answer.status_code == 502
    assert "GitHub answered 404" in answer.text
    assert not page.setup.env_path.exists() and page.done == []
    assert page.get("/").status_code == 200
    assert [r.path for r in gh.requests] == ["/app-manifests/unknown/conversions"]


def test_an_env_it_cannot_write_keeps_the_app_until_a_retry(gh, tmp_path):
    served = Page(gh, tmp_path / "missing" / ".env", webhook_url=HOOK)
    with _running(served):
        answer = served.through_github()
        assert answer.status_code == 500
        assert "Could not write .env" in answer.text and "retry" in answer.text
        assert served.done == []
        (tmp_path / "missing").mkdir()
        retried = served.get("/save", state=served.setup.state)
        assert retried.status_code == 200
        wait_for(lambda: served.done, what="the page to call it done")
        values = envfile.values((tmp_path / "missing" / ".env").read_text())
        assert values["PRIVATE_KEY"].replace("\\n", "\n") == gh.registered_apps[0]["pem"]


def test_settings_set_while_the_page_was_open_are_not_replaced(page, gh):
    html = page.get("/").text
    page.setup.env_path.write_text("APP_ID=41\n")
    assert 'id="create"' in html
    answer = page.through_github()
    assert answer.status_code == 409 and "--force" in answer.text
    assert page.setup.env_path.read_text() == "APP_ID=41\n"
    assert not gh.registered_apps[0]["converted"]


class _running:
    def __init__(self, served: Page) -> None:
        self.served = served

    def __enter__(self) -> Page:
        self.served.server.start()
        return self.served

    def __exit__(self, *exc: object) -> None:
        self.served.server.stop()


# -- the command's refusals ----------------------------------------------------------------------


def test_a_taken_port_is_one_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_beadle("setup", "--port", str(port), env={}, cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr
        == f"beadle setup: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )


def test_a_bad_webhook_url_or_organization_is_refused_before_serving(tmp_path):
    result = run_beadle("setup", "--webhook-url", "nowhere", env={}, cwd=tmp_path)
    assert result.returncode == 2 and "--webhook-url" in result.stderr
    result = run_beadle("setup", "--org", "no/such", env={}, cwd=tmp_path)
    assert result.returncode == 2 and "not a GitHub organization name" in result.stderr
    assert os.listdir(tmp_path) == []


def test_an_unreadable_env_is_one_line(tmp_path):
    (tmp_path / ".env").mkdir()
    result = run_beadle("setup", env={}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("beadle setup: cannot read ") and result.stderr.count("\n") == 1


def test_version():
    result = run_beadle("--version", env={}, cwd=Path.cwd())
    from importlib.metadata import version

    assert result.returncode == 0 and result.stdout == f"beadle {version('beadle')}\n"
