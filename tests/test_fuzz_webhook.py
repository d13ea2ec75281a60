"""Property-based fuzzing of the webhook endpoint and of `decide`.

The bytes are SIGNED, so they get past the HMAC check and reach the parser, `decide`, the store:
a signed delivery is GitHub's word, but a parser that trusts GitHub's shapes too much answers 500
(GitHub marks the delivery failed) or takes the process down. Every delivery here starts from a
payload that validates against GitHub's OpenAPI description and is then mutated: fields removed,
replaced by the wrong type, huge or odd strings, deep nesting. Whatever arrives, the answer is one
of 200/202/400/401/413 and the app keeps answering.

The real app (`Runtime(...).web(with_workers=False)`, store on an SQLite file) is driven in-process
through httpx's ASGI transport, with its lifespan run by the ASGI lifespan protocol, as uvicorn
would: about 2,450 HTTP deliveries, plus ~620 examples of `decide` alone, in well under a
minute (when nothing fails: the HTTP properties do not shrink, so a failure costs no more).
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import traceback
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Self

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.intake.group_commit import Intake
from bot.intake.triggers import REVIEW_ACTIONS, decide, review_command
from bot.intake.webhook import Event
from bot.queue.request import Mode, ReviewRequest
from bot.queue.store import Delivery, Recorded, Store
from bot.runtime import Runtime
from bot.settings import load_settings
from tests.fakes import github_shapes as shapes
from tests.fakes.github import FakeGitHub
from tests.fakes.github_routes_app import installation_json
from tests.fakes.gitrepo import GitRepo
from tests.fakes.openapi import check_webhook
from tests.fakes.webhooks import issue_comment_payload, ping_payload, pull_request_payload, sign
from tests.harness import FEATURE_PY, ISSUE, REPO, SECRET, SIZE_PY, app_key  # noqa: F401

HOOK = "/api/github/webhooks"
ALLOWED = {200, 202, 400, 401, 413}
HANDLED_EVENTS = ("pull_request", "issue_comment", "ping", "installation")
PR_ACTIONS = (
    "opened",
    "reopened",
    "ready_for_review",
    "synchronize",
    "closed",
    "edited",
    "labeled",
    "converted_to_draft",
    "assigned",
    "locked",
)
COMMENT_ACTIONS = ("created", "edited", "deleted")
# No shrinking for the HTTP properties: a failing example already says which mutations it made,
# the crashers below are the minimal cases, and shrinking 20 KB payloads over HTTP takes minutes.
FUZZ = settings(
    deadline=None,
    print_blob=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


# -- the app, in-process -------------------------------------------------------------------------


class InProcessApp:
    """An ASGI app on one persistent event loop: lifespan started as uvicorn would, then requests
    through httpx.ASGITransport. Exceptions the app raised are kept for the failure message."""

    def __init__(self, app: Any) -> None:
        self.errors: list[str] = []
        self.sent = 0

        async def recording(scope, receive, send):
            try:
                await app(scope, receive, send)
            except Exception:
                self.errors.append(traceback.format_exc(limit=-4))
                raise

        self._app = recording
        self._runner = asyncio.Runner()
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=recording, raise_app_exceptions=False),
            base_url="http://beadle.test",
        )
        self._to_app: asyncio.Queue[dict] | None = None
        self._from_app: asyncio.Queue[dict] | None = None
        self._lifespan: asyncio.Task[None] | None = None

    def __enter__(self) -> Self:
        self._runner.run(self._lifespan_event("startup"))
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._runner.run(self._lifespan_event("shutdown"))
            self._runner.run(self.client.aclose())
        finally:
            self._runner.close()

    async def _lifespan_event(self, which: str) -> None:
        if self._lifespan is None:
            self._to_app, self._from_app = asyncio.Queue(), asyncio.Queue()
            scope = {
                "type": "lifespan",
                "asgi": {"version": "3.0", "spec_version": "2.0"},
                "state": {},
            }
            self._lifespan = asyncio.get_running_loop().create_task(
                self._app(scope, self._to_app.get, self._from_app.put)
            )
        assert self._to_app is not None and self._from_app is not None
        await self._to_app.put({"type": f"lifespan.{which}"})
        message = await asyncio.wait_for(self._from_app.get(), timeout=30)
        assert message["type"] == f"lifespan.{which}.complete", message
        if which == "shutdown":
            await asyncio.wait_for(self._lifespan, timeout=30)

    def post(
        self, body: bytes, headers: list[tuple[bytes, bytes]] | dict[str, str]
    ) -> httpx.Response:
        self.sent += 1
        before = len(self.errors)
        response = self._runner.run(self.client.post(HOOK, content=body, headers=headers))
        response.app_errors = self.errors[before:]  # type: ignore[attr-defined]
        return response

    def get(self, path: str) -> httpx.Response:
        return self._runner.run(self.client.get(path))


def signed(event: str, body: bytes, delivery: str | None = None) -> dict[str, str]:
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(body, SECRET),
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/fuzz",
    }


def check_answer(response: httpx.Response, what: str) -> None:
    errors = "\n".join(getattr(response, "app_errors", []))
    assert response.status_code in ALLOWED, (
        f"{what}: answered {response.status_code} {response.text[:300]!r}\n{errors}"
    )
    answer = response.json()
    assert isinstance(answer, dict)
    if response.status_code >= 400:
        assert isinstance(answer.get("error"), str)
    else:
        assert isinstance(answer.get("status"), str)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory, app_key, bases) -> Iterator[InProcessApp]:  # noqa: F811
    """The app, with the valid payloads to mutate as `.bases` (kept off the hypothesis tests'
    arguments, which a failure report prints in full)."""
    db = tmp_path_factory.mktemp("fuzz-store") / "beadle.sqlite3"
    settings_ = load_settings(
        _env_file=None,
        APP_ID="1",
        PRIVATE_KEY=app_key[0],
        WEBHOOK_SECRET=SECRET,
        OPENAI_API_KEY="sk-test-not-a-real-key",
        GITHUB_API_URL="http://127.0.0.1:9",
        DATABASE_URL=f"sqlite:///{db}",
        BEADLE_BOT_LOGIN="beadle[bot]",
    )
    runtime = Runtime(settings_)
    try:
        with InProcessApp(runtime.web(with_workers=False)) as app:
            app.runtime = runtime  # type: ignore[attr-defined]
            app.bases = bases  # type: ignore[attr-defined]
            yield app
    finally:
        runtime.store.close()


# -- valid payloads to start from ----------------------------------------------------------------


@pytest.fixture(scope="module")
def bases(tmp_path_factory, app_key) -> dict[str, list[tuple[str, dict]]]:  # noqa: F811
    """(event, payload) per handled event, each valid against GitHub's OpenAPI description."""
    git = GitRepo(tmp_path_factory.mktemp("fuzz-git") / "widgets")
    git.commit(
        {
            "README.md": "# widgets\n",
            "widgets/size.py": SIZE_PY,
            ".beads/issues.jsonl": json.dumps(ISSUE) + "\n",
        },
        "Initial commit",
    )
    git.commit({"widgets/size.py": FEATURE_PY}, "Reject negative sizes (bd-a3f8)", branch="feature")
    label = {
        "id": 1,
        "node_id": "LA_1",
        "url": "https://example.com/l",
        "name": "bug",
        "color": "fff",
        "default": False,
        "description": None,
    }
    out: dict[str, list[tuple[str, dict]]] = {e: [] for e in HANDLED_EVENTS}
    with FakeGitHub(app_id=1, public_key_pem=app_key[1]) as gh:
        gh.add_repo(REPO, git)
        number = gh.open_pull(REPO, title="Validate widget sizes (bd-a3f8)", head="feature")
        extra: dict[str, dict] = {
            "edited": {"changes": {"title": {"from": "old"}}},
            "labeled": {"label": label},
            "assigned": {"assignee": gh.bot},
        }
        for action in PR_ACTIONS:
            payload = pull_request_payload(gh, REPO, number, action, **extra.get(action, {}))
            if action == "closed":
                payload["pull_request"].update(state="closed", closed_at=shapes.now_iso())
            out["pull_request"].append(("pull_request", payload))
        for action in COMMENT_ACTIONS:
            for body, login, association, kind in (
                ("/review", "octo", "OWNER", "User"),
                ("/review full", "carol", "CONTRIBUTOR", "User"),
                ("looks good", "dave", "MEMBER", "User"),
                ("/review", "beadle[bot]", "NONE", "Bot"),
            ):
                payload = issue_comment_payload(
                    gh,
                    REPO,
                    number,
                    body,
                    login=login,
                    author_association=association,
                    user_type=kind,
                    action=action,
                )
                if action == "edited":
                    payload["changes"] = {"body": {"from": "before"}}
                out["issue_comment"].append(("issue_comment", payload))
        out["ping"].append(("ping", ping_payload(gh)))
        for action in ("created", "deleted", "suspend", "new_permissions_accepted"):
            r = gh.repo(REPO)
            payload = {
                "action": action,
                "installation": installation_json(gh, r.installation_id),
                "repositories": [
                    {
                        "id": r.id,
                        "node_id": shapes.node_id("Repository", r.id),
                        "name": "widgets",
                        "full_name": REPO,
                        "private": False,
                    }
                ],
                "requester": None,
                "sender": shapes.user(gh.base_url, "alice"),
            }
            if action not in ("created", "deleted"):
                payload.pop("repositories")
                payload.pop("requester")
            out["installation"].append(("installation", payload))
    for entries in out.values():
        for event, payload in entries:
            assert check_webhook(event, payload.get("action"), payload) == [], (event, payload)
    return out


