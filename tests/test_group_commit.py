"""Group commit (bot/intake/group_commit.py): every waiting request gets an answer, in time.

The store is a plain function here: what matters is what the waiting requests are told when it
answers wrongly, raises something other than a store error, hangs, or the flush is cancelled.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pytest

from bot.intake.group_commit import CommitTimeout, Intake, IntakeStopped
from bot.queue.jobs import Delivery, Recorded

ANSWER_WITHIN = 10.0  # a hang is a failure, not a stuck test run


def ping(n: int) -> Delivery:
    return Delivery(f"d-{n}", "ping", None, None, datetime.now(UTC))


def recorded(batch: Sequence[Delivery]) -> list[Recorded]:
    return [Recorded(d.delivery_id, duplicate=False, job_id=None) for d in batch]


async def submit_all(intake: Intake, count: int) -> list[Recorded | BaseException]:
    tasks = [asyncio.create_task(intake.submit(ping(n))) for n in range(count)]
    _, pending = await asyncio.wait(tasks, timeout=ANSWER_WITHIN)
    assert not pending, f"{len(pending)} of {count} requests were never answered"
    return [t.exception() or t.result() for t in tasks]


def test_a_store_answering_the_wrong_number_of_results_fails_the_batch_not_hangs_it() -> None:
    """Found by reading the flush: the results were zipped with the batch outside the `try`,
    so a short answer killed the flush task and left every request of the batch waiting."""
    intake = Intake(lambda batch: recorded(batch)[:-1])
    answers = asyncio.run(submit_all(intake, 3))
    assert all(isinstance(a, RuntimeError) for a in answers), answers
    assert "2 results for 3 deliveries" in str(answers[0])


class Fatal(BaseException):
    """Neither the store's error nor any Exception: what `except Exception` let through."""


def test_a_base_exception_in_the_flush_answers_every_waiting_request() -> None:
    def explode(batch: Sequence[Delivery]) -> list[Recorded]:
        raise Fatal("not an Exception")

    intake = Intake(explode)

    async def run() -> list[Recorded | BaseException]:
        answers = await submit_all(intake, 3)
        assert intake._task is not None and isinstance(intake._task.exception(), Fatal)
        return answers

    answers = asyncio.run(run())
    assert all(isinstance(a, IntakeStopped) for a in answers), answers


def test_a_cancelled_flush_answers_its_batch_and_those_behind_it() -> None:
    entered, release = threading.Event(), threading.Event()

    def slow(batch: Sequence[Delivery]) -> list[Recorded]:
        entered.set()
        release.wait(ANSWER_WITHIN)
        return recorded(batch)

    intake = Intake(slow, deadline=ANSWER_WITHIN)

    async def run() -> list[Recorded | BaseException]:
        first = asyncio.create_task(intake.submit(ping(0)))
        await asyncio.to_thread(entered.wait, ANSWER_WITHIN)
        later = [asyncio.create_task(intake.submit(ping(n))) for n in (1, 2)]
        await asyncio.sleep(0)
        assert intake._task is not None
        intake._task.cancel()
        release.set()
        _, pending = await asyncio.wait([first, *later], timeout=ANSWER_WITHIN)
        assert not pending
        return [t.exception() or t.result() for t in (first, *later)]

    answers = asyncio.run(run())
    assert all(isinstance(a, IntakeStopped) for a in answers), answers


def test_a_store_error_fails_its_batch_and_the_next_batch_still_commits() -> None:
    calls: list[int] = []

    def flaky(batch: Sequence[Delivery]) -> list[Recorded]:
        calls.append(len(batch))
        if len(calls) == 1:
            raise OSError("disk full")
        return recorded(batch)

    intake = Intake(flaky)

    async def run() -> tuple[BaseException | None, Recorded]:
        first = asyncio.create_task(intake.submit(ping(0)))
        error = await asyncio.wait_for(asyncio.gather(first, return_exceptions=True), 10)
        return error[0], await asyncio.wait_for(intake.submit(ping(1)), ANSWER_WITHIN)

    error, later = asyncio.run(run())
    assert isinstance(error, OSError) and later.delivery_id == "d-1"


def blocking_store() -> tuple[Callable[[Sequence[Delivery]], list[Recorded]], threading.Event]:
    release = threading.Event()
    committed: list[str] = []

    def record(batch: Sequence[Delivery]) -> list[Recorded]:
        release.wait(ANSWER_WITHIN)
        committed.extend(d.delivery_id for d in batch)
        return recorded(batch)

    record.committed = committed  # type: ignore[attr-defined]
    return record, release


def test_past_the_deadline_a_request_is_told_and_a_batch_not_yet_begun_drops_it() -> None:
    """The first delivery's batch is in the (stuck) store when the deadline passes: it may still
    be written, whole. The second was waiting for the next batch: it is not written at all."""
    record, release = blocking_store()
    intake = Intake(record, deadline=0.3)

    async def run() -> list[Recorded | BaseException]:
        first = asyncio.create_task(intake.submit(ping(0)))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(intake.submit(ping(1)))
        answers = await asyncio.gather(first, second, return_exceptions=True)
        assert await intake.readiness() is not None  # still stuck
        release.set()
        while intake._flushing:
            await asyncio.sleep(0.01)
        return answers

    answers = asyncio.run(run())
    assert all(isinstance(a, CommitTimeout) for a in answers), answers
    assert record.committed == ["d-0"]  # type: ignore[attr-defined]


def test_readiness_follows_the_store() -> None:
    """Ready while commits succeed; a failed commit or probe says why; a probe that passes (the
    store can be written again) makes it ready again without waiting for a delivery."""
    writable = True
    probes: list[bool] = []

    def probe() -> None:
        probes.append(writable)
        if not writable:
            raise OSError("read-only file system")

    def record(batch: Sequence[Delivery]) -> list[Recorded]:
        if not writable:
            raise OSError("read-only file system")
        return recorded(batch)

    intake = Intake(record, probe=probe)

    async def run() -> None:
        nonlocal writable
        assert await intake.readiness() is None
        writable = False
        with pytest.raises(OSError):
            await intake.submit(ping(0))
        assert await intake.readiness() == "the last commit failed (OSError)"
        intake._heard_at -= 60  # as if the store had been quiet for a minute
        assert await intake.readiness() == "the store cannot be written (OSError)"
        writable = True
        assert await intake.readiness() == "the store cannot be written (OSError)"  # heard lately
        intake._heard_at -= 60
        assert await intake.readiness() is None
        assert (await intake.submit(ping(1))).delivery_id == "d-1"

    asyncio.run(run())
    assert probes == [False, True]
