"""The real ASGI app over HTTP (uvicorn on loopback): what each kind of delivery is answered.

GitHub reads only the status: 2xx is delivered, anything else is shown as a failed delivery that
`beadle redeliver` may ask for again. So refusals must be 4xx (never 5xx) and must record nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import uuid

import httpx
import pytest

from bot.intake.webhook import MAX_PAYLOAD_BYTES
from tests.fakes import github_shapes as shapes
from tests.fakes.github_routes_app import installation_json
from tests.fakes.openapi import check_webhook
from tests.fakes.webhooks import (
    _repository,
    issue_comment_payload,
    ping_payload,
    pull_request_payload,
    sign,
)
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import REPO, SECRET, Beadle, deliver

HOOK = "/api/github/webhooks"
MiB = 1024 * 1024


@pytest.fixture
def web(env):
    """The app without workers: deliveries are recorded and queued, nothing is reviewed."""
    with Beadle(env, with_workers=False) as app:
        yield app


def installation_payload(gh, *, action: str = "created") -> dict:
    repo = gh.repo(REPO)
    payload = {
        "action": action,
        "installation": installation_json(gh, repo.installation_id),
        "repositories": [
            {
                "id": repo.id,
                "node_id": shapes.node_id("Repository", repo.id),
                "name": REPO.split("/")[1],
                "full_name": REPO,
                "private": repo.private,
            }
        ],
        "requester": None,
        "sender": shapes.user(gh.base_url, "alice"),
    }
    assert check_webhook("installation", action, payload) == []
    return payload


def star_payload(gh) -> dict:
    payload = {
        "action": "created",
        "starred_at": shapes.now_iso(),
        "repository": _repository(gh, REPO),
        "sender": shapes.user(gh.base_url, "alice"),
    }
    assert check_webhook("star", "created", payload) == []
    return payload


def opened_payload(gh) -> dict:
    number = gh.open_pull(REPO, title="Validate widget sizes (bd-a3f8)", head="feature")
    payload = pull_request_payload(gh, REPO, number, "opened")
    assert check_webhook("pull_request", "opened", payload) == []
    return payload


def post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{url}{HOOK}", content=body, headers=headers, timeout=30)


def signed_headers(
    event: str, body: bytes, *, delivery: str | None = None, secret: str = SECRET
) -> dict[str, str]:
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(body, secret),
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/test",
    }


def recorded(app: Beadle, delivery: str) -> bool:
    return delivery in app.runtime.store.seen_deliveries([delivery])


def assert_still_serving(app: Beadle) -> None:
    health = httpx.get(f"{app.url}/healthz", timeout=10)
    assert health.status_code == 200 and health.text == "ok"
    body = json.dumps({"zen": "still here"}).encode()
    assert post(app.url, body, signed_headers("ping", body)).status_code == 200


# -- refusals ------------------------------------------------------------------------------------


def test_bad_signature_is_401_and_nothing_is_recorded(web, github):
    payload = opened_payload(github)
    body = json.dumps(payload).encode()
    delivery = str(uuid.uuid4())
    response = post(
        web.url,
        body,
        signed_headers("pull_request", body, delivery=delivery, secret="not the secret"),
    )
    assert response.status_code == 401
    assert "signature" in response.json()["error"]
    assert not recorded(web, delivery)
    assert web.runtime.store.recent_jobs() == []
    # a body changed after signing is refused the same way
    tampered = signed_headers("pull_request", body, delivery=delivery)
    response = post(web.url, body.replace(b'"opened"', b'"reopened"'), tampered)
    assert response.status_code == 401
    assert not recorded(web, delivery) and web.runtime.store.recent_jobs() == []
    # the refused id was not burnt: the genuine delivery with it is still taken
    response = post(web.url, body, signed_headers("pull_request", body, delivery=delivery))
    assert response.status_code == 202 and recorded(web, delivery)


@pytest.mark.parametrize("signature", [None, "", "sha256=", "sha1=0123456789abcdef"])
def test_missing_or_empty_signature_is_401(web, github, signature):
    body = json.dumps(ping_payload(github)).encode()
    delivery = str(uuid.uuid4())
    headers = signed_headers("ping", body, delivery=delivery)
    del headers["X-Hub-Signature-256"]
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    response = post(web.url, body, headers)
    assert response.status_code == 401
    assert not recorded(web, delivery)


@pytest.mark.parametrize(
    "body", [b"{not json", b"", b"\xff\xfe{}", b'{"a": 1', b"[]", b'"ping"', b"null", b"42"]
)
def test_malformed_or_non_object_json_is_400(web, body):
    delivery = str(uuid.uuid4())
    response = post(web.url, body, signed_headers("ping", body, delivery=delivery))
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]
    assert not recorded(web, delivery)


@pytest.mark.parametrize("missing", ["X-GitHub-Event", "X-GitHub-Delivery"])
def test_missing_event_or_delivery_header_is_400(web, github, missing):
    body = json.dumps(ping_payload(github)).encode()
    headers = signed_headers("ping", body)
    delivery = headers["X-GitHub-Delivery"]
    del headers[missing]
    response = post(web.url, body, headers)
    assert response.status_code == 400
    assert missing in response.json()["error"]
    assert not recorded(web, delivery)


def test_an_overlong_delivery_id_is_400(web):
    body = b"{}"
    response = post(web.url, body, signed_headers("ping", body, delivery="d" * 101))
    assert response.status_code == 400


# -- bodies over GitHub's 25 MB cap --------------------------------------------------------------


def test_body_over_25mb_with_content_length_is_413(web):
    body = b'{"zen":"' + b"z" * (MAX_PAYLOAD_BYTES) + b'"}'
    delivery = str(uuid.uuid4())
    response = post(web.url, body, signed_headers("ping", body, delivery=delivery))
    assert response.status_code == 413
    assert response.request.headers["content-length"] == str(len(body))
    assert not recorded(web, delivery)
    assert_still_serving(web)


def test_body_of_exactly_25mb_is_not_refused_for_its_size(web):
    body = b'{"zen":"' + b"z" * (MAX_PAYLOAD_BYTES - 10) + b'"}'
    assert len(body) == MAX_PAYLOAD_BYTES
    assert post(web.url, body, signed_headers("ping", body)).status_code == 200


def test_chunked_body_over_25mb_is_413(web):
    """No Content-Length: the server counts while it reads and stops at the cap."""
    chunk = b"z" * MiB
    chunks = 40  # 40 MiB, well over the cap
    head, tail = b'{"zen":"', b'"}'
    mac = hmac.new(SECRET.encode(), head, hashlib.sha256)
    for _ in range(chunks):
        mac.update(chunk)
    mac.update(tail)
    delivery = str(uuid.uuid4())
    headers = signed_headers("ping", b"", delivery=delivery)
    headers["X-Hub-Signature-256"] = "sha256=" + mac.hexdigest()  # a genuine, signed giant
    sent = 0

    async def body():
        nonlocal sent
        yield head
        for _ in range(chunks):
            sent += len(chunk)
            yield chunk
        yield tail

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(timeout=60) as client:
            return await client.post(f"{web.url}{HOOK}", content=body(), headers=headers)

    response = asyncio.run(send())
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413
    assert not recorded(web, delivery)
    assert_still_serving(web)


def _raw_request(headers: list[str]) -> bytes:
    return (
        "\r\n".join([f"POST {HOOK} HTTP/1.1", "Host: 127.0.0.1", *headers]) + "\r\n\r\n"
    ).encode()


def _status_line(sock: socket.socket) -> bytes:
    sock.settimeout(20)
    data = b""
    while b"\r\n" not in data:
        more = sock.recv(4096)
        if not more:
            break
        data += more
    return data.split(b"\r\n", 1)[0]


def test_declared_oversize_is_answered_413_before_the_body_is_sent(web):
    """A Content-Length over the cap is refused on the headers alone: the client has sent none
    of the body when the 413 arrives, so nothing was waited for or buffered."""
    with socket.create_connection(("127.0.0.1", web.server.port)) as sock:
        sock.sendall(
            _raw_request(
                [
                    "X-GitHub-Event: ping",
                    f"X-GitHub-Delivery: {uuid.uuid4()}",
                    f"X-Hub-Signature-256: sha256={'0' * 64}",
                    f"Content-Length: {MAX_PAYLOAD_BYTES + 1}",
                ]
            )
        )
        assert _status_line(sock).startswith(b"HTTP/1.1 413")
    assert_still_serving(web)


def test_chunked_oversize_is_answered_413_before_the_body_ends(web):
    """A chunked body is refused as soon as it passes the cap: the 413 arrives while the client
    has not finished the body (no terminating chunk sent), so the server never holds more than
    the cap, however long the client would go on."""
    with socket.create_connection(("127.0.0.1", web.server.port)) as sock:
        sock.sendall(
            _raw_request(
                [
                    "X-GitHub-Event: ping",
                    f"X-GitHub-Delivery: {uuid.uuid4()}",
                    f"X-Hub-Signature-256: sha256={'0' * 64}",
                    "Transfer-Encoding: chunked",
                ]
            )
        )
        chunk = b"z" * MiB
        framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        for _ in range(MAX_PAYLOAD_BYTES // MiB + 1):
            sock.sendall(framed)
        # no "0\r\n\r\n": the body has not ended
        assert _status_line(sock).startswith(b"HTTP/1.1 413")
    assert_still_serving(web)


# -- accepted deliveries -------------------------------------------------------------------------


def test_ping_is_200(web, github):
    payload = ping_payload(github)
    assert check_webhook("ping", None, payload) == []
    delivery = str(uuid.uuid4())
    response = deliver(web.url, "ping", payload, delivery=delivery)
    assert response.status_code == 200
    assert response.json() == {"status": "ping recorded"}
    assert recorded(web, delivery)
    assert web.runtime.store.recent_jobs() == []


@pytest.mark.parametrize("action", ["created", "deleted"])
def test_installation_is_200(web, github, action):
    delivery = str(uuid.uuid4())
    response = deliver(
        web.url, "installation", installation_payload(github, action=action), delivery=delivery
    )
    assert response.status_code == 200
    assert response.json() == {"status": "installation recorded"}
    assert recorded(web, delivery)
    assert web.runtime.store.recent_jobs() == []


def test_an_unhandled_event_is_202(web, github):
    delivery = str(uuid.uuid4())
    response = deliver(web.url, "star", star_payload(github), delivery=delivery)
    assert response.status_code == 202
    assert "not handled" in response.json()["status"]
    assert "job" not in response.json()
    assert web.runtime.store.recent_jobs() == []


def test_healthz_is_200(web):
    response = httpx.get(f"{web.url}/healthz", timeout=10)
    assert response.status_code == 200 and response.text == "ok"


def test_only_post_reaches_the_webhook(web):
    assert httpx.get(f"{web.url}{HOOK}", timeout=10).status_code == 405
    assert httpx.post(f"{web.url}/elsewhere", content=b"{}", timeout=10).status_code == 404


def test_the_same_delivery_twice_is_a_200_duplicate(web, github):
    payload = opened_payload(github)
    delivery = str(uuid.uuid4())
    first = deliver(web.url, "pull_request", payload, delivery=delivery)
    assert first.status_code == 202
    second = deliver(web.url, "pull_request", payload, delivery=delivery)
    assert second.status_code == 200
    assert "duplicate" in second.json()["status"]
    assert "job" not in second.json()
    [job] = web.runtime.store.recent_jobs()
    assert job.id == first.json()["job"]


def test_pull_request_opened_is_202_with_a_job(web, github, git):
    payload = opened_payload(github)
    number = payload["number"]
    response = deliver(web.url, "pull_request", payload)
    assert response.status_code == 202
    answer = response.json()
    assert isinstance(answer["job"], int) and "review queued" in answer["status"]
    job = web.runtime.store.job(answer["job"])
    assert job is not None and job.state.value == "pending"
    assert (job.request.repo, job.request.pr_number, job.request.installation_id) == (
        REPO,
        number,
        1,
    )
    assert job.request.head_sha == git.sha("feature")


def test_review_comment_is_202_with_a_job(web, github):
    number = github.open_pull(REPO, title="Validate widget sizes (bd-a3f8)", head="feature")
    payload = issue_comment_payload(
        github, REPO, number, "/review", login="octo", author_association="OWNER"
    )
    assert check_webhook("issue_comment", "created", payload) == []
    response = deliver(web.url, "issue_comment", payload)
    assert response.status_code == 202 and isinstance(response.json()["job"], int)
    job = web.runtime.store.job(response.json()["job"])
    assert job is not None and job.request.mode.value == "command"


def test_an_ignored_pull_request_action_is_200_without_a_job(web, github):
    number = github.open_pull(REPO, title="Validate widget sizes (bd-a3f8)", head="feature")
    payload = pull_request_payload(
        github,
        REPO,
        number,
        "labeled",
        label={
            "id": 1,
            "node_id": "L_1",
            "url": "",
            "name": "x",
            "color": "fff",
            "default": False,
            "description": None,
        },
    )
    response = deliver(web.url, "pull_request", payload)
    assert response.status_code == 200
    assert "needs no review" in response.json()["status"]
    assert web.runtime.store.recent_jobs() == []


def test_the_full_app_with_workers_answers_too(beadle, github):
    """The `beadle` fixture (web + workers) answers the same way."""
    assert httpx.get(f"{beadle.url}/healthz", timeout=10).status_code == 200
    assert deliver(beadle.url, "ping", ping_payload(github)).status_code == 200