def test_the_unmutated_payloads_are_answered_as_documented(fuzz_app, bases):
    for entries in bases.values():
        for event, payload in entries:
            body = json.dumps(payload).encode()
            response = fuzz_app.post(body, signed(event, body))
            check_answer(response, f"{event}.{payload.get('action')}")
            reviews = event == "pull_request" and payload["action"] in REVIEW_ACTIONS
            if reviews:
                assert response.status_code == 202 and isinstance(response.json()["job"], int)


# -- mutations -----------------------------------------------------------------------------------

ODD_CHARS = [
    "\u200f",
    "\u200e",
    "\u202e",
    "\u2066",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u0000",
    "\u0001",
    "\u001b",
    "\u007f",
    "\u0085",
    "\u2028",
    "\u2029",
    "😀",
    "👩‍👩‍👧",
    "🏳️‍🌈",
    "\u0301",
    "\ufffd",
    "\U0010ffff",
    "/",
    "\\",
    '"',
    "\n",
    "\r",
    "\t",
    " ",
    "\u3000",
    "/review",
    "/review full",
    "[bot]",
    "OWNER",
    "open",
    "opened",
    "Bot",
]
odd_text = st.lists(st.one_of(st.characters(), st.sampled_from(ODD_CHARS)), max_size=20).map(
    "".join
)  # st.characters() never yields a surrogate
huge_text = st.builds(
    lambda piece, n: piece * n,
    st.sampled_from(["a", "é", "😀", "\u0000", "/", "\u202e", "/review "]),
    st.integers(1_000, 100_000),
)
odd_ints = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 1, 2**31 - 1, 2**31, 2**53 - 1, 2**53, 2**63, 2**64, 2**80, -(2**80)]),
)
scalars = st.one_of(
    st.none(), st.booleans(), odd_ints, st.floats(allow_nan=False, allow_infinity=False), odd_text
)
keys = st.one_of(
    st.sampled_from(
        [
            "action",
            "number",
            "id",
            "login",
            "sha",
            "full_name",
            "body",
            "pull_request",
            "head",
            "user",
            "type",
            "state",
            "",
        ]
    ),
    odd_text,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=8,
)
DEEP = "@@beadle-fuzz-deep-{kind}-{depth}@@"
deep_marker = st.builds(
    lambda kind, depth: DEEP.format(kind=kind, depth=depth),
    st.sampled_from(["list", "dict"]),
    st.one_of(st.integers(1, 100), st.integers(900, 5_000)),
)
# .map(copy.deepcopy): sampled_from hands out the same list or dict every time, and a later
# mutation inside it would change what the strategy draws next (hypothesis calls that flaky).
wrong_values = st.one_of(
    scalars,
    huge_text,
    json_values,
    deep_marker,
    st.sampled_from([[], {}, "", 2**80, True, None, "/", "o/r", "a/b/c"]),
).map(copy.deepcopy)

