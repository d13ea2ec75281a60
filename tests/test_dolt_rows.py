"""The Dolt reader's row layer: tuples, encodings, value trees, and whole tables decoded from
Dolt's own test repositories (classic table files and archives v1 and v2)."""

from __future__ import annotations

import datetime as dt
import struct
from decimal import Decimal
from pathlib import Path

import pytest

from bot.beads.dolt import address
from bot.beads.dolt.database import DoltDatabase
from bot.beads.dolt.errors import CorruptData, NotFound, UnsupportedFormat
from bot.beads.dolt.files import LocalDirFiles
from bot.beads.dolt.rows import tree, values
from bot.beads.dolt.rows import tuple as tuples
from bot.beads.dolt.rows.values import JSONDoc, OutOfLine

DATA = Path(__file__).resolve().parent / "data" / "dolt"
REPOS = DATA / "dolt-archive-test-repos"


def make_tuple(*fields: bytes | None) -> bytes:
    """A val tuple as go/store/val/tuple.go writes one (NULL = empty field)."""
    while fields and fields[-1] is None:
        fields = fields[:-1]
    data = b"".join(f or b"" for f in fields)
    offsets, pos = [], 0
    for f in fields[:-1]:
        pos += len(f or b"")
        offsets.append(pos)
    return data + struct.pack(f"<{len(offsets)}H", *offsets) + struct.pack("<H", len(fields))


# -- tuples ---------------------------------------------------------------------------------


def test_tuple_fields_nulls_and_dropped_trailing_nulls() -> None:
    tup = make_tuple(b"ab\0", None, b"\x05", None, None)
    assert tuples.split(tup) == [b"ab\0", None, b"\x05"]
    assert tuples.field_count(tup) == 3
    assert tuples.split(make_tuple()) == []
    assert tuples.split(make_tuple(b"x")) == [b"x"]


def test_malformed_tuples_are_refused() -> None:
    with pytest.raises(CorruptData):
        tuples.split(b"\x01")
    with pytest.raises(CorruptData, match="out of order"):
        tuples.split(b"abcd" + struct.pack("<HH", 9, 2))
    with pytest.raises(CorruptData, match="too short"):
        tuples.split(struct.pack("<H", 40))


# -- encodings ------------------------------------------------------------------------------


def test_fixed_width_encodings_are_little_endian() -> None:
    assert values.decode(1, b"\xff", "c") == -1  # Int8
    assert values.decode(2, b"\xff", "c") == 255  # Uint8
    assert values.decode(7, struct.pack("<i", -7), "c") == -7  # Int32
    assert values.decode(9, struct.pack("<q", 2**40), "c") == 2**40  # Int64
    assert values.decode(10, struct.pack("<Q", 2**63), "c") == 2**63  # Uint64
    assert values.decode(12, struct.pack("<d", 1.5), "c") == 1.5  # Float64
    with pytest.raises(CorruptData, match="column c is 3 bytes, not 4"):
        values.decode(7, b"abc", "column c")


def test_datetimes_are_microseconds_since_the_epoch_in_utc() -> None:
    micros = 1779408087002 * 1000 + 123
    value = values.decode(18, struct.pack("<q", micros), "c")
    assert value == dt.datetime(2026, 5, 22, 0, 1, 27, 2123, tzinfo=dt.UTC)
    assert isinstance(value, dt.datetime)
    assert values.iso8601(value) == "2026-05-22T00:01:27.002123Z"
    assert values.iso8601(dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)) == "2026-01-02T03:04:05Z"
    assert values.decode(16, struct.pack("<I", 2026 << 16 | 5 << 8 | 21), "c") == dt.date(
        2026, 5, 21
    )
    assert values.decode(15, b"\x7d", "c") == 2026  # Year: offset from 1901


def test_strings_carry_a_nul_and_addresses_stay_out_of_line() -> None:
    assert values.decode(128, "héllo".encode() + b"\0", "c") == "héllo"
    assert values.decode(129, b"\x00\x01\0", "c") == b"\x00\x01"
    with pytest.raises(CorruptData, match="NUL"):
        values.decode(128, b"abc", "c")
    addr = address.of(b"x")
    assert values.decode(23, addr, "c") == OutOfLine("text", addr)
    assert values.decode(24, addr, "c") == OutOfLine("json", addr)
    assert values.decode(21, address.EMPTY, "c") == OutOfLine("bytes", address.EMPTY)
    assert OutOfLine("text", address.EMPTY).is_empty


def test_adaptive_values_inline_and_out_of_band() -> None:
    assert values.decode(135, b"\0hello", "c") == "hello"
    assert values.decode(139, b'\0{"a": 1}', "c") == JSONDoc({"a": 1})
    addr = address.of(b"long text")
    assert values.decode(135, b"\xf1\x10" + addr, "c") == OutOfLine("text", addr, 240 + 16)
    with pytest.raises(CorruptData):
        values.decode(135, b"\xf1\x10" + addr[:5], "c")


