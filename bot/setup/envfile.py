"""What `.env` becomes after `beadle setup`: the App's settings merged into the file's other lines.

Parsed with python-dotenv, the parser pydantic-settings reads `.env` with (bot/settings.py), so
what is written here is read back exactly. All pure but `write_atomic`.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from dotenv import dotenv_values
from dotenv.parser import parse_stream

# The settings that say "an App is already configured here" (design.md §1).
APP_SETTINGS = ("APP_ID", "PRIVATE_KEY", "PRIVATE_KEY_PATH", "WEBHOOK_SECRET", "BEADLE_BOT_LOGIN")
# Values dotenv and Docker's --env-file both read literally: no quote, `#`, `$`, tab or newline,
# no space at either end (a PEM with `\n` escapes, as PRIVATE_KEY allows, is one of them).
_BARE = re.compile(r"[^\s'\"#$]+(?: [^\s'\"#$]+)*")


def values(text: str) -> dict[str, str]:
    """The settings a `.env` text holds (a key without `=` counts as unset)."""
    return {k: v for k, v in dotenv_values(stream=io.StringIO(text)).items() if v is not None}


def configured(text: str, environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """The App settings already set, with where: `(name, ".env" | "the environment")`."""
    in_file = values(text)
    found = []
    for name in APP_SETTINGS:
        if environ.get(name, "").strip():
            found.append((name, "the environment"))
        elif in_file.get(name, "").strip():
            found.append((name, ".env"))
    return found


def line(key: str, value: str) -> str:
    """`KEY=value`, bare when it reads back literally, else double-quoted with escapes.

    python-dotenv expands `${NAME}` in any value and has no escape for it, so such a value is
    refused rather than written to be read back as something else."""
    if "${" in value:
        raise ValueError(f"{key}: a value with ${{ cannot be written to .env")
    if _BARE.fullmatch(value):
        return f"{key}={value}\n"
    escaped = (
        value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    return f'{key}="{escaped}"\n'


def merge(text: str, updates: Mapping[str, str], *, drop: Iterable[str] = ()) -> str:
    """`text` with each key in `updates` set (in place, once) and each key in `drop` removed;
    comments, blank lines, other settings and lines dotenv cannot parse are kept as they were."""
    dropped = set(drop) - set(updates)
    out: list[str] = []
    done: set[str] = set()
    for binding in parse_stream(io.StringIO(text)):
        original = binding.original.string
        key = binding.key
        if key is None or (key not in updates and key not in dropped):
            out.append(original)
            continue
        lead = original[: len(original) - len(original.lstrip())]  # blank lines before it
        out.append(lead)
        if key in updates and key not in done:
            out.append(line(key, updates[key]))
            done.add(key)
    merged = "".join(out)
    if merged and not merged.endswith("\n"):
        merged += "\n"
    return merged + "".join(line(k, v) for k, v in updates.items() if k not in done)


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step, mode 0600 from the start: a crash leaves the old
    file or the new one, and no other user can read the key in between."""
    target = path.resolve()  # a symlinked .env keeps its link; its target is replaced
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