INTERESTING = [
    ("action",),
    ("number",),
    ("pull_request",),
    ("pull_request", "number"),
    ("pull_request", "head"),
    ("pull_request", "head", "sha"),
    ("pull_request", "state"),
    ("pull_request", "draft"),
    ("repository",),
    ("repository", "full_name"),
    ("installation",),
    ("installation", "id"),
    ("sender",),
    ("sender", "login"),
    ("comment",),
    ("comment", "id"),
    ("comment", "body"),
    ("comment", "user"),
    ("comment", "user", "login"),
    ("comment", "user", "type"),
    ("comment", "author_association"),
    ("issue",),
    ("issue", "number"),
    ("issue", "pull_request"),
    ("zen",),
    ("hook",),
    ("hook_id",),
    ("before",),
    ("after",),
]


def all_paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    out: list[tuple] = []
    items = (
        obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    )
    for key, value in items:
        out.append(prefix + (key,))
        out.extend(all_paths(value, prefix + (key,)))
    return out


def parent_of(obj: Any, path: tuple) -> Any:
    for key in path[:-1]:
        found = (
            key in obj
            if isinstance(obj, dict)
            else (isinstance(obj, list) and isinstance(key, int) and key < len(obj))
        )
        if not found:
            return None
        obj = obj[key]
    return obj


