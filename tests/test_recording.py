"""Recording deliveries in plain SQL (bot/queue/recording.py), on SQLite and PostgreSQL.

tests/test_store.py holds the semantics (duplicates, coalescing, times); these are the cases the
plain-SQL path adds: batches beyond one statement's chunk, and the readiness probe.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from bot.queue.recording import CHUNK
from bot.queue.request import ReviewRequest
from bot.queue.store import Delivery, JobState, Store

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    with Store(database_url) as s:
        yield s


def push(delivery_id: str, pr: int, sha: str, when: datetime = T0) -> Delivery:
    request = ReviewRequest(repo="octo/repo", pr_number=pr, installation_id=7, head_sha=sha)
    return Delivery(delivery_id, "pull_request", "synchronize", request, when)


def test_a_batch_over_one_chunk_reads_as_one_batch(store: Store) -> None:
    """Three chunks: duplicates across chunks are spotted, pushes to a PR fold into one job at
    the newest head, and results come back in the order given."""
    batch = [
        push(f"d-{i % (CHUNK + 100)}", pr=i % 7, sha=f"{i:040x}", when=T0 + timedelta(seconds=i))
        for i in range(2 * CHUNK + 50)
    ]
    results = store.record_deliveries(batch)
    assert [r.delivery_id for r in results] == [d.delivery_id for d in batch]
    assert [r.duplicate for r in results] == [i >= CHUNK + 100 for i in range(len(batch))]
    jobs = store.recent_jobs(limit=100)
    assert sorted(j.request.pr_number for j in jobs) == list(range(7))
    assert {j.state for j in jobs} == {JobState.PENDING}
    last = {i % 7: i for i in range(CHUNK + 100)}  # the last fresh push of each PR
    for job in jobs:
        assert job.request.head_sha == f"{last[job.request.pr_number]:040x}"
        assert job.run_after == T0 + timedelta(seconds=last[job.request.pr_number])
    for r, d in zip(results, batch, strict=True):
        if not r.duplicate:
            assert r.job_id == next(
                j.id for j in jobs if j.request.pr_number == d.request.pr_number
            )


def test_check_writable_fails_where_a_batch_would(database_url: str, store: Store) -> None:
    store.check_writable()
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE deliveries RENAME TO deliveries_away"))
    try:
        with pytest.raises(Exception, match="deliveries"):
            store.check_writable()
        with pytest.raises(Exception, match="deliveries"):
            store.record_deliveries([push("d-1", 1, "a" * 40)])
    finally:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE deliveries_away RENAME TO deliveries"))
        engine.dispose()
    store.check_writable()
    assert not store.record_deliveries([push("d-1", 1, "a" * 40)])[0].duplicate
