"""What a stranger can make the webhook spend (bot/intake/limits.py), over real sockets.

Raw sockets where it matters when the answer comes: a refusal that arrives while the client has
sent only headers proves the body was neither waited for nor held. The connection tests run
`beadle serve` itself, in its own process, with its own uvicorn settings. Timings are measured by
bench/attack.py; here only the answers are asserted.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from bot.intake import server
from bot.intake.group_commit import Intake
from bot.intake.limits import Limits, MiB, raise_fd_limit
from bot.intake.web import create_app
from bot.queue.store import Store
from tests.fakes.server import free_port
from tests.fakes.webhooks import sign
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import SECRET, Beadle, wait_for

HOOK = "/api/github/webhooks"
FAKE_SIGNATURE = "sha256=" + "0" * 64  # well formed, so only the body can refute it
UPLOAD = 24 * MiB


def raw_request(*headers: str, path: str = HOOK) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def delivery_headers(*, signature: str | None = FAKE_SIGNATURE, length: int = UPLOAD) -> list[str]:
    headers = ["X-GitHub-Event: ping", f"X-GitHub-Delivery: {uuid.uuid4()}"]
    if signature is not None:
        headers.append(f"X-Hub-Signature-256: {signature}")
    return [*headers, f"Content-Length: {length}"]


def answer(sock: socket.socket, timeout: float = 20) -> bytes:
    """Everything up to the end of the response's headers (or of the connection)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        if not more:
            break
        data += more
    return data


def closed(sock: socket.socket, timeout: float = 20) -> bool:
    """True once the server has closed the connection (EOF or reset)."""
    sock.settimeout(timeout)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return True


def signed_ping(delivery: str | None = None) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
    return body, {
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(body, SECRET),
        "Content-Type": "application/json",
    }


class Guarded:
    """The web app served as `beadle serve` serves it (bot/intake/server.py), in a thread."""

    def __init__(self, app: object, limits: Limits) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = server.config(
            app, host="127.0.0.1", port=self.port, limits=limits, log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> Guarded:
        self._thread.start()
        wait_for(lambda: self._server.started, timeout=10, what="the server")
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'beadle.sqlite3'}") as s:
        yield s


def guarded(store: Store, **limits: float) -> Guarded:
    chosen = Limits(**limits)  # type: ignore[arg-type]
    intake = Intake(store.record_deliveries, deadline=chosen.commit_timeout)
    app = create_app(secret=SECRET, intake=intake, bot_login="beadle[bot]", limits=chosen)
    return Guarded(app, chosen)


# -- before the body --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (delivery_headers(signature=None), b"401"),
        (delivery_headers(signature="sha256=00"), b"401"),  # no HMAC has this shape
        (delivery_headers()[1:], b"400"),  # no X-GitHub-Event
    ],
    ids=["no-signature", "malformed-signature", "no-event"],
)
def test_a_request_github_cannot_have_sent_is_refused_before_its_body(store, headers, status):
    """A 24 MB upload without a signature is answered while not one byte of it has been sent."""
    with guarded(store) as app, app.connect() as sock:
        sock.sendall(raw_request(*headers))
        assert answer(sock).startswith(b"HTTP/1.1 " + status)
    assert store.recent_jobs() == []


def test_bodies_being_read_share_one_budget(store):
    """Bytes are held as they arrive: two uploads that sent 20 MB each hold 40 of the 50 MB
    bodies may hold; a third upload is answered 503 with Retry-After once its bytes would pass
    what large bodies may take, while a small signed delivery still fits in the reserve kept
    for GitHub's usual deliveries. Once the uploads go away, their bytes are free again."""
    chunk = b"x" * (20 * MiB)
    with guarded(store, body_bytes=50 * MiB) as app:
        holders = [app.connect() for _ in range(2)]
        for sock in holders:
            sock.sendall(raw_request(*delivery_headers()) + chunk)
        for _ in range(3):  # let the server take both bodies up
            assert httpx.get(f"{app.url}/healthz", timeout=10).status_code == 200
        with app.connect() as third:
            third.sendall(raw_request(*delivery_headers()) + b"y" * (4 * MiB))
            reply = answer(third)
            assert reply.startswith(b"HTTP/1.1 503")
            assert b"retry-after: 5" in reply.lower()
        body, headers = signed_ping()
        ping = httpx.post(f"{app.url}{HOOK}", content=body, headers=headers, timeout=10)
        assert ping.status_code == 200
        for sock in holders:
            sock.close()

        def taken_again() -> bool:
            with app.connect() as sock:
                sock.sendall(raw_request(*delivery_headers(length=2)) + b"{}")
                return answer(sock).startswith(b"HTTP/1.1 401")  # read, then refuted

        wait_for(taken_again, timeout=10, what="the budget to be given back")


