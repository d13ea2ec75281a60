"""`beadle jobs` and `beadle redeliver`, run as the console script against a real store and the
fake GitHub; and `bot.github.redeliver.missed`, the pure rule deciding what is redelivered."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.github.redeliver import missed, redeliver_missed
from bot.queue.request import Mode, ReviewRequest
from bot.queue.store import Delivery, JobState, Store
from tests.fakes.openapi import check_response
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import REPO, run_beadle

LEASE = timedelta(minutes=2)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- beadle jobs ---------------------------------------------------------------------------------


def _request(number: int, head: str, **kw: object) -> ReviewRequest:
    return ReviewRequest(repo=REPO, pr_number=number, installation_id=1, head_sha=head, **kw)


@pytest.fixture
def filled_store(env):
    """Four jobs: done, running, dead (with a two-line error) and pending, changed in that order."""
    t0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    heads = {1: "1" * 40, 2: "2" * 40, 3: "3" * 40}
    with Store(env["DATABASE_URL"]) as store:
        recorded = store.record_deliveries(
            [
                Delivery(f"d-{n}", "pull_request", "opened", _request(n, heads[n]), t0)
                for n in (1, 2, 3)
            ]
        )
        ids = {n: r.job_id for n, r in zip((1, 2, 3), recorded, strict=True)}
        done = store.claim(worker="w1", lease=LEASE, now=t0 + timedelta(minutes=1))
        assert done is not None and done.id == ids[1]
        store.finish(done.id, worker="w1", outcome="posted review", now=t0 + timedelta(minutes=2))
        running = store.claim(worker="w2", lease=LEASE, now=t0 + timedelta(minutes=3))
        assert running is not None and running.id == ids[2]
        dead = store.claim(worker="w3", lease=LEASE, now=t0 + timedelta(minutes=4))
        assert dead is not None and dead.id == ids[3]
        store.bury(
            dead.id,
            worker="w3",
            error="GitHub answered 502\nBad Gateway",
            now=t0 + timedelta(minutes=5),
        )
        [comment] = store.record_deliveries(
            [
                Delivery(
                    "d-4",
                    "issue_comment",
                    "created",
                    _request(4, "", mode=Mode.COMMAND, comment_id=77, requested_by="octo"),
                    t0 + timedelta(minutes=6),
                )
            ]
        )
        ids[4] = comment.job_id
        states = {n: store.job(i).state for n, i in ids.items()}
    assert states == {1: JobState.DONE, 2: JobState.RUNNING, 3: JobState.DEAD, 4: JobState.PENDING}
    return ids, heads


def _rows(stdout: str) -> list[list[str]]:
    lines = stdout.splitlines()
    assert lines[0].split()[:3] == ["id", "state", "tries"]
    return [line.split() for line in lines[1:]]


def test_beadle_jobs_lists_recent_jobs_newest_first(env, filled_store, tmp_path):
    ids, heads = filled_store
    done = run_beadle("jobs", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = _rows(done.stdout)
    assert [int(r[0]) for r in rows] == [ids[4], ids[3], ids[2], ids[1]]  # by last change
    by_id = {int(r[0]): r for r in rows}
    assert by_id[ids[1]][1:5] == ["done", "1", f"{REPO}#1", heads[1][:12]]
    assert by_id[ids[2]][1:5] == ["running", "1", f"{REPO}#2", heads[2][:12]]
    assert by_id[ids[3]][1:5] == ["dead", "1", f"{REPO}#3", heads[3][:12]]
    assert by_id[ids[1]][5:7] == ["-", "-"]  # no tokens, no cost: it asked no model
    assert by_id[ids[3]][7:] == ["GitHub", "answered", "502", "Bad", "Gateway"]  # one line
    assert by_id[ids[4]][1:4] == ["pending", "0", f"{REPO}#4"]
    assert by_id[ids[4]][4:] == ["-", "-"]  # a /review job has no head yet, and no error
    assert "GitHub answered 502 Bad Gateway" in done.stdout


def test_beadle_jobs_limit(env, filled_store, tmp_path):
    ids, _ = filled_store
    done = run_beadle("jobs", "--limit", "2", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [int(r[0]) for r in _rows(done.stdout)] == [ids[4], ids[3]]


def test_beadle_jobs_on_an_empty_store_prints_the_header_only(env, tmp_path):
    done = run_beadle("jobs", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 1 and _rows(done.stdout) == []


# -- beadle redeliver ----------------------------------------------------------------------------


def attempt(
    ident: int,
    guid: str,
    at: datetime,
    *,
    code: int,
    redelivery: bool = False,
    event: str = "pull_request",
    action: str | None = "opened",
) -> dict:
    """One item of `GET /app/hook/deliveries`, in GitHub's shape."""
    return {
        "id": ident,
        "guid": guid,
        "delivered_at": iso(at),
        "redelivery": redelivery,
        "duration": 0.31,
        "status": "OK" if code == 200 else f"Invalid HTTP Response: {code}",
        "status_code": code,
        "event": event,
        "action": action,
        "installation_id": 1,
        "repository_id": 1001,
    }


