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

from bot.github.errors import github_error
from bot.github.rest import RestRepo


class _SharedInstallationAuth(github.Auth.AppInstallationAuth):
    """One installation token for all worker threads. PyGithub refreshes the token without a
    lock, so threads sharing a client would each trade a JWT for a token of their own."""

    def __init__(self, app_auth: github.Auth.AppAuth, installation_id: int) -> None:
        super().__init__(app_auth, installation_id)
        self._token_lock = threading.Lock()

    @property
    def token(self) -> str:
        with self._token_lock:
            return super().token


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
    ) -> None:
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
        return RestRepo(self._client(installation_id), full_name, bot_login=self.bot_login)

    def _client(self, installation_id: int) -> github.Github:
        with self._lock:
            client = self._clients.get(installation_id)
            if client is None:
                client = github.Github(
                    auth=_SharedInstallationAuth(self._auth, installation_id),
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
            try:
                slug = self._integration.get_app().slug
            except GithubException as exc:
                raise github_error(f"GET /app answered {exc.status}", status=exc.status) from None
            except requests.RequestException as exc:
                raise github_error(f"GET /app: {type(exc).__name__}", status=None) from None
            self._bot_login = f"{slug}[bot]"
        return self._bot_login

    # -- App webhook deliveries (JWT) ------------------------------------------------------
    def deliveries(self, since: datetime) -> Iterator[dict[str, Any]]:
        """The App's webhook delivery attempts since `since`, newest first."""
        requester = self._integration.requester
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"per_page": 100}
            if cursor:
                params["cursor"] = cursor
            headers, page = _app_request(
                requester, "GET", "/app/hook/deliveries", parameters=params
            )
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
        _, data = _app_request(
            self._integration.requester, "GET", f"/repos/{quote(full_name, safe='/')}/installation"
        )
        return int(data["id"])

    def redeliver(self, delivery_id: int) -> None:
        _app_request(
            self._integration.requester,
            "POST",
            f"/app/hook/deliveries/{int(delivery_id)}/attempts",
        )


def _app_request(requester: Any, verb: str, path: str, **kwargs: Any) -> tuple[Any, Any]:
    """One request with the App's JWT; GitHub's refusals become GitHubError like elsewhere."""
    try:
        headers, data = requester.requestJsonAndCheck(verb, path, **kwargs)
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