def test_idle_connections_declaring_big_bodies_hold_nothing(store):
    """Three connections declare bodies that add up to the whole budget and send nothing: they
    hold none of it, and a real delivery is taken meanwhile (a declared length is not reserved
    on its word)."""
    with guarded(store, body_bytes=64 * MiB) as app:
        idle = [app.connect() for _ in range(3)]
        for sock, length in zip(idle, (25 * MiB, 25 * MiB, 14 * MiB)):
            sock.sendall(raw_request(*delivery_headers(length=length)))
        for _ in range(3):
            assert httpx.get(f"{app.url}/healthz", timeout=10).status_code == 200
        body, headers = signed_ping()
        ping = httpx.post(f"{app.url}{HOOK}", content=body, headers=headers, timeout=10)
        assert ping.status_code == 200
        for sock in idle:
            sock.close()


def test_a_body_that_does_not_arrive_in_time_is_408_and_its_connection_closed(store):
    with guarded(store, body_timeout=0.5) as app, app.connect() as sock:
        sock.sendall(raw_request(*delivery_headers(length=100)) + b'{"zen":')
        reply = answer(sock)
        assert reply.startswith(b"HTTP/1.1 408")
        assert closed(sock)


@pytest.mark.parametrize("sent", [b"", b"POST /api/github/webhooks HTTP/1.1\r\nHost: 1"])
def test_headers_that_do_not_arrive_in_time_close_the_connection(store, sent):
    with guarded(store, header_timeout=0.5) as app, app.connect() as sock:
        sock.sendall(sent)
        assert answer(sock) == b""  # closed, with nothing said
        health = httpx.get(f"{app.url}/healthz", timeout=10)
        assert health.status_code == 200


def test_a_refused_upload_does_not_keep_its_connection(store):
    """After a refusal uvicorn reads and drops the rest of the body; a client trickling it
    forever is cut off at the next headers' deadline."""
    with guarded(store, header_timeout=0.5) as app, app.connect() as sock:
        sock.sendall(raw_request(*delivery_headers(signature=None)))
        assert answer(sock).startswith(b"HTTP/1.1 401")
        with contextlib.suppress(OSError):
            for _ in range(100):
                sock.sendall(b"z" * 1000)
                time.sleep(0.05)
        assert closed(sock)


# -- the store behind the webhook ---------------------------------------------------------------


@pytest.fixture
def web(env):
    with Beadle(env, with_workers=False) as app:
        yield app


def database_file(app: Beadle) -> str:
    return app.runtime.settings.database_url.get_secret_value().removeprefix("sqlite:///")


def test_healthz_is_503_while_the_store_cannot_take_deliveries_and_200_again_after(web):
    assert httpx.get(f"{web.url}/healthz", timeout=10).status_code == 200
    with sqlite3.connect(database_file(web)) as db:
        db.execute("ALTER TABLE deliveries RENAME TO deliveries_away")
    body, headers = signed_ping()
    refused = httpx.post(f"{web.url}{HOOK}", content=body, headers=headers, timeout=10)
    assert refused.status_code == 503 and "redeliver" in refused.json()["error"]
    health = httpx.get(f"{web.url}/healthz", timeout=10)
    assert health.status_code == 503 and health.text.startswith("not ready: ")
    assert "OperationalError" in health.text and "deliveries" not in health.text
    with sqlite3.connect(database_file(web)) as db:
        db.execute("ALTER TABLE deliveries_away RENAME TO deliveries")
    wait_for(
        lambda: httpx.get(f"{web.url}/healthz", timeout=10).text == "ok",
        timeout=20,
        what="/healthz to say ok again",
    )
    again = httpx.post(f"{web.url}{HOOK}", content=body, headers=headers, timeout=10)
    assert again.status_code == 200 and again.json() == {"status": "ping recorded"}


