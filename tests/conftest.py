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
