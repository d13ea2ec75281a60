"""The repository stands alone and says what it holds: checks over the tracked files.

A clone with nothing beside it must test, build and run: no file may reach into a sibling folder
or an absolute path of one machine; every package under bot/ must be in the wheel; the README's
module map must name every module.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = re.compile(
    "|".join([r"\.\./" + "shared", "/" + "work/", "shared/(?:github|seeds|fixtures)"])
)


def tracked() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    return [ROOT / n.decode() for n in names if n]


def test_no_file_reaches_outside_the_repository() -> None:
    offenders = []
    for path in tracked():
        if "tests/data/" in path.as_posix() or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        offenders += [f"{path.relative_to(ROOT)}: {m.group()}" for m in OUTSIDE.finditer(text)]
    assert offenders == []


def test_every_package_under_bot_is_in_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "bot").rglob("__init__.py")
    }
    assert found - listed == set()


def test_the_readme_map_names_every_module() -> None:
    readme = (ROOT / "README.md").read_text()
    modules = [
        p.relative_to(ROOT).as_posix()
        for p in tracked()
        if p.suffix == ".py"
        and p.relative_to(ROOT).parts[0] == "bot"
        and p.name not in ("__init__.py", "__main__.py")
    ]
    missing = [m for m in modules if f"`{Path(m).stem}`" not in readme]
    assert missing == []
