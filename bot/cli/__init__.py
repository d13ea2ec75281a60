"""The `beadle` command (docs/design.md §1 and §8): one module a command, composed here.

Each command module has `register(subparsers)`, which adds its parser and sets `run`. A command
that needs the whole App (settings, store, GitHub App, model) sets `needs_runtime=True` and is
called as `run(runtime, args)`; one that needs only the database (`beadle jobs`) sets
`needs_store=True` and is called as `run(store, args)`; any other is called as `run(args)` and
reads only the settings it needs, so `beadle --help` and commands such as `setup` work before
the App exists. Logging (LOG_LEVEL, LOG_FORMAT, from the environment or `.env`) is set up for
every command.
"""

from __future__ import annotations

import argparse
import sys

from bot import logs
from bot.about import version
from bot.cli import admin, review, serve, setup
from bot.settings import (
    LogSettings,
    SettingsError,
    load_log_settings,
    load_settings,
    load_store_settings,
)

COMMANDS = (serve, admin, setup, review)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        log_settings = load_log_settings()
    except SettingsError as exc:
        print(f"beadle: {exc}", file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError):  # an unreadable .env: the command itself says so
        log_settings = LogSettings(_env_file=None)
    logs.configure(level=log_settings.log_level, fmt=log_settings.log_format)
    if getattr(args, "needs_store", False):
        return _with_store(args)
    if not getattr(args, "needs_runtime", False):
        return int(args.run(args))
    # imported late: `beadle --help` needs no settings, nor the App's libraries
    from bot.runtime import Runtime
    from bot.startup import StartupError

    try:
        settings = load_settings()
        runtime = Runtime(settings)
    except StartupError as exc:
        print(f"beadle: {exc}", file=sys.stderr)
        return exc.status
    except (SettingsError, ValueError) as exc:
        print(f"beadle: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.run(runtime, args))
    except StartupError as exc:  # a check the command made before taking work (serve, worker)
        print(f"beadle: {exc}", file=sys.stderr)
        return exc.status


def _with_store(args: argparse.Namespace) -> int:
    """A command that reads the queue: DATABASE_URL is the only setting it needs."""
    from bot.startup import StartupError, open_store

    try:
        store = open_store(load_store_settings().database_url.get_secret_value())
    except StartupError as exc:
        print(f"beadle: {exc}", file=sys.stderr)
        return exc.status
    except (SettingsError, ValueError) as exc:
        print(f"beadle: {exc}", file=sys.stderr)
        return 2
    with store:
        return int(args.run(store, args))


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="beadle", description="Reviews pull requests against the beads issue they implement."
    )
    top.add_argument("--version", action="version", version=f"beadle {version()}")
    sub = top.add_subparsers(required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return top
