"""Settings: what a missing or wrong one says, that secrets never show, `.env`, and the CLI's
first seconds (`beadle serve` with nothing set, `beadle --help`)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from bot.github.app import GitHubApp
from bot.settings import SettingsError, load_settings
from tests.harness import app_key, run_beadle  # noqa: F401  (app_key: a fixture)

REQUIRED = ("APP_ID", "WEBHOOK_SECRET", "OPENAI_API_KEY")
ALL_VARIABLES = (
    "APP_ID",
    "PRIVATE_KEY",
    "PRIVATE_KEY_PATH",
    "WEBHOOK_SECRET",
    "GITHUB_API_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "BEADLE_MODEL",
    "DATABASE_URL",
    "PORT",
    "LOG_LEVEL",
    "BEADLE_WORKERS",
    "BEADLE_MAX_ATTEMPTS",
    "BEADLE_CONTEXT_TOKENS",
    "BEADLE_ANSWER_TOKENS",
    "BEADLE_MODEL_TIMEOUT",
    "BEADLE_REDELIVER_EVERY",
    "BEADLE_LEASE_SECONDS",
    "BEADLE_MODEL_RETRIES",
    "BEADLE_RETRY_BASE",
    "BEADLE_POLL_INTERVAL",
    "BEADLE_BOT_LOGIN",
)
# Distinctive values, so a leak anywhere is found by a plain substring search.
WEBHOOK_SECRET = "whsec-LEAK-CANARY-1f9e"
OPENAI_KEY = "sk-LEAK-CANARY-77aa"
DB_PASSWORD = "hunter2-LEAK-CANARY-db"
DATABASE_URL = f"postgresql://beadle:{DB_PASSWORD}@db.example.internal:5432/beadle"
FAKE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvLEAK-CANARY-KEY-MATERIAL\n-----END PRIVATE KEY-----\n"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No Beadle variable from the developer's shell, and a working directory without `.env`."""
    for name in ALL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def set_all(monkeypatch, **override: str) -> None:
    values = {
        "APP_ID": "12345",
        "PRIVATE_KEY": FAKE_KEY,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "OPENAI_API_KEY": OPENAI_KEY,
        "DATABASE_URL": DATABASE_URL,
    }
    values.update(override)
    for name, value in values.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


def assert_no_secret(text: str) -> None:
    for secret in (WEBHOOK_SECRET, OPENAI_KEY, DB_PASSWORD, "LEAK-CANARY"):
        assert secret not in text, f"{secret!r} leaked into: {text!r}"


# -- missing settings ----------------------------------------------------------------------------


@pytest.mark.parametrize("missing", REQUIRED)
def test_a_missing_required_setting_is_named_on_one_line(clean_env, missing):
    set_all(clean_env, **{missing: None})
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message == f"missing required setting {missing}"
    assert "\n" not in message
    assert_no_secret(message)


def test_no_private_key_names_both_ways_to_give_one(clean_env):
    set_all(clean_env, PRIVATE_KEY=None)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "PRIVATE_KEY or PRIVATE_KEY_PATH" in message and "\n" not in message
    assert_no_secret(message)


def test_several_missing_settings_are_named_on_one_line(clean_env):
    set_all(clean_env, APP_ID=None, OPENAI_API_KEY=None)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "APP_ID" in message and "OPENAI_API_KEY" in message and "\n" not in message
    assert "WEBHOOK_SECRET" not in message


def test_with_nothing_set_every_missing_setting_is_named(clean_env):
    """All four are missing, so all four should be named at once; otherwise the operator fixes
    three, starts again, and only then hears about the private key."""
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    for name in (*REQUIRED, "PRIVATE_KEY"):
        assert name in message, f"{name} not named in {message!r}"


@pytest.mark.parametrize("empty", REQUIRED)
def test_an_empty_required_setting_counts_as_missing(clean_env, empty):
    """`WEBHOOK_SECRET=` (a blank line in .env, or `${VAR}` of an unset variable in compose) is
    not a secret: starting anyway means every delivery is refused with 401 at run time."""
    set_all(clean_env, **{empty: ""})
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert empty in str(caught.value)


def test_a_wrong_value_is_named_without_echoing_it(clean_env):
    set_all(
        clean_env,
        BEADLE_WORKERS="sk-LEAK-CANARY-pasted-in-the-wrong-place",
        BEADLE_MODEL_TIMEOUT="-1",
    )
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "BEADLE_WORKERS" in message and "BEADLE_MODEL_TIMEOUT" in message
    assert "\n" not in message
    assert_no_secret(message)


# -- secrets never shown -------------------------------------------------------------------------