def test_a_database_locked_past_githubs_window_is_answered_503_in_it(web):
    """A lock held longer than GitHub waits (10 s) gets a 503 inside its window, so the delivery
    counts as failed and `beadle redeliver` brings it back. Nothing is half-recorded: the
    delivery whose commit was already under way is written whole when the lock goes (its
    redelivery is a duplicate), the one still waiting for a batch is not written at all."""
    lock = sqlite3.connect(database_file(web), isolation_level=None, timeout=30)
    lock.execute("BEGIN IMMEDIATE")  # the write lock, as a long migration or backup holds it
    locked_at = time.monotonic()
    try:
        first, second = str(uuid.uuid4()), str(uuid.uuid4())
        answers: dict[str, httpx.Response] = {}

        def post(delivery: str) -> None:
            body, headers = signed_ping(delivery)
            answers[delivery] = httpx.post(
                f"{web.url}{HOOK}", content=body, headers=headers, timeout=9.5
            )

        posts = [threading.Thread(target=post, args=(first,))]
        posts[0].start()
        time.sleep(0.5)  # the first is in the store, waiting for the lock
        posts.append(threading.Thread(target=post, args=(second,)))
        posts[1].start()
        for thread in posts:
            thread.join(timeout=20)
        for delivery in (first, second):
            assert answers[delivery].status_code == 503, answers[delivery].text
            assert answers[delivery].headers["retry-after"] == "5"
        health = httpx.get(f"{web.url}/healthz", timeout=10)
        assert health.status_code == 503 and "commit" in health.text
        time.sleep(max(0.0, 10.5 - (time.monotonic() - locked_at)))  # past GitHub's window
        assert httpx.get(f"{web.url}/healthz", timeout=10).status_code == 503
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    wait_for(
        lambda: web.runtime.store.seen_deliveries([first]),
        timeout=40,
        what="the commit under way to finish",
    )
    for delivery, status in ((first, "duplicate delivery, already recorded"), (second, None)):
        body, headers = signed_ping(delivery)
        redelivered = httpx.post(f"{web.url}{HOOK}", content=body, headers=headers, timeout=10)
        assert redelivered.status_code == 200
        assert redelivered.json()["status"] == (status or "ping recorded")
    assert httpx.get(f"{web.url}/healthz", timeout=10).status_code == 200


# -- `beadle serve` under attack ----------------------------------------------------------------

HALF_OPEN = 1_100


@pytest.fixture(scope="module")
def served(tmp_path_factory, app_key) -> Iterator[tuple[str, Path]]:
    """`beadle serve --no-worker` in its own process; (url, its log file)."""
    soft = raise_fd_limit()
    if soft < HALF_OPEN + 200:
        pytest.skip(f"the open-file limit ({soft}) is below what {HALF_OPEN} connections need")
    tmp = tmp_path_factory.mktemp("served")
    log = tmp / "beadle.log"
    port = free_port()
    env = {
        **os.environ,
        "APP_ID": "1",
        "PRIVATE_KEY": app_key[0],
        "WEBHOOK_SECRET": SECRET,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "GITHUB_API_URL": "http://127.0.0.1:9",
        "BEADLE_BOT_LOGIN": "beadle[bot]",
        "DATABASE_URL": f"sqlite:///{tmp / 'beadle.sqlite3'}",
        "LOG_LEVEL": "INFO",
    }
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"]
            + ["--port", str(port), "--no-worker", "--no-check"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    url = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            assert proc.poll() is None, log.read_text()
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
            return False

        wait_for(up, timeout=60, what="beadle serve")
        yield url, log
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_half_open_connections_shut_out_neither_a_delivery_nor_healthz(served):
    """1,100 connections held open by a stranger: half never finish their headers, half never
    send the body they announce. A signed delivery and /healthz are still answered (how fast:
    bench/attack.py), and dropping them all logs no traceback."""
    url, log = served
    port = int(url.rsplit(":", 1)[1])
    held: list[socket.socket] = []
    try:
        for n in range(HALF_OPEN):
            sock = socket.create_connection(("127.0.0.1", port))
            if n % 2:
                sock.sendall(raw_request(*delivery_headers(length=100)))
            else:
                sock.sendall(b"POST /api/github/webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Git")
            held.append(sock)
        body, headers = signed_ping()
        delivery = httpx.post(f"{url}{HOOK}", content=body, headers=headers, timeout=30)
        assert delivery.status_code == 200 and delivery.json() == {"status": "ping recorded"}
        health = httpx.get(f"{url}/healthz", timeout=30)
        assert health.status_code == 200 and health.text == "ok"
    finally:
        for sock in held:
            sock.close()
    time.sleep(1)
    assert "Traceback" not in log.read_text(errors="replace")


def test_a_client_that_goes_away_mid_body_is_one_log_line(served):
    url, log = served
    port = int(url.rsplit(":", 1)[1])
    headers = delivery_headers(length=1000)
    delivery = headers[1].split(": ", 1)[1]
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(raw_request(*headers) + b'{"zen": "half')

        def taken() -> bool:  # the request reached the handler before the client goes
            return httpx.get(f"{url}/healthz", timeout=10).status_code == 200

        wait_for(taken, timeout=10, what="the server")
        time.sleep(0.2)

    def logged() -> list[str]:
        return [line for line in log.read_text().splitlines() if delivery in line]

    lines = wait_for(logged, timeout=10, what="the log line")
    time.sleep(0.5)
    assert len(logged()) == 1 and "went away" in lines[0], lines
    assert "Traceback" not in log.read_text(errors="replace")


def test_the_open_file_limit_is_raised_to_the_hard_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        pytest.skip("no hard limit on open files to raise to")
    if soft == hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(256, soft // 2), hard))
    assert raise_fd_limit() == resource.getrlimit(resource.RLIMIT_NOFILE)[0] == hard
