"""The Jinja2 environment for the HTML pages a browser sees (prompts/*.html.j2).

Separate from the text environment in bot/review/templates.py, which must not escape markdown:
here autoescape is on, so a value shown on a page (a URL, a manifest, a README) can never become
markup. Both read the same template folder.
"""

from __future__ import annotations

from functools import cache

import jinja2

from bot.review import templates


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=templates.environment().loader,
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, /, **context: object) -> str:
    return environment().get_template(name).render(**context)
