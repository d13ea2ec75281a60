"""Who a worker process is, and whether a process recorded in the database is still there.

A job whose worker died used to wait out its lease (two minutes). A process that knows who held
the job can tell much sooner: on the same machine, a recorded pid that is gone, or that now
belongs to a process started at another time, is a dead owner (a restarted container often gets
its old pid back, hence the start time). Across machines only the database can tell; see
`bot.queue.registry`. `why_gone` weighs that evidence; the rest reads it from the OS.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

_PROC = Path("/proc")
_GONE_STATES = {"Z", "X", "x"}  # a zombie has exited: its sockets and locks are released


@dataclass(frozen=True, slots=True)
class ProcessIdentity:
    host: str  # the machine's name (BEADLE_WORKER_HOST overrides it)
    pid: int
    # When the process started, as the OS tells it: "<boot id>:<start ticks>" on Linux, so that
    # a pid reused after a restart or a reboot reads as another process. "" where unknown.
    start: str


@dataclass(frozen=True, slots=True)
class Registered:
    """A worker process as the database knows it."""

    id: int
    identity: ProcessIdentity
    seen_at: datetime  # its last heartbeat
    locked: bool | None  # PostgreSQL: whether its session still holds its lock; None elsewhere


def this_process(host: str | None = None) -> ProcessIdentity:
    pid = os.getpid()
    return ProcessIdentity(host=host or socket.gethostname(), pid=pid, start=start_of(pid) or "")


def start_of(pid: int) -> str | None:
    """The start token of `pid` on this machine: None when no such process runs, "" when it runs
    but this OS does not say when it started (then only the pid is compared)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return _exists(pid)
    # The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in _GONE_STATES:
        return None
    return f"{_boot_id()}:{fields[19]}"  # field 22, starttime: clock ticks after boot


def _exists(pid: int) -> str | None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # it exists, under another user
        return ""
    return ""


def _boot_id() -> str:
    try:
        return (_PROC / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def running_here(identity: ProcessIdentity) -> bool:
    """Whether the process `identity` names still runs on this machine."""
    now = start_of(identity.pid)
    if now is None:
        return False
    return not (now and identity.start) or now == identity.start


def why_gone(
    process: Registered,
    *,
    here: str,
    alive_here: bool | None,
    now: datetime,
    stale_after: timedelta,
) -> str | None:
    """Why `process` must be dead, or None while it may be alive. Pure.

    The strongest evidence available decides. On PostgreSQL (`locked` is not None) each worker
    process holds a session lock that the server drops with the connection, so the server's word
    is final, on this machine and on any other. Elsewhere (SQLite, one machine), a process on
    this host is checked by pid and start time (`alive_here`); one that claims another host
    (a container with its own name) can only be judged by its heartbeat.
    """
    who = f"worker process {process.identity.pid} on {process.identity.host}"
    if process.locked is not None:
        return None if process.locked else f"{who} lost its database session"
    if process.identity.host == here:
        return None if alive_here else f"{who} is no longer running"
    if process.seen_at < now - stale_after:
        return f"{who} sent no heartbeat since {process.seen_at.isoformat()}"
    return None
