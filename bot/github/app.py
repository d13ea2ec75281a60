"""GitHub as a GitHub App: the App JWT, installation clients with cached tokens, App endpoints.

The RSA key is loaded once (≈30 ms) and reused for every JWT; each installation's client keeps
its token until shortly before it expires (PyGithub refreshes it on the next request).
https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

import github
import jwt
import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from github.GithubException import GithubException
from github.GithubRetry import GithubRetry
from github.InstallationAuthorization import InstallationAuthorization

from bot.github.calls import StatusHook, ignore, request_json
from bot.github.errors import github_error
from bot.github.rest import RestRepo


class _SharedInstallationAuth(github.Auth.AppInstallationAuth):
    """One installation token for all worker threads. PyGithub refreshes the token without a
    lock, so threads sharing a client would each trade a JWT for a token of their own."""

    def __init__(
        self, app_auth: github.Auth.AppAuth, installation_id: int, on_request: StatusHook = ignore
    ) -> None:
        super().__init__(app_auth, installation_id)
        self._token_lock = threading.Lock()
        self._counted = on_request

    @property
    def token(self) -> str:
        with self._token_lock:
            return super().token

    def _get_installation_authorization(self) -> InstallationAuthorization:
        """`POST /app/installations/{id}/access_tokens`, counted like every other request
        (GitHub answers 201)."""
        try:
            authorization = super()._get_installation_authorization()
        except GithubException as exc:
            self._counted(exc.status)
            raise
        except requests.RequestException:
            self._counted(None)
            raise
        self._counted(201)
        return authorization


def _retry() -> GithubRetry:
    # Only reads are retried inside PyGithub: a POST that failed may still have landed, so
    # writes are retried by the job queue, which first looks for what it already posted.
    return GithubRetry(
        total=3,
        backoff_factor=0.5,
        allowed_methods=frozenset({"GET", "HEAD"}),
        secondary_rate_wait=60,
    )


class GitHubApp:
    def __init__(
        self,
        *,
        app_id: str,
        private_key_pem: str,
        base_url: str,
        bot_login: str | None = None,
        timeout: int = 30,
        pool_size: int = 10,
        on_request: StatusHook = ignore,
    ) -> None:
        self._counted = on_request  # each request's status, for /metrics (bot/metrics.py)
        try:
            key = load_pem_private_key(private_key_pem.encode(), password=None)
        except (ValueError, TypeError):
            raise ValueError("the App's private key is not a valid unencrypted PEM key") from None
        if not isinstance(key, RSAPrivateKey):  # GitHub signs App JWTs with RS256 only
            raise ValueError("the App's private key is not an RSA key (GitHub generates RSA keys)")
        self._auth = github.Auth.AppAuth(
            app_id, sign_func=lambda payload: jwt.encode(payload, key, algorithm="RS256")
        )
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._pool_size = max(pool_size, 10)  # one keep-alive connection per worker thread
        self._clients: dict[int, github.Github] = {}
        self._lock = threading.Lock()
        self._bot_login = bot_login
        self._integration = github.GithubIntegration(
            auth=self._auth,
            base_url=self._base_url,
            timeout=timeout,
            retry=_retry(),
            seconds_between_requests=None,
            seconds_between_writes=None,
        )

    def __repr__(self) -> str:
        return f"GitHubApp(app_id={self._auth.app_id!r}, base_url={self._base_url!r})"

    def repo(self, installation_id: int, full_name: str) -> RestRepo:
        return RestRepo(
            self._client(installation_id),
            full_name,
            bot_login=self.bot_login,
            on_request=self._counted,
        )

    def _client(self, installation_id: int) -> github.Github:
        with self._lock:
            client = self._clients.get(installation_id)
            if client is None:
                client = github.Github(
                    auth=_SharedInstallationAuth(self._auth, installation_id, self._counted),
                    base_url=self._base_url,
                    timeout=self._timeout,
                    retry=_retry(),
                    lazy=True,
                    pool_size=self._pool_size,
                    seconds_between_requests=None,
                    seconds_between_writes=None,
                )
                self._clients[installation_id] = client
            return client

    @property
    def bot_login(self) -> str:
        """`<slug>[bot]`: the login Beadle's reviews and comments carry."""
        if self._bot_login is None:
            self.check(once=False)
            assert self._bot_login is not None
        return self._bot_login

    def check(self, *, once: bool = True, timeout: int = 10) -> str:
        """`GET /app` with the App's JWT, always: the App's slug when GitHub takes the
        credentials, GitHubError when it refuses them (401) or cannot be reached (status None).
        `beadle serve` asks at start, `once` (no retries, `timeout` seconds), so a wrong APP_ID
        or key, or an unreachable GitHub, is said at once, not at the first delivery."""
        requester = self._integration.requester
        if once:
            requester = github.GithubIntegration(
                auth=self._auth, base_url=self._base_url, timeout=timeout, retry=0
            ).requester
        _, data = _app_request(requester, "GET", "/app", on_status=self._counted)
        slug = str((data or {}).get("slug") or "")
        if not slug:
            raise github_error("GET /app answered without the App's slug", status=None)
        if self._bot_login is None:
            self._bot_login = f"{slug}[bot]"
        return slug

    # -- App webhook deliveries (JWT) ------------------------------------------------------
    def deliveries(self, since: datetime) -> Iterator[dict[str, Any]]:
        """The App's webhook delivery attempts since `since`, newest first."""
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"per_page": 100}
            if cursor:
                params["cursor"] = cursor
            headers, page = self._app_request("GET", "/app/hook/deliveries", parameters=params)
            for item in page or []:
                delivered = datetime.fromisoformat(str(item["delivered_at"]))
                if delivered < since:
                    return
                yield item
            cursor = _next_cursor(headers.get("link", ""))
            if not cursor or not page:
                return

    def installation_id(self, full_name: str) -> int:
        """The App's installation on `full_name` (`GET /repos/{o}/{r}/installation`, App JWT):
        how `beadle review OWNER/REPO#N` finds the client to use."""
        _, data = self._app_request("GET", f"/repos/{quote(full_name, safe='/')}/installation")
        return int(data["id"])

    def redeliver(self, delivery_id: int) -> None:
        self._app_request("POST", f"/app/hook/deliveries/{int(delivery_id)}/attempts")

    def _app_request(self, verb: str, path: str, **kwargs: Any) -> tuple[Any, Any]:
        return _app_request(
            self._integration.requester, verb, path, on_status=self._counted, **kwargs
        )


def _app_request(
    requester: Any, verb: str, path: str, *, on_status: StatusHook = ignore, **kwargs: Any
) -> tuple[Any, Any]:
    """One request with the App's JWT; GitHub's refusals become GitHubError like elsewhere."""
    try:
        headers, data = request_json(requester, verb, path, on_status=on_status, **kwargs)
    except GithubException as exc:
        message = exc.data.get("message") if isinstance(exc.data, dict) else None
        raise github_error(
            f"{verb} {path} answered {exc.status}: {message or 'no message'}", status=exc.status
        ) from None
    except requests.RequestException as exc:
        raise github_error(f"{verb} {path}: {type(exc).__name__}", status=None) from None
    return headers, data


def _next_cursor(link: str) -> str | None:
    for part in link.split(","):
        if 'rel="next"' in part and "cursor=" in part:
            return part.split("cursor=", 1)[1].split("&", 1)[0].split(">", 1)[0]
    return None
