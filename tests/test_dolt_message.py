"""The Dolt reader's message layer on the beads data: store root, refs, commit, root value,
tables, schemas and tree nodes, and the refusals (wrong file id, unknown fields, newer feature
version)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from bot.beads.dolt.errors import CorruptData, UnsupportedFormat
from bot.beads.dolt.files import LocalDirFiles
from bot.beads.dolt.message import flatbuf, nodes, objects, schema
from bot.beads.dolt.storage.chunks import ChunkStore

BLOBS = Path(__file__).resolve().parent / "data" / "dolt" / "beads-refs-dolt-data" / "blobs"


@pytest.fixture(scope="module")
def store() -> ChunkStore:
    return ChunkStore(LocalDirFiles(BLOBS))


def refs(store: ChunkStore) -> dict[bytes, bytes]:
    root = objects.decode_store_root(store.get(store.root))
    refs_map = nodes.decode_address_map(root.refs_map)
    return dict(zip(refs_map.keys, refs_map.values, strict=True))


def main_commit(store: ChunkStore) -> objects.Commit:
    return objects.decode_commit(store.get(refs(store)[b"refs/heads/main"]))


def tables(store: ChunkStore) -> dict[bytes, bytes]:
    value = objects.decode_root_value(store.get(main_commit(store).root))
    assert value.tables_map is not None
    table_map = nodes.decode_address_map(value.tables_map)
    return dict(zip(table_map.keys, table_map.values, strict=True))


def test_the_store_root_holds_the_refs(store: ChunkStore) -> None:
    msg = store.get(store.root)
    assert flatbuf.file_id(msg) == "STRT"
    assert list(refs(store)) == [b"refs/heads/main"]


def test_the_main_commit(store: ChunkStore) -> None:
    commit = main_commit(store)
    assert commit.height == 1575
    assert commit.name == "root"
    assert commit.description == "bd: comment (auto-commit) by controller"
    assert commit.timestamp_millis == 1779408087002
    assert len(commit.parents) == 1


def test_the_root_value_has_feature_version_7_and_23_tables(store: ChunkStore) -> None:
    value = objects.decode_root_value(store.get(main_commit(store).root))
    assert value.feature_version == 7
    names = list(tables(store))
    assert len(names) == 23
    assert names == sorted(names)  # an address map is ordered by the bytes of its names
    assert {b"issues", b"labels", b"comments", b"dependencies", b"events"} <= set(names)


def test_the_issues_schema_gives_column_order_and_encodings(store: ChunkStore) -> None:
    ref = objects.decode_table(store.get(tables(store)[b"issues"]), "issues")
    sch = schema.decode_schema(store.get(ref.schema), "issues")
    assert len(sch.columns) == 57
    assert not sch.keyless
    assert sch.collation == 309  # utf8mb4_0900_bin
    assert [c.name for c in sch.key_fields] == ["id"]
    by_name = {c.name: c for c in sch.columns}
    assert by_name["id"].primary_key and by_name["id"].encoding == 128  # String
    assert by_name["description"].encoding == 23  # StringAddr: TEXT lives out of line
    assert by_name["priority"].encoding == 7  # Int32
    assert by_name["created_at"].encoding == 18  # Datetime
    assert by_name["metadata"].encoding == 24  # JSONAddr
    assert by_name["ephemeral"].encoding == 1  # Int8
    # stored order is not beads' migration order: later columns were added at the end
    assert [c.name for c in sch.columns][-3:] == ["spec_id", "no_history", "started_at"]
    assert sch.value_columns == tuple(range(1, 57))


def test_the_issues_index_root_is_a_prolly_node(store: ChunkStore) -> None:
    ref = objects.decode_table(store.get(tables(store)[b"issues"]), "issues")
    root = nodes.decode_prolly(ref.primary_index)
    assert root.level == 2
    assert root.tree_count == 2052
    assert len(root.children) == len(root.keys)
    child = nodes.decode_prolly(store.get(root.children[0]))
    assert child.level == 1
    assert child.keys[-1] == root.keys[0]  # an internal key is its subtree's last key


def test_a_message_of_another_kind_is_refused(store: ChunkStore) -> None:
    msg = store.get(store.root)
    with pytest.raises(CorruptData, match="is a 'STRT' message, not 'DCMT'"):
        objects.decode_commit(msg)
    with pytest.raises(UnsupportedFormat, match="not a tree node"):
        nodes.decode_node(msg, "a node")
    with pytest.raises(CorruptData, match="too short"):
        objects.decode_commit(b"\x1b\x00\x00\x02ab")


def test_a_table_with_fields_from_a_newer_dolt_is_refused(store: ChunkStore) -> None:
    msg = bytearray(store.get(refs(store)[b"refs/heads/main"]))
    root_table = 4 + struct.unpack_from("<I", msg, 4)[0]
    vtable = root_table - struct.unpack_from("<i", msg, root_table)[0]
    vt_len = struct.unpack_from("<H", msg, vtable)[0]
    struct.pack_into("<H", msg, vtable, vt_len + 2 * (13 - (vt_len - 4) // 2))
    with pytest.raises(UnsupportedFormat, match="fields this reader does not know"):
        objects.decode_commit(bytes(msg))


def test_a_newer_feature_version_is_refused(store: ChunkStore) -> None:
    msg = bytearray(store.get(main_commit(store).root))
    table = flatbuf.root(bytes(msg), "RTVL", 5, "the root value")
    at = table.position(0)
    assert struct.unpack_from("<q", msg, at)[0] == 7
    struct.pack_into("<q", msg, at, 9)
    with pytest.raises(UnsupportedFormat) as caught:
        objects.decode_root_value(bytes(msg))
    assert str(caught.value) == (
        "root value feature version 9 is newer than this reader knows (up to 7)"
    )


def test_item_offsets_must_span_the_items(store: ChunkStore) -> None:
    ref = objects.decode_table(store.get(tables(store)[b"issues"]), "issues")
    msg = bytearray(ref.primary_index)
    table = flatbuf.root(bytes(msg), "TUPM", 11, "node")
    span = table.span(1, 2)  # key_offsets
    assert span is not None
    struct.pack_into("<H", msg, span[0], 3)  # the first offset must be 0
    with pytest.raises(CorruptData, match="item offsets"):
        nodes.decode_prolly(bytes(msg))
