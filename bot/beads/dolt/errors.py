"""The errors this reader raises: one base class, each message a sentence that names what failed.

Beadle shows these to pull-request authors ("beads Dolt data could not be read: ..."), so every
message says which blob, file, chunk, field or version is at fault and never leaks a traceback's
vocabulary. The reader is correct or silent: anything it does not understand raises one of these
rather than returning a guess.
"""

from __future__ import annotations


class DoltReadError(Exception):
    """Base class: reading beads' Dolt data failed; str() is a sentence naming what failed."""


class MissingBlob(DoltReadError):
    """A git blob that the tree of refs/dolt/data lists (or must hold) could not be fetched."""

    def __init__(self, path: str, blob: str | None = None, reason: str = "") -> None:
        self.path = path
        self.blob = blob
        what = f"blob {blob[:12]} ({path})" if blob else f"blob {path}"
        tail = f": {reason}" if reason else ""
        super().__init__(f"{what} is missing from refs/dolt/data{tail}")


class UnsupportedFormat(DoltReadError):
    """The data uses a version, format or encoding this reader does not know; nothing is guessed."""


class CorruptData(DoltReadError):
    """Bytes that should follow Dolt's format do not (bad magic, bad lengths, failed checks)."""


class AddressMismatch(CorruptData):
    """A chunk's content does not hash to the address it is stored under."""

    def __init__(self, address: str, where: str) -> None:
        self.address = address
        self.where = where
        super().__init__(f"chunk {address} in {where} fails its address check")


class ChunkNotFound(DoltReadError):
    """No live table file holds a chunk (or the files that might hold it could not be read)."""

    def __init__(self, address: str, what: str, unreadable: tuple[DoltReadError, ...] = ()) -> None:
        self.address = address
        self.unreadable = unreadable
        msg = f"chunk {address} ({what}) is in none of the table files that could be read"
        if unreadable:
            msg += "; unreadable: " + "; ".join(str(e) for e in unreadable)
        super().__init__(msg)


class NotFound(DoltReadError):
    """A named thing (ref, table, column) is not in the data."""