def test_beadle_redeliver_asks_again_only_for_the_never_recorded_failure(env, github, tmp_path):
    now = datetime.now(UTC)
    ok, recorded, lost, old, healed = (str(uuid.uuid4()) for _ in range(5))
    github.hook_deliveries = [  # newest first, as GitHub lists them
        attempt(
            9, lost, now - timedelta(minutes=10), code=503, redelivery=True, action="synchronize"
        ),
        attempt(8, healed, now - timedelta(minutes=20), code=200, redelivery=True),
        attempt(7, lost, now - timedelta(hours=1), code=502, action="synchronize"),
        attempt(6, recorded, now - timedelta(hours=2), code=503),
        attempt(5, healed, now - timedelta(hours=3), code=500),
        attempt(4, ok, now - timedelta(hours=4), code=200),
        attempt(3, old, now - timedelta(hours=30), code=503),
    ]
    assert check_response("GET", "/app/hook/deliveries", 200, github.hook_deliveries) == []
    with Store(env["DATABASE_URL"]) as store:  # Beadle committed this one, then the 2xx was lost
        store.record_delivery(Delivery(recorded, "pull_request", "opened", None, now))

    done = run_beadle("redeliver", "--since", "24h", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert github.redelivered == [9]  # the newest attempt of the lost delivery, once
    assert done.stdout.splitlines() == [
        f"redelivered {lost} (pull_request.synchronize)",
        "1 deliveries redelivered",
    ]
    assert github.contract_violations() == []


def test_beadle_redeliver_with_nothing_missed(env, github, tmp_path):
    now = datetime.now(UTC)
    github.hook_deliveries = [attempt(1, str(uuid.uuid4()), now - timedelta(minutes=5), code=200)]
    done = run_beadle("redeliver", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert github.redelivered == []
    assert done.stdout.splitlines() == ["0 deliveries redelivered"]


def test_beadle_redeliver_follows_the_cursor_to_later_pages(env, github, tmp_path):
    now = datetime.now(UTC)
    lost = str(uuid.uuid4())
    github.hook_deliveries = [
        attempt(1000 + i, str(uuid.uuid4()), now - timedelta(seconds=10 * i + 1), code=200)
        for i in range(150)
    ]  # a page is 100: the lost one is on page two
    github.hook_deliveries.append(
        attempt(
            42, lost, now - timedelta(hours=2), code=504, event="issue_comment", action="created"
        )
    )
    done = run_beadle("redeliver", "--since", "3h", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert github.redelivered == [42]
    assert f"redelivered {lost} (issue_comment.created)" in done.stdout
    assert sum(1 for r in github.requests if r.path == "/app/hook/deliveries") == 2
    assert github.contract_violations() == []


def test_beadle_redeliver_since_excludes_older_failures(env, github, tmp_path):
    now = datetime.now(UTC)
    github.hook_deliveries = [attempt(5, str(uuid.uuid4()), now - timedelta(hours=2), code=500)]
    done = run_beadle("redeliver", "--since", "30m", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert github.redelivered == [] and "0 deliveries redelivered" in done.stdout


@pytest.mark.parametrize("since", ["yesterday", "24", "h", "-1h", "1w"])
def test_beadle_redeliver_refuses_a_bad_since(env, tmp_path, since):
    done = run_beadle("redeliver", f"--since={since}", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "use a number and a unit" in done.stderr and "Traceback" not in done.stderr


# -- bot.github.redeliver.missed, pure -------------------------------------------------------------


def _a(guid: object, at: str, code: object, ident: int = 1) -> dict:
    return {"id": ident, "guid": guid, "delivered_at": at, "status_code": code}


def test_missed_skips_successes_and_recorded_deliveries():
    attempts = [
        _a("ok", "2026-11-02T10:00:00Z", 200, 1),
        _a("seen", "2026-11-02T10:01:00Z", 503, 2),
        _a("lost", "2026-11-02T10:02:00Z", 503, 3),
    ]
    assert missed(attempts, seen={"seen"}) == [attempts[2]]


def test_missed_skips_a_delivery_that_succeeded_on_a_later_or_earlier_attempt():
    failed_then_ok = [
        _a("g", "2026-11-02T10:00:00Z", 500, 1),
        _a("g", "2026-11-02T10:05:00Z", 202, 2),
    ]
    ok_then_failed = [
        _a("h", "2026-11-02T10:00:00Z", 200, 3),
        _a("h", "2026-11-02T10:05:00Z", 500, 4),
    ]
    assert missed(failed_then_ok + ok_then_failed, seen=set()) == []


def test_missed_returns_the_newest_failed_attempt_once():
    attempts = [
        _a("g", "2026-11-02T10:00:00Z", 502, 1),
        _a("g", "2026-11-02T12:00:00Z", 503, 3),
        _a("g", "2026-11-02T11:00:00Z", 504, 2),
    ]
    assert missed(attempts, seen=set()) == [attempts[1]]


@pytest.mark.parametrize("code", [0, 301, 302, 400, 404, 500, 503, None, "200"])
def test_missed_counts_anything_but_a_2xx_number_as_a_failure(code):
    attempts = [_a("g", "2026-11-02T10:00:00Z", code)]
    assert missed(attempts, seen=set()) == attempts


def test_missed_ignores_attempts_without_a_guid():
    attempts = [
        _a(None, "2026-11-02T10:00:00Z", 500),
        _a(7, "2026-11-02T10:00:00Z", 500),
        {"id": 3, "status_code": 500},
    ]
    assert missed(attempts, seen=set()) == []
    assert missed([], seen={"x"}) == []


def test_missed_keeps_the_order_deliveries_were_first_listed_in():
    attempts = [
        _a("b", "2026-11-02T10:03:00Z", 500, 1),
        _a("a", "2026-11-02T10:02:00Z", 500, 2),
        _a("b", "2026-11-02T10:01:00Z", 500, 3),
    ]
    assert [a["guid"] for a in missed(attempts, seen=set())] == ["b", "a"]


attempts_strategy = st.lists(
    st.builds(
        _a,
        st.sampled_from(["g1", "g2", "g3", "g4", None]),
        st.sampled_from([f"2026-11-02T10:0{m}:00Z" for m in range(10)]),
        st.sampled_from([200, 201, 204, 299, 300, 404, 500, 502, 503, 0, None]),
        st.integers(1, 10**9),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(attempts=attempts_strategy, seen=st.sets(st.sampled_from(["g1", "g2", "g3", "g5"])))
def test_missed_property(attempts, seen):
    result = missed(attempts, seen=seen)
    guids = [a["guid"] for a in result]
    assert len(guids) == len(set(guids))  # one per delivery
    for chosen in result:
        tries = [a for a in attempts if a["guid"] == chosen["guid"]]
        assert chosen["guid"] not in seen and isinstance(chosen["guid"], str)
        assert not any(200 <= (t["status_code"] or 0) < 300 for t in tries)
        assert chosen["delivered_at"] == max(t["delivered_at"] for t in tries)
    for guid in {a["guid"] for a in attempts if isinstance(a["guid"], str)} - set(guids):
        tries = [a for a in attempts if a["guid"] == guid]
        assert guid in seen or any(
            isinstance(t["status_code"], int) and 200 <= t["status_code"] < 300 for t in tries
        )


def test_redeliver_missed_asks_once_per_missed_delivery_with_its_newest_attempt_id():
    since = datetime(2026, 11, 2, tzinfo=UTC)

    class API:
        def __init__(self) -> None:
            self.asked: list[int] = []
            self.since: datetime | None = None

        def deliveries(self, since: datetime):
            self.since = since
            return iter(
                [
                    _a("lost", "2026-11-02T10:05:00Z", 503, 12),
                    _a("lost", "2026-11-02T10:00:00Z", 503, 11),
                    _a("seen", "2026-11-02T10:00:00Z", 503, 13),
                ]
            )

        def redeliver(self, delivery_id: int) -> None:
            self.asked.append(delivery_id)

    class Seen:
        def __init__(self) -> None:
            self.asked_about: list[str] = []

        def seen_deliveries(self, ids):
            self.asked_about = list(ids)
            return {"seen"} & set(self.asked_about)

    api, store = API(), Seen()
    done = redeliver_missed(api, store, since=since)
    assert api.since == since and api.asked == [12]
    assert [a["id"] for a in done] == [12]
    assert sorted(set(store.asked_about)) == ["lost", "seen"]


def test_beadle_redeliver_says_in_one_line_when_github_refuses(env, github, tmp_path):
    github.fail_next("GET", r"^/app/hook/deliveries$", 401, json={"message": "Bad credentials"})
    done = run_beadle("redeliver", env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "beadle redeliver: GET /app/hook/deliveries answered 401: Bad credentials"
    ]
    assert "Traceback" not in done.stderr