def mutate(
    payload: dict, data: st.DataObject, values: st.SearchStrategy = wrong_values
) -> list[str]:
    """Apply 1–6 mutations in place; returns what was done (for the failure message)."""
    done = []
    for _ in range(data.draw(st.integers(1, 6), label="mutations")):
        paths = all_paths(payload)
        path = data.draw(
            st.one_of(st.sampled_from(INTERESTING), st.sampled_from(paths))
            if paths
            else st.sampled_from(INTERESTING),
            label="path",
        )
        parent = parent_of(payload, path)
        key = path[-1]
        if parent is None or (
            isinstance(parent, list) and not (isinstance(key, int) and key < len(parent))
        ):
            continue
        if not isinstance(parent, dict | list):
            continue
        if data.draw(st.booleans(), label="delete?"):
            if isinstance(parent, dict):
                parent.pop(key, None)
            else:
                del parent[key]
            done.append(f"del {path}")
        else:
            value = data.draw(values, label="value")
            parent[key] = value
            done.append(f"set {path} = {str(value)[:60]!r}")
    return done


def encode(payload: Any, ensure_ascii: bool) -> bytes:
    text = json.dumps(payload, ensure_ascii=ensure_ascii)
    for match in set(re.findall(r'"@@beadle-fuzz-deep-(list|dict)-(\d+)@@"', text)):
        kind, depth = match[0], int(match[1])
        nested = (
            "[" * depth + "1" + "]" * depth
            if kind == "list"
            else '{"a":' * depth + "1" + "}" * depth
        )
        text = text.replace(f'"@@beadle-fuzz-deep-{kind}-{depth}@@"', nested)
    return text.encode(
        "utf-8", "surrogatepass"
    )  # a lone surrogate: invalid UTF-8, as a sender may send


@pytest.mark.parametrize("family", HANDLED_EVENTS)
@settings(FUZZ, max_examples=400)
@given(data=st.data())
def test_mutated_signed_payloads_are_never_a_5xx(fuzz_app, family, data):
    entries = fuzz_app.bases[family]
    event, base = entries[data.draw(st.integers(0, len(entries) - 1), label="base index")]
    payload = copy.deepcopy(base)
    done = mutate(payload, data)
    header_event = data.draw(
        st.one_of(st.just(event), st.sampled_from(HANDLED_EVENTS)), label="X-GitHub-Event"
    )
    body = encode(payload, data.draw(st.booleans(), label="ensure_ascii"))
    response = fuzz_app.post(body, signed(header_event, body))
    check_answer(response, f"{header_event} ({event}.{base.get('action')}) after {done}")
    if response.status_code == 202 and "job" in response.json():
        job = fuzz_app.runtime.store.job(response.json()["job"])
        assert job is not None and isinstance(job.request, ReviewRequest)


