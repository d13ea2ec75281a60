"""The worker processes that share the database, and the evidence that one of them is gone.

Every process that runs workers registers here (host, pid, start time) and heartbeats. On
PostgreSQL it also takes a session advisory lock keyed by its id, on a connection of its own: the
server drops the lock the moment that connection ends (kill -9 closes the socket; a machine that
vanishes is noticed by the TCP keepalives set below), so any process, on any machine, can tell a
dead owner within seconds by asking whether the lock is still held. The store turns a dead
process's running jobs back into pending ones (`Store.reap`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import URL, Connection, bindparam, create_engine, delete, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from bot.queue.identity import ProcessIdentity, Registered, why_gone
from bot.queue.schema import worker_processes

log = logging.getLogger(__name__)

# pg_advisory_lock(LOCK_CLASS, process id): "bead". The two-key form (objsubid 2 in pg_locks)
# never collides with the one-bigint key that serialises schema creation (objsubid 1).
LOCK_CLASS = 0x6265_6164

# Server side: notice a peer that vanished without closing its socket within ~15 s; client
# side (libpq), the same for a database server that vanished.
_SERVER_KEEPALIVES = (
    "tcp_keepalives_idle = 5",
    "tcp_keepalives_interval = 2",
    "tcp_keepalives_count = 3",
    "tcp_user_timeout = 10000",
)
_CLIENT_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "connect_timeout": 10,
}

INSERT = insert(worker_processes).returning(worker_processes.c.id)
TOUCH = (
    worker_processes.update()
    .where(worker_processes.c.id == bindparam("b_id"))
    .values(seen_at=bindparam("b_now"))
)
DELETE = delete(worker_processes).where(
    worker_processes.c.id.in_(bindparam("b_ids", expanding=True))
)
LISTED = select(worker_processes).order_by(worker_processes.c.id)
# Read after the rows: a row was committed after its lock was taken (both in one transaction),
# so a row whose lock is missing here belongs to a session that has ended since.
LOCKED = text(
    "SELECT l.objid::bigint FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted"
    " AND l.classid = :cls AND l.objsubid = 2"
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
).bindparams(cls=LOCK_CLASS)
TRY_LOCK = text("SELECT pg_try_advisory_lock(:cls, :id)").bindparams(cls=LOCK_CLASS)


def row_values(identity: ProcessIdentity, now: datetime) -> dict[str, object]:
    return {
        "host": identity.host,
        "pid": identity.pid,
        "start": identity.start,
        "started_at": now,
        "seen_at": now,
    }


def insert_process(conn: Connection, identity: ProcessIdentity, now: datetime) -> int:
    return int(conn.execute(INSERT, row_values(identity, now)).scalar_one())


def touch(conn: Connection, process_id: int, now: datetime) -> bool:
    """The heartbeat; False when the row is gone (another process judged this one dead)."""
    return conn.execute(TOUCH, {"b_id": process_id, "b_now": now}).rowcount == 1


def forget(conn: Connection, process_ids: Iterable[int]) -> None:
    ids = list(process_ids)
    if ids:
        conn.execute(DELETE, {"b_ids": ids})


def registered(conn: Connection, *, postgres: bool) -> list[Registered]:
    rows = conn.execute(LISTED).mappings().all()
    locked = set(conn.execute(LOCKED).scalars()) if postgres else None
    return [
        Registered(
            id=row["id"],
            identity=ProcessIdentity(host=row["host"], pid=row["pid"], start=row["start"]),
            seen_at=row["seen_at"],
            locked=None if locked is None else row["id"] in locked,
        )
        for row in rows
    ]


def gone_processes(
    processes: Sequence[Registered],
    *,
    me: int | None,
    host: str,
    now: datetime,
    stale_after: timedelta,
    alive: Callable[[ProcessIdentity], bool],
) -> dict[int, str]:
    """{process id: why it is gone} for every registered process but `me` that is dead."""
    gone: dict[int, str] = {}
    for process in processes:
        if process.id == me:
            continue
        same_host = process.locked is None and process.identity.host == host
        why = why_gone(
            process,
            here=host,
            alive_here=alive(process.identity) if same_host else None,
            now=now,
            stale_after=stale_after,
        )
        if why is not None:
            gone[process.id] = why
    return gone


class LockSession:
    """A PostgreSQL connection of one worker process's own, holding its advisory lock.

    The lock is taken in the transaction that inserts the process's row, so no other process can
    see the row before the lock is held. If this connection breaks, the lock is gone and others
    will treat the process as dead: `heartbeat` then answers False and the process registers
    again under a new id (its jobs of the old id are handed back to the queue meanwhile).
    """

    def __init__(self, url: URL) -> None:
        self._engine = create_engine(url, poolclass=NullPool, connect_args=_CLIENT_KEEPALIVES)
        self._conn: Connection | None = None
        self.process_id: int | None = None

    def register(self, identity: ProcessIdentity, now: datetime) -> int:
        self.close()
        conn = self._engine.connect()
        try:
            for setting in _SERVER_KEEPALIVES:
                try:
                    with conn.begin():
                        conn.exec_driver_sql(f"SET {setting}")
                except DBAPIError:  # an older server or a proxy: the socket's close still counts
                    log.info("registry: could not SET %s on the lock session", setting)
            with conn.begin():
                process_id = insert_process(conn, identity, now)
                if not conn.execute(TRY_LOCK, {"id": process_id}).scalar():
                    raise RuntimeError(f"the lock of new worker process {process_id} is taken")
        except BaseException:
            conn.close()
            raise
        self._conn, self.process_id = conn, process_id
        return process_id

    def heartbeat(self, now: datetime) -> bool:
        """Refresh the row over the lock's own connection, which proves the lock is still held."""
        if self._conn is None or self.process_id is None:
            return False
        try:
            with self._conn.begin():
                if touch(self._conn, self.process_id, now):
                    return True
        except DBAPIError as exc:
            log.warning("registry: the lock session of process %s broke: %s", self.process_id, exc)
        self.close()
        return False

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()  # the server releases the lock with the session
            except DBAPIError:
                pass
        self._conn, self.process_id = None, None

    def dispose(self) -> None:
        self.close()
        self._engine.dispose()
