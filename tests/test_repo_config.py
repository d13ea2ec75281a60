"""`.github/beadle.yml`: valid settings apply; an invalid file gives defaults and a clear note."""

import pytest

from bot.review.repo_config import RepoConfig, parse_config


def test_absent_or_empty_file_means_defaults():
    for text in (None, "", "  \n", "# only a comment\n"):
        loaded = parse_config(text)
        assert loaded.config == RepoConfig() and loaded.problem is None


def test_valid_settings_apply():
    loaded = parse_config(
        "auto_review: false\ndrafts: true\nignore: ['docs/**']\n"
        "model: small\ncritical_fails_check: false\ninstructions: Be brief.\n"
    )
    c = loaded.config
    assert loaded.problem is None
    assert (c.auto_review, c.drafts, c.ignore, c.model) == (False, True, ("docs/**",), "small")
    assert c.critical_fails_check is False and c.instructions == "Be brief."


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("auto_review: [unclosed", "not valid YAML at line 1"),
        ("- a list\n- of things\n", "mapping of settings"),
        ("auto_reveiw: false\n", "`auto_reveiw`: unknown setting"),
        ("drafts: maybe\n", "`drafts`"),
        ("context_tokens: 12\n", "`context_tokens`"),
    ],
)
def test_invalid_file_gives_defaults_and_names_the_problem(text, says):
    loaded = parse_config(text)
    assert loaded.config == RepoConfig()
    assert ".github/beadle.yml" in loaded.problem and says in loaded.problem