RAW_PREFIXES = [
    b"",
    b"{",
    b"[",
    b"{}",
    b"null",
    b'{"action":',
    b'{"action":"opened",',
    b"\xef\xbb\xbf{}",
    b"\xff\xfe{\x00}\x00",
    b'{"a":"\\ud800"}',
    b'{"a":1e999}',
    b'{"a":NaN}',
    b'{"a":-Infinity}',
    b'{"a":1}{"b":2}',
    b'{"a":"\x00"}',
    b'{"__proto__":{}}',
    b" " * 1000 + b"{}",
    b'{"a":' + b"9" * 5000 + b"}",
]


@settings(FUZZ, max_examples=400)
@given(
    prefix=st.sampled_from(RAW_PREFIXES),
    rest=st.binary(max_size=3000),
    event=st.sampled_from(HANDLED_EVENTS + ("star",)),
)
def test_signed_random_bytes_are_never_a_5xx(fuzz_app, prefix, rest, event):
    body = prefix + rest
    check_answer(fuzz_app.post(body, signed(event, body)), f"{event} body {body[:80]!r}")


header_bytes = st.one_of(
    st.binary(max_size=150),
    st.sampled_from(
        [
            b"",
            b" ",
            b"pull_request",
            b"issue_comment",
            b"ping",
            b"installation",
            b"PULL_REQUEST",
            b"pull_request ",
            b"\x00",
            b"\xff" * 80,
            b"x" * 100,
            b"x" * 101,
            b"x" * 129,
            b"e" * 65,
        ]
    ),
)


@settings(FUZZ, max_examples=400)
@given(data=st.data())
def test_random_header_values_are_never_a_5xx(fuzz_app, data):
    family = data.draw(st.sampled_from(HANDLED_EVENTS), label="family")
    entries = fuzz_app.bases[family]
    event, payload = entries[data.draw(st.integers(0, len(entries) - 1), label="base index")]
    body = json.dumps(payload).encode()
    good = signed(event, body)
    headers: list[tuple[bytes, bytes]] = []
    for name in ("X-GitHub-Event", "X-GitHub-Delivery", "X-Hub-Signature-256", "Content-Type"):
        choice = data.draw(st.sampled_from(["keep", "fuzz", "drop", "twice"]), label=name)
        if choice in ("keep", "twice"):
            headers.append((name.encode(), good[name].encode()))
        if choice in ("fuzz", "twice"):
            headers.append((name.encode(), data.draw(header_bytes, label=name + " value")))
    for _ in range(data.draw(st.integers(0, 3), label="extra headers")):
        headers.append(
            (
                data.draw(
                    st.sampled_from(
                        [
                            b"X-GitHub-Hook-ID",
                            b"X-Forwarded-For",
                            b"Transfer-Encoding",
                            b"Expect",
                            b"Host",
                        ]
                    )
                ),
                data.draw(header_bytes),
            )
        )
    check_answer(fuzz_app.post(body, headers), f"headers {headers!r}")


# -- specific crashers, one test each (found by the properties above) ----------------------------


def _pr(**over: Any) -> dict:
    payload: dict[str, Any] = {
        "action": "opened",
        "number": 7,
        "pull_request": {"number": 7, "state": "open", "head": {"sha": "a" * 40}},
        "repository": {"full_name": "octo/widgets"},
        "installation": {"id": 1},
        "sender": {"login": "alice"},
    }
    payload.update(over)
    return payload


def _comment(**over: Any) -> dict:
    comment = {
        "id": 99,
        "body": "/review",
        "author_association": "OWNER",
        "user": {"login": "octo", "type": "User"},
    }
    comment.update(over)
    return {
        "action": "created",
        "issue": {"number": 7, "pull_request": {"url": "u"}},
        "comment": comment,
        "repository": {"full_name": "octo/widgets"},
        "installation": {"id": 1},
    }


