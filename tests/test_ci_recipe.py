"""The GitHub Actions recipe (examples/github-actions/beadle-review.yml, printed in the README)
parses, does what the README says it does, and names only commands and flags `beadle` has."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from bot.cli import parser

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "examples" / "github-actions" / "beadle-review.yml"
# what the expressions stand for on a pull_request event
EXPRESSIONS = {"github.repository": "octo/widgets", "github.event.number": "7"}


def workflow() -> dict:
    return yaml.safe_load(RECIPE.read_text())


def run_lines() -> list[str]:
    lines = []
    for job in workflow()["jobs"].values():
        for step in job["steps"]:
            lines += [line.strip() for line in step.get("run", "").splitlines() if line.strip()]
    return lines


def expand(line: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match[1].strip()
        assert name in EXPRESSIONS, f"an expression the test does not know: {name}"
        return EXPRESSIONS[name]

    return re.sub(r"\$\{\{(.*?)\}\}", value, line)


def test_the_recipe_parses_as_a_pull_request_workflow():
    flow = workflow()
    on = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "synchronize" in on["pull_request"]["types"]
    assert flow["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "checks": "write",
    }
    [job] = flow["jobs"].values()
    review = job["steps"][-1]
    assert review["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    assert review["env"]["OPENAI_API_KEY"] == "${{ secrets.OPENAI_API_KEY }}"


def test_it_installs_beadle_and_bd_and_fetches_the_dolt_data():
    lines = run_lines()
    assert any(line.startswith("python -m pip install") for line in lines)
    assert any(line.startswith("npm install -g @beads/bd") for line in lines)
    assert any(line.startswith("git fetch origin refs/dolt/data:refs/dolt/data") for line in lines)


def test_every_beadle_command_and_flag_exists():
    commands = [shlex.split(expand(line)) for line in run_lines() if line.startswith("beadle ")]
    assert commands == [["beadle", "review", "octo/widgets#7", "--post"]]
    for argv in commands:
        try:
            args = parser().parse_args(argv[1:])
        except SystemExit as exc:  # argparse's answer to an unknown command or flag
            pytest.fail(f"`{' '.join(argv)}` is not a beadle command line (exit {exc.code})")
        assert args.target == "octo/widgets#7" and args.post


def test_the_readme_prints_the_same_recipe():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", readme, re.S)
    assert RECIPE.read_text() in blocks