def test_sqlite4_varints() -> None:
    cases = {
        b"\x00": 0,
        b"\xf0": 240,
        b"\xf1\x00": 240,
        b"\xf8\xff": 2287,
        b"\xf9\x00\x00": 2288,
        b"\xfa\x01\x02\x03": 0x010203,
        b"\xff" + (2**64 - 1).to_bytes(8, "big"): 2**64 - 1,
    }
    for raw, value in cases.items():
        assert values.sqlite4_varint(raw, "c") == (value, len(raw))


def test_decimals() -> None:
    raw = struct.pack("<ib", -2, -1) + (12345).to_bytes(2, "big")
    assert values.decode(130, raw, "c") == Decimal("-123.45")


def test_encodings_this_reader_does_not_decode_are_named() -> None:
    with pytest.raises(UnsupportedFormat) as caught:
        values.decode(19, b"\x01\x00", "column mood of table t")
    assert str(caught.value) == (
        "column mood of table t uses the Enum encoding, which this reader does not decode"
    )


# -- whole tables ---------------------------------------------------------------------------


def test_archive_v1_table_matches_dolts_own_expectation() -> None:
    """archive.bats: `select sum(i) from tbl` is 138075 (i = 1..525)."""
    db = DoltDatabase(LocalDirFiles(REPOS / "v1" / "noms"))
    assert db.feature_version == 7
    assert db.commit.height == 43
    assert "refs/heads/main" in db.ref_names
    tbl = db.table("tbl")
    rows = list(tbl.rows())
    assert tbl.count == len(rows) == 525
    assert [r["i"] for r in rows] == list(range(1, 526))
    assert sum(int(str(r["i"])) for r in rows) == 138075
    guids = {r["guid"] for r in rows}
    assert len(guids) == 525 and all(isinstance(g, str) and len(g) == 36 for g in guids)


def test_archive_v2_table_with_a_dictionary() -> None:
    db = DoltDatabase(LocalDirFiles(REPOS / "v2" / "noms"))
    tbl = db.table("tbl")
    assert [c.name for c in tbl.schema.columns] == ["i", "a", "b", "c", "d"]
    rows = list(tbl.rows())
    assert [r["i"] for r in rows] == list(range(51))
    assert rows[0]["a"] == "78501efa-2c3f-4918-9f24-1fb788569b72"
    assert tbl.find({"i": 1}) == rows[1]  # an int key: found by scanning, not by byte order
    assert tbl.find({"i": 99}) is None


def test_a_classic_table_file_store_reads_the_same_rows_as_the_archive() -> None:
    """small_clone is base (archives v1) plus a few mutations, garbage collected into a
    snappy table file."""
    clone = DoltDatabase(LocalDirFiles(REPOS / "small_clone" / "noms")).table("tbl")
    base = DoltDatabase(LocalDirFiles(REPOS / "v1" / "noms")).table("tbl")
    assert list(clone.rows())[:10] == list(base.rows())[:10]
    assert clone.count == 525


def test_text_and_json_values_from_an_old_dolt() -> None:
    db = DoltDatabase(LocalDirFiles(DATA / "dolt-old-schemas" / "noms"))
    assert db.feature_version == 3
    tbl = db.table("dolt_schemas")
    (row,) = list(tbl.rows())
    assert row["type"] == "view" and row["name"] == "my_view"
    fragment, extra = row["fragment"], row["extra"]
    assert isinstance(fragment, OutOfLine) and isinstance(extra, OutOfLine)
    assert tbl.resolve(fragment, "fragment") == (
        "CREATE VIEW my_view AS\nSELECT 2+2 AS result FROM dual"
    )
    assert tbl.resolve(extra, "extra") == JSONDoc({"CreatedAt": 0})


def test_a_missing_table_or_branch_is_named() -> None:
    db = DoltDatabase(LocalDirFiles(REPOS / "v2" / "noms"))
    with pytest.raises(NotFound, match="no table issues on branch main"):
        db.table("issues")
    with pytest.raises(NotFound, match="no branch trunk"):
        DoltDatabase(LocalDirFiles(REPOS / "v2" / "noms"), branch="trunk")


# -- value trees built by hand --------------------------------------------------------------


