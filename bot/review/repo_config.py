"""`.github/beadle.yml` on the default branch: a repository's own settings for Beadle.

```yaml
auto_review: true          # review on open / push; false: only on `/review`
drafts: false              # review draft pull requests too
ignore: ["docs/**", "*.snap"]   # paths left out of the review (glob, ** crosses folders)
model: gpt-4.1-mini        # overrides BEADLE_MODEL for this repository
context_tokens: 64000      # the model's context window, if it differs
critical_fails_check: true # critical findings make the check run fail (false: neutral)
max_reviews_per_hour: 12   # reviews of one pull request an hour; past it, one note, no model call
instructions: |            # extra instructions for the reviewer
  We use SQLAlchemy Core, never the ORM.
beads:                     # where the beads issues are (bot/beads/sources/plan.py)
  source: auto             # auto | jsonl | dolt | none
  path: .beads/issues.jsonl  # a JSONL file in the repository, tried first
  ref: beads-sync          # the branch to read it from (default: the pull request's head)
prices:                    # US dollars per million tokens, for a model Beadle has no price for
  my-finetune: {input: 3.0, cached_input: 1.5, output: 12.0}
```

An invalid file never blocks a review: Beadle uses the defaults and says what was wrong.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.beads.sources import SourceSettings
from bot.model.prices import Price

PATH = ".github/beadle.yml"
MAX_PRICES = 50  # models one repository may price
MAX_REVIEWS_PER_HOUR = 12  # the default of `max_reviews_per_hour`


class BeadsSettings(BaseModel):
    """`beads:`: where this repository keeps its issues, when Beadle should not look everywhere."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Literal["auto", "jsonl", "dolt", "none"] = "auto"
    path: str | None = Field(default=None, min_length=1, max_length=500)
    ref: str | None = Field(default=None, min_length=1, max_length=250)

    @field_validator("path")
    @classmethod
    def _inside(cls, value: str | None) -> str | None:
        if value is None:
            return None
        clean = posixpath.normpath(value.strip().removeprefix("./"))
        if clean.startswith(("/", "../")) or clean in (".", "..") or "\\" in value:
            raise ValueError("must be a file path inside the repository")
        return clean

    @field_validator("ref")
    @classmethod
    def _branch(cls, value: str | None) -> str | None:
        if value is None:
            return None
        name = value.strip().removeprefix("refs/heads/")
        if not name or ".." in name or any(c.isspace() or c in "~^:?*[\\" for c in name):
            raise ValueError("must be a branch name")
        return name

    def settings(self) -> SourceSettings:
        return SourceSettings(self.source, self.path, self.ref)


class RepoConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    auto_review: bool = True
    drafts: bool = False
    ignore: tuple[str, ...] = ()
    model: str | None = Field(default=None, min_length=1, max_length=100)
    context_tokens: int | None = Field(default=None, ge=8_000, le=10_000_000)
    critical_fails_check: bool = True
    # Reviews of one pull request in the last hour before Beadle stops reviewing it (and says
    # so once): a bound on what a burst of pushes or `/review` comments can cost.
    max_reviews_per_hour: int = Field(default=MAX_REVIEWS_PER_HOUR, ge=1, le=1_000)
    instructions: str | None = Field(default=None, max_length=8_000)
    beads: BeadsSettings = BeadsSettings()
    # The footer's cost for models the operator's table (bot/model/prices.py, BEADLE_PRICES)
    # does not know; a model it knows keeps the operator's price.
    prices: dict[str, Price] = Field(default_factory=dict, max_length=MAX_PRICES)


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    config: RepoConfig
    problem: str | None = None  # shown on the PR when the file could not be used


def parse_config(text: str | None) -> LoadedConfig:
    if text is None or not text.strip():
        return LoadedConfig(RepoConfig())
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}" if where is not None else ""
        return _invalid(f"it is not valid YAML{at}")
    if data is None:
        return LoadedConfig(RepoConfig())
    if not isinstance(data, dict):
        return _invalid("it must be a mapping of settings (`key: value` lines)")
    try:
        return LoadedConfig(RepoConfig.model_validate(data))
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False, include_input=False):
            key = ".".join(str(part) for part in err["loc"]) or "(file)"
            message = "unknown setting" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"`{key}`: {message}")
        return _invalid("; ".join(problems))


def _invalid(problem: str) -> LoadedConfig:
    return LoadedConfig(
        RepoConfig(), f"`{PATH}` was ignored and the defaults used, because {problem}."
    )
