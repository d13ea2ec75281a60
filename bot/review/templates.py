"""One Jinja2 environment for every text Beadle writes: prompts and review bodies (prompts/*.j2).

StrictUndefined turns a field a template expects but was not given into an error, not a blank.
"""

from __future__ import annotations

import importlib.resources
import re
from functools import cache
from pathlib import Path

import jinja2

from bot.review.sanitize import code, one_line, safe

_BACKTICKS = re.compile(r"`{3,}")


def fence(text: str | None, info: str = "") -> str:
    """Wrap untrusted text in a code fence no line inside can close early."""
    text = text or ""
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text.rstrip()}\n{ticks}"


def line(text: object, limit: int = 300) -> str:
    """Untrusted text reduced to one clean line for the prompt: whitespace (newlines included)
    collapsed, control characters dropped, bounded. On one line after a label, a title cannot
    open a section of its own or close a fence."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in str(text or "")).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _template_dir() -> str:
    """The templates beside this very `bot/` when it is a source checkout (prompts/ next to
    bot/), else the installed package's copy (`bot.prompts`). The checkout's own come first, so
    a checkout never renders another installation's templates."""
    beside = Path(__file__).resolve().parents[2] / "prompts"  # bot/review/ → the root
    if (beside / "review.j2").is_file():
        return str(beside)
    root = importlib.resources.files("bot.prompts")
    return str(root)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_template_dir()),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain text and markdown; HTML is escaped explicitly where shown
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["fence"] = fence
    env.filters["md"] = safe
    env.filters["cell"] = one_line
    env.filters["code"] = code
    env.filters["line"] = line
    return env


def render(name: str, /, **context: object) -> str:
    return environment().get_template(name).render(**context).strip() + "\n"