def fb_message(file_id: str, fields: dict[int, tuple[str, object]]) -> bytes:
    """A Dolt message with one flatbuffer table: the 4-byte prefix, the root offset and file
    identifier, a vtable, the table (inline scalars, offsets to vectors), then the vectors."""
    slots = max(fields) + 1
    vt_len = 4 + 2 * slots
    inline = b""
    offsets = [0] * slots
    later: list[tuple[int, bytes]] = []  # (position of the uoffset in the table, vector bytes)
    for slot in sorted(fields):
        kind, value = fields[slot]
        offsets[slot] = 4 + len(inline)
        if kind == "u8":
            inline += struct.pack("<B", value)
        elif kind == "u64":
            inline += struct.pack("<Q", value)
        else:
            data = bytes(value) if kind == "bytes" else struct.pack(f"<{len(value)}H", *value)
            count = len(value)
            later.append((len(inline), struct.pack("<I", count) + data))
            inline += b"\0\0\0\0"
    vtable_at = 12
    table_at = vtable_at + vt_len
    table = bytearray(struct.pack("<i", table_at - vtable_at) + inline)
    tail = b""
    for at, vector in later:
        vector_at = table_at + len(table) + len(tail)
        struct.pack_into("<I", table, 4 + at, vector_at - (table_at + 4 + at))
        tail += vector
    vtable = struct.pack(f"<HH{slots}H", vt_len, len(table), *offsets)
    body = struct.pack("<I", table_at - 4) + file_id.encode() + vtable + bytes(table) + tail
    return bytes([27]) + len(body).to_bytes(3, "big") + body


def test_a_json_document_over_address_map_and_blob_nodes() -> None:
    """JSON documents are ADRM internal nodes over BLOB leaves (prolly/tree/json_chunker.go)."""
    leaves = [b'{"a": [1, ', b'2], "b": "x"}']
    store = {}
    for payload in leaves:
        msg = fb_message("BLOB", {0: ("bytes", payload), 3: ("u64", 1), 4: ("u8", 0)})
        store[address.of(msg)] = msg
    keys = b"$.a$.b"
    root = fb_message(
        "ADRM",
        {
            0: ("bytes", keys),
            1: ("u16s", (0, 3, 6)),
            2: ("bytes", b"".join(store)),
            4: ("u64", 2),
            5: ("u8", 1),
        },
    )
    store[address.of(root)] = root

    def get(addr: bytes, what: str) -> bytes:
        return store[addr]

    data = tree.value_bytes(get, address.of(root), "column metadata")
    assert data == b'{"a": [1, 2], "b": "x"}'
    assert values.parse_json(data, "column metadata") == JSONDoc({"a": [1, 2], "b": "x"})
    assert tree.value_bytes(get, address.EMPTY, "column metadata") == b""


def test_a_value_tree_whose_levels_do_not_fall_by_one_is_refused() -> None:
    leaf = fb_message("BLOB", {0: ("bytes", b"text"), 3: ("u64", 1), 4: ("u8", 0)})
    top = fb_message("BLOB", {1: ("bytes", address.of(leaf)), 3: ("u64", 1), 4: ("u8", 2)})
    store = {address.of(leaf): leaf, address.of(top): top}
    with pytest.raises(CorruptData, match="level-0 node under a level-2 node"):
        tree.value_bytes(lambda a, w: store[a], address.of(top), "column notes")
    prolly = fb_message("TUPM", {0: ("bytes", b""), 1: ("u16s", (0,)), 10: ("u8", 0)})
    store[address.of(prolly)] = prolly
    with pytest.raises(CorruptData, match="not a BLOB node"):
        tree.value_bytes(lambda a, w: store[a], address.of(prolly), "column notes")


def test_a_value_column_in_an_unknown_encoding_does_not_sink_the_row() -> None:
    from bot.beads.dolt.message.schema import Column, Schema
    from bot.beads.dolt.rows.table import TableRows
    from bot.beads.dolt.rows.values import Undecodable

    def column(name: str, encoding: int, key: bool = False) -> Column:
        return Column(name, "", encoding, 0, key, not key, False, False, False, False)

    schema = Schema(
        (column("id", 128, True), column("mood", 19), column("title", 128)),
        (0,),
        (1, 2),
        309,
        False,
    )
    key, value = make_tuple(b"bd-1\0"), make_tuple(b"\x02\x00", b"hello\0")
    leaf = fb_message(
        "TUPM",
        {
            0: ("bytes", key),
            1: ("u16s", (0, len(key))),
            3: ("bytes", value),
            4: ("u16s", (0, len(value))),
            9: ("u64", 1),
            10: ("u8", 0),
        },
    )
    rows = TableRows("issues", schema, leaf, lambda a, w: b"", tree.Nodes(lambda a, w: b""))
    (row,) = list(rows.rows())
    assert row["id"] == "bd-1" and row["title"] == "hello"
    mood = row["mood"]
    assert isinstance(mood, Undecodable)
    assert str(mood.error) == (
        "column mood of table issues uses the Enum encoding, which this reader does not decode"
    )
    found = rows.find({"id": "bd-1"})  # by descent: a String key under utf8mb4_0900_bin
    assert found is not None and found["title"] == "hello"
    assert isinstance(found["mood"], Undecodable)
