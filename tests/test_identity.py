"""Telling a dead worker process from a live one: the OS reads and the verdict over them."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.queue.identity import ProcessIdentity, Registered, running_here, this_process, why_gone

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
STALE = timedelta(seconds=20)


def registered(identity: ProcessIdentity, *, seen: float = 0, locked: bool | None = None):
    return Registered(id=1, identity=identity, seen_at=NOW - timedelta(seconds=seen), locked=locked)


def test_this_process_is_running_and_an_exited_one_is_not() -> None:
    me = this_process()
    assert me.pid == os.getpid() and running_here(me)
    exited = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert not running_here(replace(me, pid=int(exited.stdout), start=""))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="start times come from /proc")
def test_a_pid_that_now_belongs_to_a_process_started_later_is_another_process() -> None:
    """A restarted container often gets its old pid back: the start time tells them apart."""
    me = this_process()
    assert me.start and ":" in me.start
    assert not running_here(replace(me, start=me.start + "0"))


def test_the_host_name_can_be_set() -> None:
    assert this_process("machine-b").host == "machine-b"


def test_on_postgresql_the_server_s_lock_decides_on_any_host() -> None:
    here = this_process()
    elsewhere = replace(here, host="machine-b")
    for identity in (here, elsewhere):
        alive = registered(identity, seen=3600, locked=True)  # an old heartbeat does not matter
        assert why_gone(alive, here=here.host, alive_here=None, now=NOW, stale_after=STALE) is None
        dead = registered(identity, locked=False)
        why = why_gone(dead, here=here.host, alive_here=None, now=NOW, stale_after=STALE)
        assert why is not None and "lost its database session" in why


def test_elsewhere_a_process_on_this_host_is_judged_by_its_pid() -> None:
    here = this_process()
    process = registered(here)
    assert why_gone(process, here=here.host, alive_here=True, now=NOW, stale_after=STALE) is None
    why = why_gone(process, here=here.host, alive_here=False, now=NOW, stale_after=STALE)
    assert why == f"worker process {here.pid} on {here.host} is no longer running"


def test_a_process_on_another_host_without_a_lock_is_judged_by_its_heartbeat() -> None:
    other = replace(this_process(), host="container-2")
    fresh, stale = registered(other, seen=19), registered(other, seen=21)
    assert why_gone(fresh, here="container-1", alive_here=None, now=NOW, stale_after=STALE) is None
    why = why_gone(stale, here="container-1", alive_here=None, now=NOW, stale_after=STALE)
    assert why is not None and "no heartbeat since" in why