CRASHERS = {
    "action-longer-than-64": ("pull_request", json.dumps(_pr(action="x" * 65)).encode()),
    "event-name-longer-than-64": ("e" * 65, b"{}"),
    "action-is-a-list": ("pull_request", json.dumps(_pr(action=[])).encode()),
    "action-is-an-object": ("pull_request", json.dumps(_pr(action={})).encode()),
    "author-association-is-a-list": (
        "issue_comment",
        json.dumps(_comment(author_association=["OWNER"])).encode(),
    ),
    "json-nested-100000-deep": ("ping", b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    "lone-surrogate-escape-in-action": ("ping", b'{"action":"\\ud800"}'),
    "lone-surrogate-escape-in-head-sha": (
        "pull_request",
        json.dumps(_pr(pull_request={"number": 7, "head": {"sha": "@"}}))
        .encode()
        .replace(b'"@"', b'"\\udfff"'),
    ),
}


@pytest.mark.parametrize("case", CRASHERS)
def test_known_crashers_are_refused_not_5xx(fuzz_app, case):
    event, body = CRASHERS[case]
    check_answer(fuzz_app.post(body, signed(event, body)), case)
    assert fuzz_app.get("/healthz").status_code == 200


def test_a_superscript_content_length_is_not_a_500(fuzz_app):
    """`"²".isdigit()` is True but `int("²")` raises. uvicorn (h11) refuses such a header before
    the app sees it, so this is reachable only under another ASGI server or in-process."""
    body = b"{}"
    headers = [(k.encode(), v.encode()) for k, v in signed("ping", body).items()]
    response = fuzz_app.post(body, headers + [(b"content-length", b"\xb2")])
    check_answer(response, "Content-Length: ²")


# -- one bad delivery must fail alone, not the group commit it shares ----------------------------


def _accepted(event: str, payload: dict) -> Delivery:
    decision = decide(Event(event, f"bad-{uuid.uuid4()}", payload), bot_login="beadle[bot]")
    if decision.request is None:  # decide refuses it up front, alone: fine
        raise ValueError(decision.reason)
    action = payload.get("action")
    return Delivery(
        f"bad-{uuid.uuid4()}",
        event,
        action if isinstance(action, str) else None,
        decision.request,
        datetime.now(UTC),
    )


ODD_BUT_ACCEPTED = {
    "head-sha-of-65-chars": lambda: _accepted(
        "pull_request", _pr(pull_request={"number": 7, "head": {"sha": "a" * 65}})
    ),
    "head-sha-with-nul": lambda: _accepted(
        "pull_request", _pr(pull_request={"number": 7, "head": {"sha": "ab\u0000cd"}})
    ),
    "sender-login-of-300-chars": lambda: _accepted(
        "pull_request", _pr(sender={"login": "a" * 300})
    ),
    "commenter-login-with-nul": lambda: _accepted(
        "issue_comment", _comment(user={"login": "oc\u0000to", "type": "User"})
    ),
    "pr-number-2**31": lambda: _accepted(
        "pull_request", _pr(pull_request={"number": 2**31, "head": {"sha": "a" * 40}})
    ),
    "surrogate-in-action-of-a-ping": lambda: Delivery(
        f"bad-{uuid.uuid4()}", "ping", "\ud800", None, datetime.now(UTC)
    ),
    "nul-in-action-of-a-ping": lambda: Delivery(
        f"bad-{uuid.uuid4()}", "ping", "a\u0000b", None, datetime.now(UTC)
    ),
}


@pytest.mark.parametrize("case", ODD_BUT_ACCEPTED)
def test_a_delivery_the_store_cannot_hold_does_not_fail_its_batch(database_url, case):
    """Intake commits concurrent deliveries in one transaction. The docstring of Delivery promises
    that one bogus delivery fails alone; here a delivery whose fields the database refuses is
    batched with a plain ping, and the ping must still be recorded."""
    try:
        bad = ODD_BUT_ACCEPTED[case]()
    except ValueError:
        return  # refused up front, alone: fine
    good = Delivery(f"good-{uuid.uuid4()}", "ping", None, None, datetime.now(UTC))
    with Store(database_url) as store:
        intake = Intake(store.record_deliveries)

        async def both() -> list[Any]:
            return await asyncio.gather(
                intake.submit(good), intake.submit(bad), return_exceptions=True
            )

        good_result, _ = asyncio.run(both())
        assert isinstance(good_result, Recorded), f"the good delivery failed: {good_result!r}"
        assert store.seen_deliveries([good.delivery_id]) == {good.delivery_id}


# -- decide(), pure ------------------------------------------------------------------------------


def _maybe(shape: st.SearchStrategy) -> st.SearchStrategy:
    """The right shape most of the time, junk otherwise."""
    return st.one_of(shape, shape, wrong_values)


ints = st.one_of(
    st.integers(-5, 10**6), odd_ints, st.booleans(), st.none(), st.sampled_from(["7", "1.0", 7.0])
)
repo_names = st.one_of(
    st.sampled_from(
        [
            "octo/widgets",
            "o/r",
            "/",
            "o/",
            "/r",
            "a/b/c",
            "",
            "o\u0000/r",
            "o/" + "r" * 198,
            "o/" + "r" * 199,
        ]
    ),
    odd_text,
)
logins = st.one_of(
    st.sampled_from(["alice", "beadle[bot]", "dependabot[bot]", "", "octo"]), odd_text
)
bodies = st.one_of(
    st.sampled_from(
        [
            "/review",
            "/review full",
            " /review\n",
            "/review FULL now",
            "/reviewer",
            "/ review",
            "please /review",
            "\u200b/review",
        ]
    ),
    odd_text,
)
user = st.fixed_dictionaries(
    {},
    optional={
        "login": _maybe(logins),
        "type": _maybe(st.sampled_from(["User", "Bot", "Organization"])),
    },
)
payloads = st.fixed_dictionaries(
    {},
    optional={
        "action": _maybe(st.sampled_from(PR_ACTIONS + COMMENT_ACTIONS + ("", "OPENED")) | odd_text),
        "number": ints,
        "pull_request": _maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "number": ints,
                    "state": _maybe(st.sampled_from(["open", "closed", "OPEN"])),
                    "draft": _maybe(st.booleans()),
                    "head": _maybe(
                        st.fixed_dictionaries(
                            {},
                            optional={
                                "sha": _maybe(st.sampled_from(["a" * 40, "b" * 64, ""]) | odd_text)
                            },
                        )
                    ),
                },
            )
        ),
        "repository": _maybe(st.fixed_dictionaries({}, optional={"full_name": _maybe(repo_names)})),
        "installation": _maybe(st.fixed_dictionaries({}, optional={"id": ints})),
        "sender": _maybe(user),
        "issue": _maybe(
            st.fixed_dictionaries(
                {}, optional={"number": ints, "pull_request": _maybe(st.just({"url": "u"}))}
            )
        ),
        "comment": _maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "id": ints,
                    "body": _maybe(bodies),
                    "user": _maybe(user),
                    "author_association": _maybe(
                        st.sampled_from(
                            ["OWNER", "MEMBER", "COLLABORATOR", "CONTRIBUTOR", "NONE", "owner"]
                        )
                    ),
                },
            )
        ),
    },
)
event_names = st.one_of(
    st.sampled_from(
        HANDLED_EVENTS + ("installation_repositories", "star", "push", "Pull_Request", "")
    ),
    odd_text,
)


