"""What `beadle serve` and `beadle worker` check and say before they take any work.

A new operator's first mistakes are a wrong App id or key, an unreachable database and a wrong
GitHub URL. Each stops the process at start with one line that names the setting to fix (a
secret never shown), instead of a `ok` from `/healthz` and a traceback at the first delivery.
Then one line says what the process is about to do: its address, workers, database, GitHub
and model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.github.app import GitHubApp
from bot.github.errors import GitHubError
from bot.queue.store import Store

NO_CHECK = "start with --no-check to skip this check"


class StartupError(Exception):
    """Start-up cannot go on: one line for the operator, and the exit status (2 for a setting
    to fix, 1 for something that may pass, such as GitHub being unreachable)."""

    def __init__(self, message: str, *, status: int = 2) -> None:
        super().__init__(" ".join(message.split()))  # one line, whatever a library said
        self.status = status


def redact_url(url: str) -> str:
    """The URL with every password replaced by `***`: the one after the user name, and any in
    the query (`?password=…`, `sslpassword`, tokens and keys), as libpq and drivers accept."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an unreadable URL)"
    original = parts
    if parts.password is not None:
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    if parts.query:
        query = [
            (k, "***" if _SECRET_PARAM.search(k) else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        if any(v == "***" for _, v in query):
            parts = parts._replace(query=urlencode(query, safe="*"))
    return url if parts == original else urlunsplit(parts)


_SECRET_PARAM = re.compile(r"pass|secret|token|key", re.IGNORECASE)


def open_store(url: str) -> Store:
    """The queue's database, created or migrated; StartupError naming DATABASE_URL when it
    cannot be opened or reached."""
    try:
        return Store(url)
    except Exception as exc:  # every driver and SQLAlchemy has its own; all mean the same here
        reason = _first_line(getattr(exc, "orig", None) or exc)
        password = urlsplit(url).password if "://" in url else None
        if password:
            reason = reason.replace(password, "***")
        raise StartupError(
            f"DATABASE_URL {redact_url(url)}: cannot open the database: {reason}"
        ) from None


def check_github(github: GitHubApp, *, app_id: str, api_url: str) -> str:
    """`GET /app` with the App's JWT: the App's slug, or StartupError saying which setting
    GitHub refused, or that GitHub could not be reached."""
    try:
        return github.check()
    except GitHubError as exc:
        if exc.status == 401:
            raise StartupError(
                f"GitHub refused the App's credentials ({exc}): check APP_ID ({app_id}) and "
                f"PRIVATE_KEY or PRIVATE_KEY_PATH (the key GitHub generated for that App)"
            ) from None
        if exc.status == 404:
            raise StartupError(
                f"GitHub at GITHUB_API_URL {api_url} knows no App {app_id} ({exc}): check "
                f"APP_ID, and GITHUB_API_URL (GitHub Enterprise: https://HOST/api/v3)"
            ) from None
        if exc.status is None:
            raise StartupError(
                f"cannot reach GitHub at GITHUB_API_URL {api_url} ({exc}); {NO_CHECK}",
                status=1,
            ) from None
        raise StartupError(
            f"GitHub at GITHUB_API_URL {api_url} could not check the App ({exc}); {NO_CHECK}",
            status=1,
        ) from None


def started_line(
    *,
    role: str,
    version: str,
    workers: int,
    database_url: str,
    github_url: str,
    app: str,
    model: str,
    model_url: str,
    metrics: str | None,
) -> str:
    """One line: what this process is and where everything it talks to is."""
    parts: Sequence[str] = (
        f"beadle {version} {role}",
        f"{workers} worker{'s' if workers != 1 else ''}" if workers else "no workers",
        f"database {redact_url(database_url)}",
        f"GitHub {github_url} ({app})",
        f"model {model} at {redact_url(model_url)}",
        f"metrics {metrics}" if metrics else "no metrics server",
    )
    return "; ".join(parts)


def _first_line(exc: object) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
