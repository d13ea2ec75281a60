"""The GitHub App adapter against the fake GitHub: one token for many threads, the bot login."""

import threading

from bot.github.app import GitHubApp
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import REPO


def test_many_threads_share_one_installation_token(github, app_key):
    app = GitHubApp(app_id="1", private_key_pem=app_key[0], base_url=github.base_url, pool_size=16)
    number = github.open_pull(REPO, title="t", head="feature")
    start = threading.Barrier(16)
    errors = []

    def read():
        start.wait()
        try:
            app.repo(1, REPO).pull(number)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    exchanges = [r for r in github.requests if r.path.endswith("/access_tokens")]
    assert len(exchanges) == 1


def test_bot_login_comes_from_the_app_once(github, app_key):
    app = GitHubApp(app_id="1", private_key_pem=app_key[0], base_url=github.base_url)
    assert app.bot_login == app.bot_login == "beadle[bot]"
    assert sum(r.path == "/app" for r in github.requests) == 1


def test_a_bad_private_key_is_named_not_dumped(github):
    try:
        GitHubApp(app_id="1", private_key_pem="-----BEGIN nonsense", base_url=github.base_url)
    except ValueError as exc:
        assert "private key" in str(exc) and "nonsense" not in str(exc)
    else:
        raise AssertionError("a bad key was accepted")
