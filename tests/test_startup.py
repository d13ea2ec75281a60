"""`beadle serve` and `beadle worker` at start, as a new operator meets them: credentials GitHub
refuses, a database that cannot be reached, GitHub unreachable, PORT and LOG_LEVEL from `.env`,
`beadle jobs` with nothing but DATABASE_URL, the start line, and LOG_FORMAT=json. Each runs the
installed console script against the fake GitHub."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.startup import redact_url, started_line
from tests.fakes.server import free_port
from tests.fakes.webhooks import pull_request_payload
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import REPO, beadle_executable, deliver, run_beadle, wait_for

DB_PASSWORD = "hunter2-LEAK-CANARY-db"


def start(env: dict[str, str], *args: str, cwd: Path) -> subprocess.Popen[str]:
    """The console script in `cwd`, with nothing from this environment but PATH."""
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd)}
    return subprocess.Popen(
        [beadle_executable(), *args],
        env={**base, **env},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def healthy(port: int, proc: subprocess.Popen[str], *, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"beadle exited {proc.returncode}: {proc.stderr.read()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("beadle serve did not come up")


def stopped(proc: subprocess.Popen[str]) -> str:
    """SIGTERM, and everything it wrote to stderr."""
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err


def other_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def dotenv(values: dict[str, str]) -> str:
    return "".join(
        f'{k}="{v}"\n' if "\n" in v else f"{k}={v}\n"
        for k, v in ((k, v.replace("\n", "\\n")) for k, v in values.items())
    )


# -- credentials ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_an_app_id_github_does_not_know_stops_at_start_naming_it(env, github, tmp_path, command):
    done = run_beadle(command, env={**env, "APP_ID": "abc"}, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("beadle: GitHub refused the App's credentials"), line
    assert "APP_ID (abc)" in line and "PRIVATE_KEY" in line
    assert [r.path for r in github.requests] == ["/app"]  # asked once, nothing else


def test_a_key_that_is_not_the_apps_stops_at_start_without_showing_it(env, github, tmp_path):
    key = other_key()
    done = run_beadle("serve", env={**env, "PRIVATE_KEY": key}, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert "GitHub refused the App's credentials" in line and "401" in line
    assert "PRIVATE KEY" not in done.stderr and key.splitlines()[1] not in done.stderr


def test_github_unreachable_stops_at_start_unless_told_not_to_check(env, tmp_path):
    nowhere = {**env, "GITHUB_API_URL": f"http://127.0.0.1:{free_port()}"}
    done = run_beadle("serve", env=nowhere, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("beadle: cannot reach GitHub at GITHUB_API_URL http://127.0.0.1:")
    assert "--no-check" in line

    port = free_port()
    args = ("serve", "--host", "127.0.0.1", "--port", str(port), "--no-check")
    proc = start(nowhere, *args, cwd=tmp_path)
    try:
        healthy(port, proc)
    finally:
        err = stopped(proc)
    assert "not checked (--no-check)" in err


# -- the database --------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["serve", "jobs"])
def test_an_unreachable_database_is_one_line_naming_database_url(env, tmp_path, command):
    url = f"postgresql://beadle:{DB_PASSWORD}@127.0.0.1:{free_port()}/beadle"
    done = run_beadle(command, env={**env, "DATABASE_URL": url}, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("beadle: DATABASE_URL postgresql://beadle:***@127.0.0.1:"), line
    assert "cannot open the database" in line and "Traceback" not in done.stderr
    assert DB_PASSWORD not in done.stdout + done.stderr


def test_a_sqlite_file_that_cannot_be_made_is_one_line_naming_database_url(env, tmp_path):
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'b.sqlite3'}"
    done = run_beadle("serve", env={**env, "DATABASE_URL": url}, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"beadle: DATABASE_URL {url}: cannot open the database: unable to open database file"
    ]


def test_beadle_jobs_needs_only_database_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'b.sqlite3'}"
    done = run_beadle("jobs", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:3] == ["id", "state", "tries"] and done.stderr == ""
    (tmp_path / ".env").write_text(f"DATABASE_URL={url}\n")  # and from .env alone
    again = run_beadle("jobs", env={}, cwd=tmp_path)
    assert again.returncode == 0 and again.stdout == done.stdout, again.stderr


# -- PORT, LOG_LEVEL and .env --------------------------------------------------------------------


def test_a_port_set_only_in_dotenv_is_honoured_by_beadle_serve(env, tmp_path):
    port = free_port()
    (tmp_path / ".env").write_text(dotenv({**env, "PORT": str(port)}))
    proc = start({}, "serve", "--host", "127.0.0.1", cwd=tmp_path)
    try:
        healthy(port, proc)
    finally:
        err = stopped(proc)
    assert f"serving http://127.0.0.1:{port}" in err


def test_a_bad_port_stops_serve_with_one_line_and_help_still_works(env, tmp_path):
    bad = {**env, "PORT": "abc"}
    helped = run_beadle("--help", env=bad, cwd=tmp_path)
    assert helped.returncode == 0 and "serve" in helped.stdout, helped.stderr
    assert run_beadle("serve", "--help", env=bad, cwd=tmp_path).returncode == 0
    done = run_beadle("serve", env=bad, cwd=tmp_path)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("beadle: PORT: ") and "integer" in line, line
    (tmp_path / ".env").write_text("PORT=70000\n")  # from .env too
    done = run_beadle("serve", env=env, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("beadle: PORT: "), done.stderr


def test_log_level_is_read_from_dotenv_too(env, tmp_path):
    (tmp_path / ".env").write_text("LOG_LEVEL=chatty\n")
    done = run_beadle("jobs", env={"DATABASE_URL": env["DATABASE_URL"]}, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "beadle: LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
    ]
    (tmp_path / ".env").write_text("LOG_LEVEL=warning\n")
    port = free_port()
    proc = start(env, "serve", "--host", "127.0.0.1", "--port", str(port), cwd=tmp_path)
    try:
        healthy(port, proc)
    finally:
        err = stopped(proc)
    assert "serving" not in err  # the start line is INFO


# -- what it says --------------------------------------------------------------------------------


def test_serve_says_in_one_line_what_it_runs(env, github, model, tmp_path):
    port = free_port()
    proc = start(env, "serve", "--host", "127.0.0.1", "--port", str(port), cwd=tmp_path)
    try:
        healthy(port, proc)
    finally:
        err = stopped(proc)
    [line] = [x for x in err.splitlines() if "serving" in x]
    assert f"serving http://127.0.0.1:{port}; 2 workers; database {env['DATABASE_URL']}" in line
    assert f"GitHub {github.base_url} (App 1, beadle)" in line
    assert f"model fake-model at {model.base_url}" in line
    assert f"metrics at http://127.0.0.1:{port}/metrics" in line


def test_the_start_line_never_shows_a_password():
    line = started_line(
        role="worker",
        version="1.0",
        workers=1,
        database_url=f"postgresql://beadle:{DB_PASSWORD}@db:5432/beadle",
        github_url="https://api.github.com",
        app="App 7, beadle",
        model="gpt-4.1",
        model_url="https://user:sk-secret@llm.internal/v1",
        metrics=None,
    )
    assert DB_PASSWORD not in line and "sk-secret" not in line
    assert "database postgresql://beadle:***@db:5432/beadle" in line
    assert "model gpt-4.1 at https://user:***@llm.internal/v1" in line
    assert "1 worker;" in line and "no metrics server" in line
    assert redact_url("sqlite:///beadle.sqlite3") == "sqlite:///beadle.sqlite3"


def test_log_format_json_gives_one_object_a_line_with_the_delivery_and_job(
    env, github, git, tmp_path
):
    port = free_port()
    args = ("serve", "--host", "127.0.0.1", "--port", str(port))
    proc = start({**env, "LOG_FORMAT": "json"}, *args, cwd=tmp_path)
    try:
        healthy(port, proc)
        number = github.open_pull(REPO, title="Validate widget sizes", head="feature")
        payload = pull_request_payload(github, REPO, number, "opened")
        delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
        answer = deliver(f"http://127.0.0.1:{port}", "pull_request", payload, delivery=delivery)
        assert answer.status_code == 202
        wait_for(lambda: github.reviews(REPO, number), what="a review")
        time.sleep(0.5)  # the job's last line is written after the review is posted
    finally:
        err = stopped(proc)
    lines = [json.loads(line) for line in err.splitlines()]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    [started] = [x for x in lines if "serving" in x["message"]]
    assert started["level"] == "INFO" and started["logger"] == "beadle"
    [received] = [x for x in lines if x.get("delivery_id") == delivery]
    assert "pull_request" in received["message"]
    jobs = [x for x in lines if "job_id" in x]
    assert jobs and {x["job_id"] for x in jobs} == {1}  # the first job of a fresh database
    assert any("posted" in x["message"] for x in jobs)


# -- the documentation of the settings ------------------------------------------------------------


def test_env_example_and_the_readme_name_every_setting():
    from bot import settings

    root = Path(__file__).resolve().parent.parent
    example = (root / ".env.example").read_text()
    readme = (root / "README.md").read_text()
    table = readme[readme.index("### Settings") : readme.index("### Start-up")]
    classes = [getattr(settings, n) for n in dir(settings) if n.endswith("Settings")]
    names = {
        str(field.validation_alias)
        for cls in classes
        if isinstance(cls, type) and hasattr(cls, "model_fields")
        for field in cls.model_fields.values()
    }
    assert {"APP_ID", "PORT", "LOG_LEVEL", "LOG_FORMAT", "BEADLE_METRICS_TOKEN"} <= names
    for name in names | {"GITHUB_URL"}:  # GITHUB_URL: read by `beadle setup` itself
        assert f"\n{name}=" in example or f"\n# {name}=" in example, f"{name} not in .env.example"
        assert f"`{name}`" in table, f"{name} not in the README's settings table"


def test_a_password_in_the_query_string_is_redacted_too() -> None:
    url = "postgresql://beadle@db:5432/beadle?password=hunter2&sslpassword=x&application_name=b"
    shown = redact_url(url)
    assert "hunter2" not in shown and "sslpassword=***" in shown and "application_name=b" in shown
    assert (
        redact_url("postgresql://u:pw@db/b?sslmode=require")
        == "postgresql://u:***@db/b?sslmode=require"
    )
