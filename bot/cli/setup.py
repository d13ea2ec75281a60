"""`beadle setup [--port 3000] [--org ORG] [--webhook-url URL] [--force]`: register the GitHub App
from a localhost page and write its settings to `.env` (design.md §8). Needs no App settings."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from bot.setup import envfile, manifest

ENV_FILE = Path(".env")  # where bot/settings.py reads it: the working directory


def register(sub: Any) -> None:
    setup = sub.add_parser("setup", help="register the GitHub App and write its settings to .env")
    setup.add_argument("--port", type=int, default=3000, help="the page's port on 127.0.0.1")
    setup.add_argument("--org", type=_org, help="register the App in this organization")
    setup.add_argument(
        "--webhook-url",
        help="where GitHub sends webhooks (…/api/github/webhooks); asked on the page if absent",
    )
    setup.add_argument("--force", action="store_true", help="replace App settings already set")
    setup.set_defaults(run=_setup)


def _org(text: str) -> str:
    trouble = manifest.org_problem(text)
    if trouble:
        raise argparse.ArgumentTypeError(trouble)
    return text


def _setup(args: argparse.Namespace) -> int:
    from bot.setup import server  # Starlette and uvicorn load only for this command

    try:
        existing = ENV_FILE.read_text(encoding="utf-8") if ENV_FILE.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        print(f"beadle setup: cannot read {ENV_FILE.absolute()}: {exc}", file=sys.stderr)
        return 2
    taken = envfile.configured(existing, os.environ)
    if taken and not args.force:
        where = sorted({place for _, place in taken})
        names = ", ".join(name for name, _ in taken)
        print(
            f"beadle setup: {names} already set in {' and '.join(where)}; nothing changed "
            "(--force replaces them)",
            file=sys.stderr,
        )
        return 2
    if args.webhook_url is not None and (trouble := manifest.webhook_url_problem(args.webhook_url)):
        print(f"beadle setup: --webhook-url: {trouble}", file=sys.stderr)
        return 2
    in_file = envfile.values(existing)

    def setting(name: str, default: str) -> str:
        return os.environ.get(name) or in_file.get(name) or default

    try:
        sock = server.bind(args.port)
    except OSError as exc:
        print(
            f"beadle setup: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}", file=sys.stderr
        )
        return 2
    setup = server.Setup(
        app_yml=manifest.read_app_yml(),
        github_url=setting("GITHUB_URL", "https://github.com"),
        api_url=setting("GITHUB_API_URL", "https://api.github.com"),
        port=sock.getsockname()[1],
        env_path=ENV_FILE.absolute(),
        environ=dict(os.environ),
        org=args.org,
        webhook_url=args.webhook_url,
        force=args.force,
    )
    print(
        f"Open {setup.page_url} in a browser to register the GitHub App (Ctrl-C stops).", flush=True
    )
    outcome = server.serve(setup, sock)
    if outcome is None:
        print("beadle setup: stopped; nothing was written", file=sys.stderr)
        return 1
    for warning in outcome.warnings:
        print(f"beadle setup: {warning}", file=sys.stderr)
    print(
        f"Registered {outcome.app.name} (App id {outcome.app.id}); wrote "
        f"{', '.join(outcome.written)} to {setup.env_path} (mode 0600)."
    )
    print(f"Install it on your repositories: {outcome.app.install_url}", flush=True)
    return 0
