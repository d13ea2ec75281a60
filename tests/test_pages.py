"""`GET /` and `GET /readme` on the real app: what a person who opens the server in a browser
sees (design.md §8), and README sections as bot.about cuts them."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bot import about
from bot.intake import pages
from tests.browser import *  # noqa: F403  (fixtures)
from tests.browser import Chromium
from tests.fakes.server import LoopbackServer
from tests.fakes.webhooks import pull_request_payload
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import REPO, Beadle, deliver


@pytest.fixture
def web(env):
    with Beadle(env, with_workers=False) as app:
        yield app


def test_home_names_beadle_its_version_and_health(web):
    answer = httpx.get(f"{web.url}/", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert "<h1>Beadle</h1>" in answer.text
    assert f"Version {about.version()}" in answer.text and about.version() != "unknown"
    assert re.search(r'id="health" class="ok">Healthy', answer.text)


def test_home_links_the_readme_sections_and_they_are_there(web):
    home = httpx.get(f"{web.url}/", timeout=10).text
    links = re.findall(r'href="/readme#([^"]+)"', home)
    assert {"set-up", "settings", "commands", "local-development"} <= set(links)
    readme = httpx.get(f"{web.url}/readme", timeout=10)
    assert readme.status_code == 200
    for anchor in links:
        assert f'<section id="{anchor}">' in readme.text


def test_home_says_nothing_about_repositories_or_jobs(web, github):
    number = github.open_pull(REPO, title="Validate widget sizes (bd-a3f8)", head="feature")
    assert (
        deliver(
            web.url, "pull_request", pull_request_payload(github, REPO, number, "opened")
        ).status_code
        == 202
    )
    home = httpx.get(f"{web.url}/", timeout=10).text
    assert REPO not in home and "widgets" not in home and "job" not in home.lower()


def test_the_page_shows_what_healthz_says_when_it_is_not_healthy():
    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("starting: <database> not reachable", status_code=503)

    app = Starlette(routes=[Route("/healthz", healthz), *pages.routes()])
    server = LoopbackServer(app).start()
    try:
        home = httpx.get(f"{server.url}/", timeout=10).text
    finally:
        server.stop()
    assert 'id="health" class="bad">Not healthy' in home
    assert "starting: &lt;database&gt; not reachable" in home, "escaped, never markup"


def test_a_browser_sees_the_page_and_follows_a_docs_link(web, browser: Chromium, tmp_path):
    browser.goto(f"{web.url}/")
    assert browser.text("#health").startswith("Healthy")
    browser.click('a[href="/readme#local-development"]')
    browser.wait_for("location.hash === '#local-development' && document.readyState === 'complete'")
    assert "smee" in browser.text("#local-development")
    browser.screenshot(tmp_path / "home.png")


# -- bot.about: README sections ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "anchor"),
    [
        ("Set up", "set-up"),
        ("Register the GitHub App", "register-the-github-app"),
        ("Per repository: `.github/beadle.yml`", "per-repository-githubbeadleyml"),
        ("What a review contains", "what-a-review-contains"),
        ("Local development (smee.io)", "local-development-smeeio"),
    ],
)
def test_anchors_are_githubs(title, anchor):
    assert about.anchor(title) == anchor


def test_sections_skip_fenced_headings_and_number_repeats():
    text = "intro\n# A\none\n```sh\n# not a heading\n```\n## B\n## B\ntwo\n"
    found = about.sections(text)
    assert [(s.level, s.title, s.anchor) for s in found] == [
        (1, "A", "a"),
        (2, "B", "b"),
        (2, "B", "b-1"),
    ]
    assert found[0].body == "one\n```sh\n# not a heading\n```"
    assert found[2].body == "two"
