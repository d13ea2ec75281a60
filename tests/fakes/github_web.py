"""The fake GitHub's web side (pages a browser is sent to, not the REST API): the App manifest
flow's form at `/settings/apps/new` and `/organizations/{org}/settings/apps/new`.

Real GitHub shows a page where the person names and confirms the App; the fake registers it at
once and sends the browser to `redirect_url?code=…&state=…`, as GitHub does after that click.
https://docs.github.com/en/apps/sharing-github-apps/registering-a-github-app-from-a-manifest
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from .github import FakeGitHub

# The manifest's parameters as GitHub documents them, with the JSON type each must have.
MANIFEST_PARAMETERS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "url": str,
    "description": str,
    "hook_attributes": dict,
    "redirect_url": str,
    "callback_urls": list,
    "setup_url": str,
    "public": bool,
    "default_events": list,
    "default_permissions": dict,
    "request_oauth_on_install": bool,
    "setup_on_update": bool,
}
_ACCESS = {"read", "write", "admin"}


def routes(gh: FakeGitHub) -> list[Route]:
    async def new_app(request: Request) -> Response:
        return await _new_app(gh, request, org=request.path_params.get("org"))

    return [
        Route("/settings/apps/new", new_app, methods=["POST"]),
        Route("/organizations/{org}/settings/apps/new", new_app, methods=["POST"]),
    ]


def manifest_problems(manifest: Any) -> list[str]:
    """What GitHub would refuse in a posted manifest, or what Beadle's flow cannot work without."""
    if not isinstance(manifest, dict):
        return ["the manifest is not a JSON object"]
    problems = [
        f"unknown manifest parameter {k!r}" for k in manifest if k not in MANIFEST_PARAMETERS
    ]
    for key, kind in MANIFEST_PARAMETERS.items():
        if key in manifest and not isinstance(manifest[key], kind):
            problems.append(f"{key} must be a {kind.__name__}")  # type: ignore[union-attr]
    for key in ("url", "redirect_url"):
        if not _is_url(manifest.get(key)):
            problems.append(f"{key} must be an http(s) URL")
    hook = manifest.get("hook_attributes")
    if isinstance(hook, dict):
        if not _is_url(hook.get("url")):
            problems.append("hook_attributes.url must be an http(s) URL")
        if not isinstance(hook.get("active", True), bool):
            problems.append("hook_attributes.active must be a bool")
        problems += [f"unknown hook attribute {k!r}" for k in hook if k not in ("url", "active")]
    events = manifest.get("default_events", [])
    if isinstance(events, list) and not all(isinstance(e, str) and e for e in events):
        problems.append("default_events must be event names")
    permissions = manifest.get("default_permissions", {})
    if isinstance(permissions, dict) and not all(v in _ACCESS for v in permissions.values()):
        problems.append("default_permissions values must be read, write or admin")
    return problems


async def _new_app(gh: FakeGitHub, request: Request, *, org: str | None) -> Response:
    form = parse_qs((await request.body()).decode(), keep_blank_values=True)
    state = request.query_params.get("state")
    try:
        manifest = json.loads(form["manifest"][0])
    except (KeyError, IndexError, ValueError):
        manifest = None
    problems = ["no manifest form field with JSON"] if manifest is None else []
    problems += manifest_problems(manifest) if manifest is not None else []
    with gh.lock:
        gh.manifest_posts.append({"org": org, "state": state, "manifest": manifest})
    if problems:
        for problem in problems:
            gh.violation(f"POST {request.url.path}: {problem}")
        return HTMLResponse("<h1>Invalid GitHub App configuration</h1>", status_code=422)
    code = secrets.token_hex(10)
    with gh.lock:
        gh.manifest_codes[code] = register(gh, manifest, org=org)
    query = {"code": code, **({"state": state} if state is not None else {})}
    target = manifest["redirect_url"]
    return RedirectResponse(f"{target}{'&' if '?' in target else '?'}{urlencode(query)}", 302)


def register(gh: FakeGitHub, manifest: dict[str, Any], *, org: str | None) -> dict[str, Any]:
    """The App as GitHub keeps it: ids, secrets and a fresh RSA key (PKCS#1, as GitHub hands out)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = manifest.get("name") or "app"
    slug = "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split()) or "app"
    with gh.lock:
        taken = {a["slug"] for a in gh.registered_apps}
        while slug in taken:
            slug += "-1"
        app = {
            "id": gh.new_id(),
            "slug": slug,
            "name": name,
            "owner": org or gh.app_owner,
            "owner_type": "Organization" if org else "User",
            "manifest": manifest,
            "client_id": "Iv1." + secrets.token_hex(8),
            "client_secret": secrets.token_hex(20),
            "webhook_secret": secrets.token_hex(20),
            "pem": key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            ).decode(),
            "converted": False,
        }
        gh.registered_apps.append(app)
    return app


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
