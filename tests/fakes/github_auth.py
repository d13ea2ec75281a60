"""GitHub App authentication as GitHub enforces it: an RS256 App JWT, then installation tokens.

https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app
"""

from __future__ import annotations

import secrets
import string
import threading
import time

import jwt

from .github_state import Call, Reply, error

TOKEN_LIFETIME = 3600
_MAX_JWT_LIFETIME = 600  # `exp` at most 10 minutes ahead
_CLOCK_SLACK = 2  # seconds of rounding a client may show
_JWT_DOC = "https://docs.github.com/rest"
_ALPHABET = string.ascii_letters + string.digits


class Auth:
    def __init__(
        self, *, app_id: int, public_key_pem: str | bytes, client_id: str | None = None
    ) -> None:
        self.app_id = app_id
        self.client_id = client_id
        self.public_key = (
            public_key_pem.encode() if isinstance(public_key_pem, str) else public_key_pem
        )
        self.lifetime = TOKEN_LIFETIME  # seconds an installation token lives; tests may shorten it
        self._tokens: dict[str, dict] = {}
        self._lock = threading.Lock()
        self.used = 0

    # -- installation tokens ---------------------------------------------------------------------
    def issue(self, installation_id: int) -> dict:
        token = "ghs_" + "".join(secrets.choice(_ALPHABET) for _ in range(36))
        expires = time.time() + self.lifetime
        with self._lock:
            self._tokens[token] = {"installation_id": installation_id, "expires": expires}
        return {
            "token": token,
            "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires)),
        }

    def revoke_all(self) -> None:
        with self._lock:
            self._tokens.clear()

    def installation_for(self, token: str) -> int | None:
        with self._lock:
            rec = self._tokens.get(token)
        if rec is None or rec["expires"] <= time.time():
            return None
        return rec["installation_id"]

    # -- JWT -------------------------------------------------------------------------------------
    def jwt_problem(self, token: str) -> str | None:
        """None when `token` is a valid App JWT, else GitHub's message for the failure."""
        try:
            claims = jwt.decode(
                token,
                self.public_key,
                algorithms=["RS256"],
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "verify_aud": False,
                    "require": ["exp", "iat", "iss"],
                },
            )
        except jwt.PyJWTError:
            return "A JSON web token could not be decoded"
        now = time.time()
        issuers = {str(self.app_id)} | ({self.client_id} if self.client_id else set())
        if str(claims["iss"]) not in issuers:
            return "'Issuer' claim ('iss') must be an Integer"
        if not isinstance(claims["exp"], (int, float)) or claims["exp"] <= now:
            return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"  # noqa: E501 (GitHub's own words)
        if claims["exp"] > now + _MAX_JWT_LIFETIME + _CLOCK_SLACK:
            return "'Expiration time' claim ('exp') is too far in the future"
        if not isinstance(claims["iat"], (int, float)) or claims["iat"] > now + _CLOCK_SLACK:
            return "'Issued at' claim ('iat') must be an Integer representing a time in the past"
        return None

    # -- per request ------------------------------------------------------------------------------
    def check(self, call: Call, kind: str) -> Reply | None:
        """None when the request may proceed (setting `call.installation_id`), else a 401."""
        if kind == "none":
            return None
        scheme, _, credential = call.headers.get("authorization", "").strip().partition(" ")
        credential = credential.strip()
        if kind == "jwt":
            if scheme.lower() != "bearer" or not credential:
                return error(401, "A JSON web token could not be decoded", doc=_JWT_DOC)
            problem = self.jwt_problem(credential)
            return None if problem is None else error(401, problem, doc=_JWT_DOC)
        if scheme.lower() in ("token", "bearer") and credential:
            installation = self.installation_for(credential)
            if installation is not None:
                call.installation_id = installation
                with self._lock:
                    self.used += 1
                return None
        return error(401, "Bad credentials")

    def rate_headers(self) -> dict[str, str]:
        used = self.used
        return {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": str(max(0, 5000 - used)),
            "x-ratelimit-reset": str(int(time.time()) + 3600),
            "x-ratelimit-used": str(used),
            "x-ratelimit-resource": "core",
        }