def test_secrets_never_appear_in_repr_str_or_dumps(clean_env):
    set_all(clean_env)
    settings = load_settings()
    assert settings.webhook_secret.get_secret_value() == WEBHOOK_SECRET  # they are all there
    assert settings.database_url.get_secret_value() == DATABASE_URL
    for text in (
        repr(settings),
        str(settings),
        f"{settings}",
        f"{settings!r}",
        repr(settings.model_dump()),
        settings.model_dump_json(),
        repr(settings.database_url),
        str(settings.private_key),
    ):
        assert_no_secret(text)
    assert "db.example.internal" not in repr(settings)  # the whole URL is hidden


def test_secrets_never_appear_in_a_settings_error(clean_env):
    set_all(clean_env, APP_ID=None, BEADLE_MAX_ATTEMPTS="many")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert_no_secret(str(caught.value))
    assert_no_secret(repr(caught.value))
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


# -- the private key -----------------------------------------------------------------------------


def test_private_key_with_literal_newline_escapes_becomes_a_pem(clean_env, app_key):  # noqa: F811
    pem = app_key[0]
    escaped = pem.replace("\n", "\\n")
    assert "\n" not in escaped
    set_all(clean_env, PRIVATE_KEY=escaped)
    settings = load_settings()
    assert settings.private_key_pem() == pem
    load_pem_private_key(settings.private_key_pem().encode(), password=None)
    GitHubApp(
        app_id=settings.app_id,
        private_key_pem=settings.private_key_pem(),
        base_url="http://127.0.0.1:9",
    )  # the App accepts it


def test_private_key_with_real_newlines_is_kept(clean_env, app_key):  # noqa: F811
    set_all(clean_env, PRIVATE_KEY=app_key[0])
    assert load_settings().private_key_pem() == app_key[0]


def test_private_key_path_is_read(clean_env, tmp_path, app_key):  # noqa: F811
    path = tmp_path / "app.pem"
    path.write_text(app_key[0])
    set_all(clean_env, PRIVATE_KEY=None, PRIVATE_KEY_PATH=str(path))
    assert load_settings().private_key_pem() == app_key[0]


@pytest.mark.parametrize("where", ["nowhere.pem", "a-directory"])
def test_private_key_path_pointing_nowhere_is_a_clear_error(clean_env, tmp_path, where):
    path = tmp_path / where
    if where == "a-directory":
        path.mkdir()
    set_all(clean_env, PRIVATE_KEY=None, PRIVATE_KEY_PATH=str(path))
    settings = load_settings()
    with pytest.raises(SettingsError) as caught:
        settings.private_key_pem()
    message = str(caught.value)
    assert message.startswith("PRIVATE_KEY_PATH: cannot read ") and str(path) in message
    assert ("No such file" in message) if where == "nowhere.pem" else ("directory" in message)
    assert "\n" not in message


# -- .env ----------------------------------------------------------------------------------------


def test_a_dotenv_file_in_the_working_directory_is_read(clean_env, tmp_path, app_key):  # noqa: F811
    escaped = app_key[0].replace("\n", "\\n")
    (tmp_path / ".env").write_text(
        "# Beadle\n"
        "APP_ID=4242\n"
        f'PRIVATE_KEY="{escaped}"\n'
        f"WEBHOOK_SECRET={WEBHOOK_SECRET}\n"
        f"OPENAI_API_KEY='{OPENAI_KEY}'\n"
        "BEADLE_WORKERS=7\n"
        "BEADLE_MODEL=my-model\n"
        "UNRELATED_SETTING=ignored\n"
    )
    settings = load_settings()
    assert settings.app_id == "4242" and settings.workers == 7 and settings.model == "my-model"
    assert settings.webhook_secret.get_secret_value() == WEBHOOK_SECRET
    assert settings.openai_api_key.get_secret_value() == OPENAI_KEY
    assert settings.private_key_pem() == app_key[0]
    # the environment wins over .env
    clean_env.setenv("BEADLE_WORKERS", "3")
    assert load_settings().workers == 3


def test_a_dotenv_file_elsewhere_is_not_read(clean_env, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".env").write_text("APP_ID=1\n")
    work = tmp_path / "work"
    work.mkdir()
    clean_env.chdir(work)
    with pytest.raises(SettingsError, match="APP_ID"):
        load_settings()


def test_settings_read_the_environment_case_sensitively(clean_env):
    set_all(clean_env, APP_ID=None)
    clean_env.setenv("app_id", "1")
    with pytest.raises(SettingsError, match="APP_ID"):
        load_settings()


# -- the console script --------------------------------------------------------------------------


