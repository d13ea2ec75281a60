""".beads/config.yaml: where a beads project says its export is, and its sync branch and prefix."""

from __future__ import annotations

import pytest

from bot.beads.beads_config import BeadsConfig, export_file, parse_beads_config


@pytest.mark.parametrize(
    "text",
    [
        "export.path: export.jsonl\n",  # as `bd config set export.path export.jsonl` writes it
        "export:\n  path: export.jsonl\n  auto: true\n",  # nested, as people write YAML
        "export:\n  path: ./export.jsonl\n",
        "export.path: export.jsonl\nexport:\n  path: other.jsonl\n",  # flat wins, as in viper
    ],
)
def test_export_path_flat_or_nested_is_relative_to_the_beads_folder(text: str) -> None:
    assert parse_beads_config(text).export_path == ".beads/export.jsonl"


def test_export_path_in_a_subfolder_of_beads() -> None:
    assert parse_beads_config("export.path: out/all.jsonl").export_path == ".beads/out/all.jsonl"


@pytest.mark.parametrize(
    "text",
    [
        'sync-branch: "beads-sync"\n',  # v0.47 to v0.53
        "sync:\n  branch: beads-sync\n",  # the alias bd normalizes
        "sync.branch: beads-sync\n",
        "sync-branch: refs/heads/beads-sync\n",
    ],
)
def test_sync_branch_in_both_spellings(text: str) -> None:
    assert parse_beads_config(text).sync_branch == "beads-sync"


def test_issue_prefix_and_the_rest_of_a_real_file() -> None:
    text = """# Beads configuration
issue-prefix: "gt"
no-db: false
sync:
  remote: "git+ssh://git@example.invalid/x.git"
export.auto: true
export.git-add: true
"""
    assert parse_beads_config(text) == BeadsConfig(issue_prefix="gt")


@pytest.mark.parametrize("text", [None, "", "   \n", "# only a comment\n"])
def test_an_empty_file_means_the_defaults(text: str | None) -> None:
    assert parse_beads_config(text) == BeadsConfig()


def test_invalid_yaml_is_named_and_the_defaults_apply() -> None:
    config = parse_beads_config("export.path: [unclosed\n")
    assert (config.export_path, config.sync_branch) == (None, None)
    assert config.problem is not None and "not valid YAML at line" in config.problem
    assert parse_beads_config("- a list\n").problem == "it is not a mapping of settings"


@pytest.mark.parametrize(
    "value", ["../issues.jsonl", "/etc/passwd", "~/x.jsonl", "a/../../x", "", "  ", 7, ["x"]]
)
def test_an_export_path_outside_beads_is_not_followed(value: object) -> None:
    assert export_file(value) is None


def test_a_bad_setting_is_a_problem_and_the_good_ones_still_count() -> None:
    config = parse_beads_config("export.path: ../../secrets.jsonl\nsync-branch: 'has space'\n")
    assert config.export_path is None and config.sync_branch is None
    assert config.problem == (
        "`export.path` does not name a file inside `.beads/`; `sync-branch` is not a branch name"
    )
    config = parse_beads_config("export.path: ../x.jsonl\nissue-prefix: bd-\n")
    assert config.issue_prefix == "bd" and config.problem
