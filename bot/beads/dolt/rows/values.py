"""Field values by storage encoding (`go/serial/encoding.fbs`, `go/store/val/codec.go`).

Integers are little-endian; Datetime is int64 microseconds since the Unix epoch in UTC; Date
packs year << 16 | month << 8 | day; Year is an offset from 1901 (255 = 0); strings and byte
strings carry a trailing NUL; Decimal is an i32 exponent, an i8 sign and a big-endian
coefficient. Address encodings (StringAddr, BytesAddr, JSONAddr) hold the 20-byte address of a
value tree, returned as OutOfLine for the caller to fetch; the all-zero address is the empty
value. Adaptive encodings (`go/store/val/adaptive_value.go`) are either inline (a 0 byte, then
the bytes) or out of band (a SQLite4 varint length, then an address). Encodings this reader does
not decode (Time, Enum, Set, geometry, extended types...) raise UnsupportedFormat naming the
column, and only when that column is read.
"""

from __future__ import annotations

import datetime as dt
import json
import struct
from dataclasses import dataclass
from decimal import Decimal

from .. import address
from ..errors import CorruptData, UnsupportedFormat

_FIXED = {1: "b", 2: "B", 3: "h", 4: "H", 7: "i", 8: "I", 9: "q", 10: "Q", 13: "Q"}
_FLOATS = {11: "f", 12: "d"}
NAMES = {
    0: "Null",
    1: "Int8",
    2: "Uint8",
    3: "Int16",
    4: "Uint16",
    7: "Int32",
    8: "Uint32",
    9: "Int64",
    10: "Uint64",
    11: "Float32",
    12: "Float64",
    13: "Bit64",
    14: "Hash128",
    15: "Year",
    16: "Date",
    17: "Time",
    18: "Datetime",
    19: "Enum",
    20: "Set",
    21: "BytesAddr",
    22: "CommitAddr",
    23: "StringAddr",
    24: "JSONAddr",
    25: "Cell",
    26: "GeomAddr",
    27: "ExtendedAddr",
    128: "String",
    129: "Bytes",
    130: "Decimal",
    131: "JSON",
    133: "Geometry",
    134: "Extended",
    135: "StringAdaptive",
    136: "BytesAdaptive",
    137: "ExtendedAdaptive",
    138: "GeomAdaptive",
    139: "JsonAdaptive",
}
_ADDR_KINDS = {21: "bytes", 23: "text", 24: "json"}
_ADAPTIVE_KINDS = {135: "text", 136: "bytes", 139: "json"}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MIN_YEAR = 1901


@dataclass(frozen=True)
class OutOfLine:
    """A value stored as its own tree of chunks: `kind` is text, bytes or json."""

    kind: str
    address: bytes
    length: int | None = None  # known for adaptive values

    @property
    def is_empty(self) -> bool:
        return self.address == address.EMPTY


@dataclass(frozen=True)
class JSONDoc:
    """A parsed JSON value (kept apart from strings so callers know it was a JSON column)."""

    value: object


@dataclass(frozen=True)
class Undecodable:
    """A value column whose encoding this reader does not decode: the row still reads, and
    whoever needs this field gets `error`."""

    error: UnsupportedFormat


Value = (
    int
    | float
    | str
    | bytes
    | Decimal
    | dt.date
    | dt.datetime
    | OutOfLine
    | JSONDoc
    | Undecodable
    | None
)


def sqlite4_varint(buf: bytes, what: str) -> tuple[int, int]:
    """(value, bytes used) of a SQLite4 varint (the `mohae/uvarint` package Dolt uses)."""
    if not buf:
        raise CorruptData(f"{what} has an empty varint")
    a0 = buf[0]
    if a0 <= 240:
        return a0, 1
    need = {249: 3, 250: 4, 251: 5, 252: 6, 253: 7, 254: 8, 255: 9}.get(a0, 2)
    if len(buf) < need:
        raise CorruptData(f"{what} has a truncated varint")
    if a0 <= 248:
        return 240 + 256 * (a0 - 241) + buf[1], 2
    if a0 == 249:
        return 2288 + 256 * buf[1] + buf[2], 3
    return int.from_bytes(buf[1:need], "big"), need