def _positive(value: object) -> bool:
    return type(value) is int and 0 < value < 2**53


def _valid_for(event: str, data: st.DataObject) -> dict:
    """A minimal payload `decide` turns into a request (or, for other events, records)."""
    if event == "pull_request":
        return _pr(action=data.draw(st.sampled_from(sorted(REVIEW_ACTIONS)), label="action"))
    if event == "issue_comment":
        return _comment(
            body=data.draw(st.sampled_from(["/review", "/review full"])),
            author_association=data.draw(
                st.sampled_from(["OWNER", "MEMBER", "COLLABORATOR", "CONTRIBUTOR", "NONE"])
            ),
        )
    return data.draw(st.sampled_from([_pr(), _comment(), {}, {"zen": "z", "hook_id": 1}]))


decide_values = st.one_of(
    wrong_values,
    ints,
    repo_names,
    logins,
    bodies,
    st.sampled_from([[], {}, ["OWNER"], {"url": "u"}, "User", "Bot"]),
).map(copy.deepcopy)


@settings(max_examples=250, deadline=None)
@given(data=st.data())
def test_decide_on_pull_request_never_raises_and_its_requests_are_well_typed(data):
    _decide_property("pull_request", data)


@settings(max_examples=250, deadline=None)
@given(data=st.data())
def test_decide_on_issue_comment_never_raises_and_its_requests_are_well_typed(data):
    _decide_property("issue_comment", data)


@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_decide_on_any_other_event_never_raises_and_makes_no_request(data):
    _decide_property("any other event", data)


