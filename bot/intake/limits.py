"""What a stranger may cost the webhook: bytes held, seconds waited, connections kept open.

Anyone can reach the webhook, and a signature can only be checked once the whole body is in, so
each request's cost has to be bounded before Beadle knows who sent it. GitHub itself sends a
delivery whole and at once and gives Beadle 10 s to answer (docs/design.md §4), so none of these
bounds is felt by a real delivery:

- headers: a request whose headers do not arrive within `header_timeout` is dropped (the
  connection is closed), as is a connection kept idle past `keep_alive`;
- body: a body that has not arrived within `body_timeout` of its headers is answered 408 and the
  connection closed, so a half-sent request gives its slot back within seconds;
- memory: bodies being read hold at most `body_bytes` between them, across all requests; a
  request that would pass it is answered 503 with Retry-After before more is read;
- commit: a delivery waits at most `commit_timeout` for its group commit, then is answered 503,
  well inside GitHub's 10 s, so GitHub counts it failed and `beadle redeliver` can bring it back;
- connections: at most `max_connections` at once (a request beyond is answered 503), kept below
  the process's file-descriptor limit, which is raised to its hard limit at start.

The web handler (bot/intake/web.py) applies the first group per request; the server
(bot/intake/server.py) applies the rest to uvicorn. Both take one `Limits`.
"""

from __future__ import annotations

import logging
import resource
from dataclasses import dataclass

log = logging.getLogger("beadle.web")

MiB = 1024 * 1024
FD_RESERVE = 64  # descriptors kept for the database, log files, threads' pipes


@dataclass(frozen=True, slots=True)
class Limits:
    body_bytes: int = 64 * MiB  # BEADLE_INTAKE_MEMORY_MB: at least one 25 MB payload must fit
    header_timeout: float = 5.0
    body_timeout: float = 5.0
    commit_timeout: float = 4.0  # + body_timeout stays under GitHub's 10 s
    keep_alive: float = 5.0
    max_connections: int = 4096
    retry_after: int = 5  # seconds, said in a 503's Retry-After

    def connections_for(self, fd_limit: int) -> int:
        """The connection cap this process can honour: below its file-descriptor limit."""
        return max(16, min(self.max_connections, fd_limit - FD_RESERVE))


class BodyBudget:
    """Bytes of request bodies held at once, across all requests of one event loop.

    Only the event loop's thread touches it, so plain integers need no lock.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0

    def take(self, size: int, *, keep: int = 0) -> bool:
        """Reserve `size` more bytes, leaving at least `keep` free; False (nothing reserved) if
        that would pass the limit."""
        if self.held + size > self.limit - keep:
            return False
        self.held += size
        return True

    def give(self, size: int) -> None:
        self.held -= size


def raise_fd_limit() -> int:
    """Raise the soft limit on open files to the hard limit; return the limit now in force.

    Each connection is a file descriptor. A soft limit of 1,024 (a common default) would let a
    thousand idle connections stop the server from accepting GitHub's; the hard limit is what
    the operator allows the process.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError) as exc:  # e.g. an unlimited hard limit, or macOS's OPEN_MAX
            log.warning("could not raise the open-file limit from %d to %d: %s", soft, hard, exc)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20
