"""The App manifest Beadle posts, and the App GitHub sends back (design.md §8).

https://docs.github.com/en/apps/sharing-github-apps/registering-a-github-app-from-a-manifest
"""

from __future__ import annotations

import copy
import importlib.resources
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import yaml

# The parameters GitHub's manifest takes; anything else in app.yml stays out of the post.
MANIFEST_KEYS = (
    "name",
    "url",
    "description",
    "hook_attributes",
    "redirect_url",
    "callback_urls",
    "setup_url",
    "public",
    "default_events",
    "default_permissions",
    "request_oauth_on_install",
    "setup_on_update",
)
# GitHub's rule for account names: letters, digits and single hyphens, at most 39 characters.
_ACCOUNT = re.compile(r"[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}")


def read_app_yml() -> dict[str, Any]:
    """app.yml as shipped in the package (bot/setup/app.yml points at the repository's root)."""
    text = importlib.resources.files("bot.setup").joinpath("app.yml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError("app.yml is not a mapping")
    return data


def build(base: Mapping[str, Any], *, webhook_url: str, redirect_url: str) -> dict[str, Any]:
    """The manifest to post, pure: app.yml's keys GitHub knows, with this deployment's webhook URL
    and the setup page's own callback as `redirect_url`."""
    manifest = {k: copy.deepcopy(base[k]) for k in MANIFEST_KEYS if k in base}
    hook = dict(manifest.get("hook_attributes") or {})
    hook.update(url=webhook_url, active=True)
    manifest["hook_attributes"] = hook
    manifest["redirect_url"] = redirect_url
    return manifest


def to_json(manifest: Mapping[str, Any]) -> str:
    return json.dumps(manifest, ensure_ascii=False, separators=(",", ":"))


def form_action(github_url: str, *, state: str, org: str | None = None) -> str:
    """Where the form posts: the user's new-App page, or an organization's."""
    root = github_url.rstrip("/")
    page = (
        f"/organizations/{quote(org, safe='')}/settings/apps/new" if org else "/settings/apps/new"
    )
    return f"{root}{page}?{urlencode({'state': state})}"


def webhook_url_problem(url: str) -> str | None:
    """Why GitHub could not deliver to `url`, or None when it looks deliverable."""
    parts = urlsplit(url.strip())
    if not url.strip():
        return "enter the URL GitHub should send webhooks to"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "the webhook URL must start with https:// (or http://) and name a host"
    if any(c.isspace() for c in url.strip()):
        return "the webhook URL must not contain spaces"
    return None


def org_problem(org: str) -> str | None:
    return None if _ACCOUNT.fullmatch(org) else f"{org!r} is not a GitHub organization name"


@dataclass(frozen=True)
class NewApp:
    """The App GitHub registered, as the code conversion returns it."""

    id: int
    slug: str
    name: str
    html_url: str
    pem: str
    webhook_secret: str | None  # the schema allows null

    @property
    def install_url(self) -> str:
        return self.html_url.rstrip("/") + "/installations/new"

    def settings(self) -> dict[str, str]:
        """What goes to .env: the App's credentials and its bot login (design.md §1). The key is
        one line with `\\n` escapes, as PRIVATE_KEY allows, so the file also works as Docker's
        `--env-file`, which takes values literally."""
        out = {"APP_ID": str(self.id), "PRIVATE_KEY": self.pem.replace("\n", "\\n")}
        if self.webhook_secret:
            out["WEBHOOK_SECRET"] = self.webhook_secret
        out["BEADLE_BOT_LOGIN"] = f"{self.slug}[bot]"
        return out


def parse_conversion(body: Any) -> NewApp:
    """Read `POST /app-manifests/{code}/conversions`'s answer, pure; ValueError names a gap.

    https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest
    """
    if not isinstance(body, dict):
        raise ValueError("GitHub's answer is not a JSON object")
    for key, kind in (("id", int), ("slug", str), ("html_url", str), ("pem", str)):
        if not isinstance(body.get(key), kind) or body.get(key) in ("", None):
            raise ValueError(f"GitHub's answer has no {key}")
    secret = body.get("webhook_secret")
    return NewApp(
        id=body["id"],
        slug=body["slug"],
        name=str(body.get("name") or body["slug"]),
        html_url=body["html_url"],
        pem=body["pem"],
        webhook_secret=secret if isinstance(secret, str) and secret else None,
    )