def _decide_property(event: str, data: st.DataObject) -> None:
    if event == "any other event":
        event = data.draw(
            st.one_of(
                st.sampled_from(
                    ["ping", "installation", "installation_repositories", "star", "push"]
                ),
                event_names,
            ),
            label="event",
        )
    how = data.draw(st.sampled_from(["mutated", "shaped", "arbitrary"]), label="payload kind")
    if how == "mutated":
        payload = _valid_for(event, data)
        mutate(payload, data, decide_values)
    elif how == "shaped":
        payload = data.draw(payloads, label="payload")
    else:
        payload = data.draw(st.dictionaries(odd_text, json_values), label="payload")
    bot_login = data.draw(st.one_of(st.none(), st.just("beadle[bot]"), odd_text), label="bot")
    check_decision(event, payload, bot_login)


def check_decision(event: str, payload: dict, bot_login: str | None) -> None:
    """decide() does not raise, and a request it makes is well typed and consistent."""
    decision = decide(Event(event, "d-1", payload), bot_login=bot_login)
    assert isinstance(decision.reason, str) and isinstance(decision.handled, bool)
    request = decision.request
    if request is None:
        return
    assert event in ("pull_request", "issue_comment")
    assert type(request.repo) is str and re.fullmatch(r"[^/]+/[^/]+", request.repo), request.repo
    assert len(request.repo) <= 200 and "\x00" not in request.repo
    assert _positive(request.pr_number) and _positive(request.installation_id)
    assert type(request.head_sha) is str
    assert request.requested_by is None or type(request.requested_by) is str
    assert type(request.verify_permission) is bool
    if event == "pull_request":
        assert request.mode is Mode.AUTO and request.head_sha and request.comment_id is None
        assert payload["action"] in REVIEW_ACTIONS
    else:
        assert request.mode in (Mode.COMMAND, Mode.FULL) and request.head_sha == ""
        assert _positive(request.comment_id)
        assert type(request.requested_by) is str and request.requested_by
        assert not request.requested_by.endswith("[bot]") and request.requested_by != bot_login
        # Only OWNER is trusted on the payload's word (MEMBER/COLLABORATOR may be read-only).
        assert request.verify_permission == (
            payload["comment"].get("author_association") != "OWNER"
        )


WRONG_TYPES = [None, 0, -1, True, False, 1.5, 2**80, "", "x", "/", [], {}, ["OWNER"], {"id": 1}]


def test_decide_survives_every_field_removed_or_of_the_wrong_type():
    """The deterministic sweep behind the property: each field of a valid minimal payload, in
    turn, removed or replaced by each wrong type; every failure is listed, not just the first."""
    failures = []
    for event, valid in (
        ("pull_request", _pr()),
        ("issue_comment", _comment()),
        ("issue_comment", _comment(author_association="NONE")),
    ):
        for path in all_paths(valid):
            for value in [KeyError, *WRONG_TYPES]:
                payload = copy.deepcopy(valid)
                parent = parent_of(payload, path)
                if value is KeyError:
                    del parent[path[-1]]
                else:
                    parent[path[-1]] = value
                try:
                    check_decision(event, payload, "beadle[bot]")
                except Exception as exc:
                    failures.append(
                        f"{event} {'.'.join(map(str, path))} = "
                        f"{'<removed>' if value is KeyError else repr(value)}: "
                        f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
                    )
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)


def test_decide_refuses_a_repository_name_with_an_empty_owner_or_name():
    for name in ("/", "octo/", "/widgets"):
        decision = decide(Event("pull_request", "d-1", _pr(repository={"full_name": name})))
        assert decision.request is None, f"{name!r} was queued for review"


@settings(max_examples=300, deadline=None)
@given(body=st.one_of(odd_text, bodies, huge_text))
def test_review_command_never_raises(body):
    assert review_command(body) in (None, Mode.COMMAND, Mode.FULL)


# -- and afterwards ------------------------------------------------------------------------------


def test_zz_the_app_still_answers_after_the_fuzzing(fuzz_app):
    health = fuzz_app.get("/healthz")
    assert health.status_code == 200 and health.text == "ok"
    body = b'{"zen":"still here"}'
    response = fuzz_app.post(body, signed("ping", body))
    assert response.status_code == 200
    print(f"{fuzz_app.sent} HTTP deliveries were fuzzed in-process")
