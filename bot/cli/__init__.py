"""The `beadle` command (docs/design.md §1 and §8): one module a command, composed here.

Each command module has `register(subparsers)`, which adds its parser and sets `run`. A command
that needs the whole App (settings, store, GitHub App, model) sets `needs_runtime=True` and is
called as `run(runtime, args)`; any other is called as `run(args)` and reads only the settings
it needs, so `beadle --help` and commands such as `setup` work before the App exists.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from bot.about import version
from bot.cli import admin, review, serve, setup
from bot.settings import SettingsError, load_settings

COMMANDS = (serve, admin, setup, review)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "needs_runtime", False):
        return int(args.run(args))
    try:
        settings = load_settings()
        from bot.runtime import Runtime  # imported late: `beadle --help` needs no settings

        runtime = Runtime(settings)
    except (SettingsError, ValueError) as exc:
        print(f"beadle: {exc}", file=sys.stderr)
        return 2
    return int(args.run(runtime, args))


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="beadle", description="Reviews pull requests against the beads issue they implement."
    )
    top.add_argument("--version", action="version", version=f"beadle {version()}")
    sub = top.add_subparsers(required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return top
