"""Fixtures shared by the test modules."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest
from hypothesis import HealthCheck, settings
from psycopg import sql

# Trust auth on loopback; the user is `postgres` on most machines, `root` on some containers.
POSTGRES_ADMIN_URLS = (
    "postgresql://postgres@127.0.0.1:5432/test",
    "postgresql://root@127.0.0.1:5432/test",
)


def _libpq_url(url: str) -> str:
    """psycopg.connect takes libpq's URI, without SQLAlchemy's `+driver` part."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else url


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """A PostgreSQL URL allowed to create databases (BEADLE_TEST_POSTGRES_URL overrides).

    Unreachable: the test is skipped on a developer's machine, but fails when CI=true, so a CI
    run that silently tested only SQLite cannot pass. pytest caches the outcome for the session:
    the connection timeout is paid once.
    """
    override = os.environ.get("BEADLE_TEST_POSTGRES_URL")
    candidates = (override,) if override else POSTGRES_ADMIN_URLS
    errors = []
    for url in candidates:
        try:
            with psycopg.connect(_libpq_url(url), connect_timeout=3):
                return url
        except psycopg.Error as exc:
            errors.append(f"{url}: {str(exc).strip()}")
    reason = "PostgreSQL is unreachable (" + "; ".join(errors) + ")"
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " and CI=true: the PostgreSQL tests must run", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str]:
    """A `DATABASE_URL` for an empty database of its own, on SQLite and on PostgreSQL.

    PostgreSQL gets a fresh database per test (`beadle_test_<random>`, dropped afterwards), so
    tests in several processes (pytest-xdist) never see each other's tables.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{os.path.join(tmp_path, 'beadle.sqlite3')}"
        return
    admin = request.getfixturevalue("postgres_admin_url")
    name = f"beadle_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(_libpq_url(admin), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlsplit(admin)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(_libpq_url(admin), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# CI runs the property tests on a fixed seed: the same thousands of examples on every run, so a
# submission never fails on the luck of a draw; locally they explore new examples each run.
settings.register_profile(
    "ci", derandomize=True, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")


# Three speeds of tests, marked from what a module uses (so `pytest -m unit` runs in seconds):
# end-to-end tests start Beadle itself (the real app on loopback or a `beadle` process);
# contract tests talk to a real server or database (the fake GitHub, the model server, SQLite or
# PostgreSQL through the store); unit tests call pure functions and in-memory fakes.
_E2E_NAMES = frozenset({"Beadle", "spawn", "run_beadle", "Popen", "executable"})
_E2E_FIXTURES = frozenset({"beadle", "world", "served", "start_setup", "browser", "page"})
_CONTRACT_NAMES = frozenset({"FakeGitHub", "FakeModel", "LoopbackServer", "Store", "GitRepo"})
_CONTRACT_FIXTURES = frozenset(
    {"github", "gh", "model", "web", "store", "filled_store", "fuzz_app", "client", "git", "repo"}
    | {"database_url", "postgres_admin_url", "fake_bd"}
)


def _names(item: pytest.Item) -> set[str]:
    """Global names the test uses, itself or through the module's helpers it calls (two deep)."""
    module = getattr(item, "module", None)
    function = getattr(item, "function", None)
    if module is None or function is None:
        return set()
    seen: set[str] = set()
    todo = [(function.__code__, 0)]
    while todo:
        code, depth = todo.pop()
        for name in code.co_names:
            if name in seen:
                continue
            seen.add(name)
            helper = vars(module).get(name)
            if depth < 2 and callable(helper) and hasattr(helper, "__code__"):
                todo.append((helper.__code__, depth + 1))
        todo += [(c, depth) for c in code.co_consts if hasattr(c, "co_names")]
    return seen


def _speed(item: pytest.Item) -> str:
    names = _names(item)
    fixtures = set(getattr(item, "fixturenames", ()))
    if item.path.name.startswith("test_e2e") or names & _E2E_NAMES or fixtures & _E2E_FIXTURES:
        return "e2e"
    if (names & _CONTRACT_NAMES) or (fixtures & _CONTRACT_FIXTURES):
        return "contract"
    return "unit"


def pytest_configure(config: pytest.Config) -> None:
    for speed, what in (
        ("unit", "pure functions and in-memory fakes"),
        ("contract", "a real server or database on loopback"),
        ("e2e", "Beadle itself, as a deployment runs it"),
    ):
        config.addinivalue_line("markers", f"{speed}: {what}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(_speed(item))
