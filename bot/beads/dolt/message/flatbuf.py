"""A minimal, bounds-checked flatbuffers reader: tables, scalars, byte vectors, strings.

Dolt's chunks are flatbuffers (`go/serial/*.fbs`, generated readers in `go/gen/fb/serial/`)
behind a 4-byte prefix (`go/serial/fileidentifiers.go` FinishMessage: one byte 27, then the
message size as 3 big-endian bytes), with the 4-character file identifier at bytes 8-12. Only
reading is needed, and only a handful of field kinds, so this is hand-written rather than a
dependency. Like the generated `Init` methods, it refuses a table whose vtable declares more
fields than the schema this reader was written against: a newer writer's data is not guessed at.
"""

from __future__ import annotations

import struct

from ..errors import CorruptData, UnsupportedFormat

PREFIX_SIZE = 4
MESSAGE_KIND = 27  # go/serial/fileidentifiers.go MessageTypesKind


def file_id(msg: bytes) -> str:
    """The 4-character file identifier of a Dolt message ('' when it has none)."""
    if len(msg) < PREFIX_SIZE + 8:
        return ""
    return msg[PREFIX_SIZE + 4 : PREFIX_SIZE + 8].decode("latin-1")


class Table:
    """One flatbuffer table within `buf` at absolute position `pos`."""

    __slots__ = ("buf", "pos", "vt_len", "vtable", "what")

    def __init__(self, buf: bytes, pos: int, known_fields: int, what: str) -> None:
        self.buf = buf
        self.pos = pos
        self.what = what
        self._need(pos, 4)
        vt = pos - struct.unpack_from("<i", buf, pos)[0]
        self._need(vt, 4)
        vt_len = struct.unpack_from("<H", buf, vt)[0]
        if vt_len < 4 or vt_len % 2:
            raise CorruptData(f"{what} has a malformed vtable")
        self._need(vt, vt_len)
        self.vtable = vt
        self.vt_len = vt_len
        if (vt_len - 4) // 2 > known_fields:
            raise UnsupportedFormat(
                f"{what} has fields this reader does not know (written by a newer Dolt)"
            )

    def _need(self, pos: int, size: int) -> None:
        if pos < 0 or pos + size > len(self.buf):
            raise CorruptData(f"{self.what} points outside its {len(self.buf)} bytes")

    def position(self, slot: int) -> int:
        """Absolute position of field `slot`, or 0 when absent."""
        off = 4 + 2 * slot
        if off >= self.vt_len:
            return 0
        rel: int = struct.unpack_from("<H", self.buf, self.vtable + off)[0]
        return self.pos + rel if rel else 0

    def scalar(self, slot: int, fmt: str, default: int = 0) -> int:
        """An integer or bool field (struct format `fmt`, little-endian)."""
        at = self.position(slot)
        if not at:
            return default
        self._need(at, struct.calcsize(fmt))
        value: int = struct.unpack_from("<" + fmt, self.buf, at)[0]
        return value

    def _vector(self, slot: int, item: int) -> tuple[int, int] | None:
        at = self.position(slot)
        if not at:
            return None
        self._need(at, 4)
        vec = at + struct.unpack_from("<I", self.buf, at)[0]
        self._need(vec, 4)
        count: int = struct.unpack_from("<I", self.buf, vec)[0]
        self._need(vec + 4, count * item)
        return vec + 4, count

    def bytes(self, slot: int) -> bytes | None:
        """A [ubyte] field (None when absent)."""
        found = self._vector(slot, 1)
        if found is None:
            return None
        start, count = found
        return self.buf[start : start + count]

    def span(self, slot: int, item_size: int = 1) -> tuple[int, int] | None:
        """(start, count) of a vector field within the buffer, without copying."""
        return self._vector(slot, item_size)

    def uint16s(self, slot: int) -> tuple[int, ...] | None:
        found = self._vector(slot, 2)
        if found is None:
            return None
        start, count = found
        return struct.unpack_from(f"<{count}H", self.buf, start)

    def string(self, slot: int) -> str | None:
        raw = self.bytes(slot)
        if raw is None:
            return None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CorruptData(f"{self.what} has a string that is not UTF-8") from None

    def table(self, slot: int, known_fields: int, what: str) -> Table | None:
        at = self.position(slot)
        if not at:
            return None
        self._need(at, 4)
        return Table(self.buf, at + struct.unpack_from("<I", self.buf, at)[0], known_fields, what)

    def tables(self, slot: int, known_fields: int, what: str) -> list[Table]:
        found = self._vector(slot, 4)
        if found is None:
            return []
        start, count = found
        out = []
        for i in range(count):
            at = start + 4 * i
            out.append(
                Table(
                    self.buf,
                    at + struct.unpack_from("<I", self.buf, at)[0],
                    known_fields,
                    f"{what} {i}",
                )
            )
        return out


def root(msg: bytes, expected_id: str, known_fields: int, what: str) -> Table:
    """The root table of a Dolt message, after checking its prefix and file identifier."""
    if len(msg) < PREFIX_SIZE + 8:
        raise CorruptData(f"{what} is too short ({len(msg)} bytes) to be a Dolt message")
    fid = file_id(msg)
    if fid != expected_id:
        raise CorruptData(f"{what} is a {fid!r} message, not {expected_id!r}")
    if msg[0] != MESSAGE_KIND:
        raise CorruptData(f"{what} does not start with the serial-message kind byte")
    start: int = struct.unpack_from("<I", msg, PREFIX_SIZE)[0]
    return Table(msg, PREFIX_SIZE + start, known_fields, what)
