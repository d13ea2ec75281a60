"""`.github/beadle.yml` on the default branch: a repository's own settings for Beadle.

```yaml
auto_review: true          # review on open / push; false: only on `/review`
drafts: false              # review draft pull requests too
ignore: ["docs/**", "*.snap"]   # paths left out of the review (glob, ** crosses folders)
model: gpt-4.1-mini        # overrides BEADLE_MODEL for this repository
context_tokens: 64000      # the model's context window, if it differs
critical_fails_check: true # critical findings make the check run fail (false: neutral)
instructions: |            # extra instructions for the reviewer
  We use SQLAlchemy Core, never the ORM.
```

An invalid file never blocks a review: Beadle uses the defaults and says what was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

PATH = ".github/beadle.yml"


class RepoConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    auto_review: bool = True
    drafts: bool = False
    ignore: tuple[str, ...] = ()
    model: str | None = Field(default=None, min_length=1, max_length=100)
    context_tokens: int | None = Field(default=None, ge=8_000, le=10_000_000)
    critical_fails_check: bool = True
    instructions: str | None = Field(default=None, max_length=8_000)


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