def test_beadle_serve_with_an_empty_environment_says_what_is_missing(tmp_path):
    done = run_beadle("serve", env={}, cwd=tmp_path)
    assert done.returncode != 0
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert lines[0].startswith("beadle: missing required setting APP_ID")


@pytest.mark.parametrize("missing", [*REQUIRED, "PRIVATE_KEY"])
def test_beadle_serve_names_the_one_missing_variable(tmp_path, missing):
    env = {
        "APP_ID": "1",
        "PRIVATE_KEY": FAKE_KEY,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "OPENAI_API_KEY": OPENAI_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'b.sqlite3'}",
    }
    del env[missing]
    done = run_beadle("serve", "--port", "1", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "beadle: set PRIVATE_KEY or PRIVATE_KEY_PATH"
        if missing == "PRIVATE_KEY"
        else f"beadle: missing required setting {missing}"
    ], done.stderr
    assert_no_secret(done.stderr)


@pytest.mark.parametrize("empty", REQUIRED)
def test_beadle_with_an_empty_required_variable_says_so_on_one_line(tmp_path, app_key, empty):  # noqa: F811
    """Today an empty APP_ID or OPENAI_API_KEY ends in a library's traceback (PyGithub's
    `app_id must not be empty`, openai's `Missing credentials`), and an empty WEBHOOK_SECRET
    starts a server that refuses every delivery."""
    env = {
        "APP_ID": "1",
        "PRIVATE_KEY": app_key[0],
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "OPENAI_API_KEY": OPENAI_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'b.sqlite3'}",
        empty: "",
    }
    done = run_beadle("redeliver", env=env, cwd=tmp_path)  # a command that needs the App
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and empty in lines[0], done.stderr


def test_beadle_with_a_private_key_path_pointing_nowhere_says_so(tmp_path):
    env = {
        "APP_ID": "1",
        "PRIVATE_KEY_PATH": str(tmp_path / "gone.pem"),
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "OPENAI_API_KEY": OPENAI_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'b.sqlite3'}",
    }
    done = run_beadle("redeliver", env=env, cwd=tmp_path)  # a command that needs the App
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"beadle: PRIVATE_KEY_PATH: cannot read {tmp_path / 'gone.pem'}: No such file or directory"
    ]


def test_beadle_with_a_broken_private_key_says_so_without_showing_it(tmp_path):
    env = {
        "APP_ID": "1",
        "PRIVATE_KEY": FAKE_KEY,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "OPENAI_API_KEY": OPENAI_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'b.sqlite3'}",
    }
    done = run_beadle("redeliver", env=env, cwd=tmp_path)  # a command that needs the App
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "beadle: the App's private key is not a valid unencrypted PEM key"
    ]
    assert_no_secret(done.stderr)


def test_beadle_never_prints_the_database_password(tmp_path, app_key):  # noqa: F811
    """An unreachable database stops `beadle jobs`; whatever it prints, has no password in it."""
    env = {
        "APP_ID": "1",
        "PRIVATE_KEY": app_key[0],
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "OPENAI_API_KEY": OPENAI_KEY,
        "DATABASE_URL": f"postgresql://beadle:{DB_PASSWORD}@127.0.0.1:1/beadle",
    }
    done = run_beadle("jobs", env=env, cwd=tmp_path)
    assert done.returncode != 0
    assert_no_secret(done.stdout + done.stderr)


def test_beadle_reads_a_dotenv_file_in_its_working_directory(tmp_path, app_key):  # noqa: F811
    escaped = app_key[0].replace("\n", "\\n")
    (tmp_path / ".env").write_text(
        f'APP_ID=1\nPRIVATE_KEY="{escaped}"\nWEBHOOK_SECRET={WEBHOOK_SECRET}\n'
        f"OPENAI_API_KEY={OPENAI_KEY}\nDATABASE_URL=sqlite:///{tmp_path / 'b.sqlite3'}\n"
    )
    done = run_beadle("jobs", env={}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:2] == ["id", "state"]


def test_beadle_help_works_without_any_settings(tmp_path):
    done = run_beadle("--help", env={}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for command in ("serve", "worker", "jobs", "redeliver"):
        assert command in done.stdout
    assert done.stderr == ""
    serve = run_beadle("serve", "--help", env={}, cwd=tmp_path)
    assert serve.returncode == 0 and "--port" in serve.stdout and "--no-worker" in serve.stdout
    again = run_beadle("redeliver", "--help", env={}, cwd=tmp_path)
    assert again.returncode == 0 and "--since" in again.stdout


def test_beadle_without_a_command_shows_usage(tmp_path):
    done = run_beadle(env={}, cwd=tmp_path)
    assert done.returncode == 2 and "usage: beadle" in done.stderr
    assert "Traceback" not in done.stderr
