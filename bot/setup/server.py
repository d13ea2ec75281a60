"""The localhost page of `beadle setup`: one button posts the manifest to GitHub, GitHub sends the
browser back with a code, the code becomes the App, the App's settings go to `.env`.

The shell around `manifest` and `envfile`: it holds the one run's state (the `state` value GitHub
echoes back, an App not yet written) and stops the server once `.env` is written.
"""

from __future__ import annotations

import logging
import secrets
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from bot import about, html_pages
from bot.setup import envfile, manifest
from bot.setup.github import ConversionError, exchange_code
from bot.setup.manifest import NewApp

log = logging.getLogger("beadle.setup")

Exchange = Callable[[str, str], Any]  # (api_url, code) -> the conversion's JSON


@dataclass
class Setup:
    """One run of `beadle setup`, decided before the page is served."""

    app_yml: dict[str, Any]
    github_url: str
    api_url: str
    port: int
    env_path: Path
    environ: Mapping[str, str]
    org: str | None = None
    webhook_url: str | None = None
    force: bool = False
    state: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @property
    def page_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def redirect_url(self) -> str:
        return f"{self.page_url}callback"

    def replacing(self) -> list[tuple[str, str]]:
        """App settings that are set already: `(name, where)`."""
        return envfile.configured(_read(self.env_path), self.environ)

    def taken(self) -> list[tuple[str, str]]:
        """App settings that are set already and may not be replaced (none with --force)."""
        return [] if self.force else self.replacing()


@dataclass(frozen=True)
class Outcome:
    app: NewApp
    written: list[str]
    warnings: list[str]


def save(setup: Setup, app: NewApp) -> Outcome:
    """Merge the App's settings into .env (0600, in one step), dropping the ones they replace:
    a PRIVATE_KEY_PATH of an older App, and its WEBHOOK_SECRET when GitHub sent none."""
    updates = app.settings()
    drop = {"PRIVATE_KEY_PATH", "WEBHOOK_SECRET"} - set(updates)
    envfile.write_atomic(setup.env_path, envfile.merge(_read(setup.env_path), updates, drop=drop))
    warnings = [
        f"{name} is set in the environment, which wins over .env: unset it"
        for name in (*updates, *sorted(drop))
        if setup.environ.get(name, "").strip()
    ]
    if app.webhook_secret is None:
        warnings.append(
            "GitHub sent no webhook secret: set one in the App's settings and put it in "
            "WEBHOOK_SECRET in .env"
        )
    return Outcome(app, list(updates), warnings)


def create_app(
    setup: Setup, *, done: Callable[[Outcome], None], exchange: Exchange = exchange_code
) -> Starlette:
    unsaved: list[NewApp] = []  # an App GitHub handed over that .env could not take yet

    def page(template: str, status: int = 200, **context: object) -> HTMLResponse:
        context.setdefault("version", about.version())
        return HTMLResponse(html_pages.render(template, **context), status_code=status)

    def problem(title: str, message: str, status: int, *, retry: str | None = None) -> HTMLResponse:
        log.warning("%s: %s", title, message)
        return page(
            "setup_result.html.j2",
            status,
            title=title,
            message=message,
            warnings=[],
            retry=retry,
            install_url=None,
            ok=False,
        )

    async def start(request: Request) -> HTMLResponse:
        url = request.query_params.get("webhook_url", setup.webhook_url or "").strip()
        trouble = manifest.webhook_url_problem(url)
        asked = "webhook_url" in request.query_params or setup.webhook_url is not None
        body = manifest.build(setup.app_yml, webhook_url=url, redirect_url=setup.redirect_url)
        return page(
            "setup.html.j2",
            name=body.get("name", about.NAME),
            webhook_url=url,
            problem=trouble if asked else None,
            ready=trouble is None,
            action=manifest.form_action(setup.github_url, state=setup.state, org=setup.org),
            manifest_json=manifest.to_json(body),
            org=setup.org,
            github_url=setup.github_url,
            env_path=str(setup.env_path),
            replacing=[name for name, _ in setup.replacing()],
        )

    async def callback(request: Request) -> HTMLResponse:
        state = request.query_params.get("state", "")
        if not secrets.compare_digest(state.encode(), setup.state.encode()):
            return problem(
                "Not this setup's answer",
                "The state GitHub sent back is not the one this page gave; nothing was written. "
                "Start again from this page.",
                400,
                retry="/",
            )
        code = request.query_params.get("code", "")
        if not code:
            return problem("No code", "GitHub sent no code; nothing was written.", 400, retry="/")
        if unsaved:
            return await write(unsaved[0])
        taken = setup.taken()
        if taken:
            names = ", ".join(name for name, _ in taken)
            return problem(
                "Already configured",
                f"{names} became set while this page was open; nothing was changed. "
                "Run `beadle setup --force` to replace them.",
                409,
            )
        try:
            app = manifest.parse_conversion(await run_in_threadpool(exchange, setup.api_url, code))
        except (ConversionError, ValueError) as exc:
            return problem("GitHub did not hand over the App", str(exc), 502, retry="/")
        unsaved.append(app)
        return await write(app)

    async def retry_save(request: Request) -> HTMLResponse:
        state = request.query_params.get("state", "")
        if not unsaved or not secrets.compare_digest(state.encode(), setup.state.encode()):
            return problem("Nothing to save", "There is no App waiting to be written.", 404)
        return await write(unsaved[0])

    async def write(app: NewApp) -> HTMLResponse:
        try:
            outcome = await run_in_threadpool(save, setup, app)
        except (OSError, ValueError) as exc:
            return problem(
                "Could not write .env",
                f"{setup.env_path}: {getattr(exc, 'strerror', None) or exc}. The App is registered and kept in "
                "this process: fix the problem, then retry (stopping `beadle setup` loses it).",
                500,
                retry=f"/save?state={setup.state}",
            )
        unsaved.clear()
        response = page(
            "setup_result.html.j2",
            title=f"{app.name} is registered",
            message=f"{', '.join(outcome.written)} are in {setup.env_path}.",
            warnings=outcome.warnings,
            install_url=app.install_url,
            retry=None,
            ok=True,
        )
        response.background = BackgroundTask(done, outcome)
        return response

    return Starlette(
        routes=[
            Route("/", start, methods=["GET"]),
            Route("/callback", callback, methods=["GET"]),
            Route("/save", retry_save, methods=["GET"]),
        ]
    )


def bind(port: int) -> socket.socket:
    """A listening socket on loopback only (port 0: any free one); OSError when it is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(16)
    except OSError:
        sock.close()
        raise
    return sock


def serve(
    setup: Setup, sock: socket.socket, *, exchange: Exchange = exchange_code
) -> Outcome | None:
    """Serve the page until `.env` is written (the Outcome) or the user stops it (None)."""
    outcomes: list[Outcome] = []
    server: uvicorn.Server | None = None

    def done(outcome: Outcome) -> None:
        outcomes.append(outcome)
        assert server is not None
        server.should_exit = True

    app = create_app(setup, done=done, exchange=exchange)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return outcomes[0] if outcomes else None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