def _expect(raw: bytes, size: int, what: str) -> None:
    if len(raw) != size:
        raise CorruptData(f"{what} is {len(raw)} bytes, not {size}")


def decode(encoding: int, raw: bytes, what: str) -> Value:
    """One non-NULL field's value; `what` names the column for error messages."""
    if encoding in _FIXED:
        fmt = _FIXED[encoding]
        _expect(raw, struct.calcsize(fmt), what)
        value: int = struct.unpack("<" + fmt, raw)[0]
        return value
    if encoding in _FLOATS:
        fmt = _FLOATS[encoding]
        _expect(raw, struct.calcsize(fmt), what)
        number: float = struct.unpack("<" + fmt, raw)[0]
        return number
    if encoding == 18:  # Datetime
        _expect(raw, 8, what)
        micros = struct.unpack("<q", raw)[0]
        try:
            return _EPOCH + dt.timedelta(microseconds=micros)
        except OverflowError:
            raise UnsupportedFormat(f"{what} holds a datetime outside years 1-9999") from None
    if encoding == 16:  # Date
        _expect(raw, 4, what)
        packed = struct.unpack("<I", raw)[0]
        try:
            return dt.date(packed >> 16, (packed >> 8) & 0xFF, packed & 0xFF)
        except ValueError:
            raise UnsupportedFormat(f"{what} holds a date Python cannot represent") from None
    if encoding == 15:  # Year
        _expect(raw, 1, what)
        return 0 if raw[0] == 255 else _MIN_YEAR + raw[0]
    if encoding in (128, 129):  # String, Bytes: NUL-terminated
        if not raw or raw[-1] != 0:
            raise CorruptData(f"{what} lacks its terminating NUL")
        if encoding == 129:
            return raw[:-1]
        try:
            return raw[:-1].decode("utf-8")
        except UnicodeDecodeError:
            raise CorruptData(f"{what} is not UTF-8") from None
    if encoding in _ADDR_KINDS:
        _expect(raw, address.SIZE, what)
        return OutOfLine(_ADDR_KINDS[encoding], raw)
    if encoding == 22:  # CommitAddr
        _expect(raw, address.SIZE, what)
        return address.encode(raw)
    if encoding == 14:  # Hash128
        _expect(raw, 16, what)
        return raw
    if encoding == 130:
        return _decimal(raw, what)
    if encoding in _ADAPTIVE_KINDS:
        return _adaptive(_ADAPTIVE_KINDS[encoding], raw, what)
    name = NAMES.get(encoding, f"number {encoding}")
    raise UnsupportedFormat(f"{what} uses the {name} encoding, which this reader does not decode")


def _decimal(raw: bytes, what: str) -> Decimal:
    if len(raw) == 4:
        raise UnsupportedFormat(f"{what} holds a NaN or infinite decimal")
    if len(raw) < 5:
        raise CorruptData(f"{what} is too short for a decimal")
    exponent, sign = struct.unpack_from("<ib", raw)
    coefficient = int.from_bytes(raw[5:], "big")
    return Decimal((1 if sign < 0 else 0, tuple(int(d) for d in str(coefficient)), exponent))


def _adaptive(kind: str, raw: bytes, what: str) -> Value:
    if raw[0] == 0:
        body = raw[1:]
        if kind == "bytes":
            return body
        if kind == "json":
            return parse_json(body, what)
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise CorruptData(f"{what} is not UTF-8") from None
    length, used = sqlite4_varint(raw, what)
    _expect(raw[used:], address.SIZE, f"the address in {what}")
    return OutOfLine(kind, raw[used:], length)


def parse_json(body: bytes, what: str) -> JSONDoc:
    """A stored JSON document (Dolt escapes <, > and & as \\u003c...; json.loads undoes it)."""
    try:
        return JSONDoc(json.loads(body.decode("utf-8")))
    except (UnicodeDecodeError, ValueError):
        raise CorruptData(f"{what} is not valid JSON") from None


def iso8601(value: dt.datetime) -> str:
    """RFC 3339 in UTC the way Go's time.Time marshals it (beads' JSONL): `...T...Z`."""
    text = value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"
