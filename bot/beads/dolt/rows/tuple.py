"""Val tuples: the bytes of a prolly map's keys and values.

Rule from Dolt's `go/store/val/tuple.go`: a tuple is its field bytes back to back, then a
little-endian u16 offset for the start of every field after the first, then a little-endian
u16 field count. An empty field is NULL; trailing NULL fields are dropped by the writer, so a
tuple may hold fewer fields than its descriptor (the rest read as NULL).
"""

from __future__ import annotations

import struct

from ..errors import CorruptData

MAX_FIELDS = 4096  # go/store/val/tuple.go MaxTupleFields


def split(tup: bytes, what: str = "a tuple") -> list[bytes | None]:
    """The fields of a tuple (None for NULL), validating its offsets."""
    if len(tup) < 2:
        raise CorruptData(f"{what} is {len(tup)} bytes, shorter than its field count")
    count = struct.unpack_from("<H", tup, len(tup) - 2)[0]
    if count == 0:
        if len(tup) != 2:
            raise CorruptData(f"{what} has no fields but {len(tup) - 2} bytes of data")
        return []
    if count > MAX_FIELDS:
        raise CorruptData(f"{what} claims {count} fields")
    split_at = len(tup) - 2 * count
    if split_at < 0:
        raise CorruptData(f"{what} is too short for its {count} field offsets")
    starts = (0, *struct.unpack_from(f"<{count - 1}H", tup, split_at), split_at)
    fields: list[bytes | None] = []
    for i in range(count):
        a, b = starts[i], starts[i + 1]
        if a > b or b > split_at:
            raise CorruptData(f"{what} has field offsets out of order")
        fields.append(tup[a:b] if a != b else None)
    return fields


def field_count(tup: bytes) -> int:
    """How many fields the tuple stores (trailing NULLs excluded)."""
    if len(tup) < 2:
        raise CorruptData("a tuple is shorter than its field count")
    count: int = struct.unpack_from("<H", tup, len(tup) - 2)[0]
    return count
