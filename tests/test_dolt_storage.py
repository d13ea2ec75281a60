"""The Dolt reader's storage layer on real files: addresses, manifests, classic table files,
archives v1/v2/v3, stores split into parts, and the chunk store's checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.beads.dolt import address
from bot.beads.dolt.errors import (
    AddressMismatch,
    ChunkNotFound,
    CorruptData,
    MissingBlob,
    UnsupportedFormat,
)
from bot.beads.dolt.files import CountingFiles, LocalDirFiles
from bot.beads.dolt.storage import archive, manifest, table
from bot.beads.dolt.storage.chunks import ChunkStore

DATA = Path(__file__).resolve().parent / "data" / "dolt"
BLOBS = DATA / "beads-refs-dolt-data" / "blobs"
REPOS = DATA / "dolt-archive-test-repos"
BEADS_ROOT = "ngf3f4o8edotjm2iegt42d8p604dgnqs"


def first_literal_byte(record: bytes) -> int:
    """Offset of the first literal data byte of a raw snappy stream: flipping it keeps the
    stream valid but changes what it decodes to."""
    pos = 0
    while record[pos] & 0x80:  # the uncompressed length, a LEB128 varint
        pos += 1
    tag = record[pos + 1]
    assert tag & 3 == 0, "a snappy stream starts with a literal"
    extra = max((tag >> 2) - 59, 0)
    return pos + 2 + extra


# -- addresses ------------------------------------------------------------------------------


def test_address_names_round_trip_and_the_alphabet_is_dolts() -> None:
    raw = address.decode(BEADS_ROOT)
    assert len(raw) == 20
    assert address.encode(raw) == BEADS_ROOT
    assert address.encode(bytes(20)) == "0" * 32
    assert address.encode(b"\xff" * 20) == "v" * 32
    with pytest.raises(CorruptData):
        address.decode("w" * 32)


def test_address_is_the_first_20_bytes_of_sha512() -> None:
    data = b"hello"
    assert address.verify(address.of(data), data, "here") == data
    with pytest.raises(AddressMismatch) as caught:
        address.verify(address.of(data), b"hellp", "file X")
    assert (
        str(caught.value) == f"chunk {address.encode(address.of(data))} in file X fails its "
        "address check"
    )


# -- manifests ------------------------------------------------------------------------------


def test_the_beads_manifest_names_12_live_files_and_the_root() -> None:
    parsed = manifest.parse((BLOBS / "manifest").read_bytes())
    assert parsed.root_name == BEADS_ROOT
    assert len(parsed.specs) == 12
    assert parsed.specs[0] == manifest.TableSpec("2bspe8vdredqv31mv4cf616tc8fa6sfn", 41762)
    assert sum(s.chunk_count for s in parsed.specs) == 41762 + 253931 + 2 * 6 + 20 + 684 + 476 + 8


def test_other_manifest_versions_and_formats_are_refused_by_name() -> None:
    text = (BLOBS / "manifest").read_text()
    with pytest.raises(UnsupportedFormat, match="manifest version 4 is not supported"):
        manifest.parse(("4" + text[1:]).encode())
    with pytest.raises(UnsupportedFormat, match="__LD_1__"):
        manifest.parse(text.replace("__DOLT__", "__LD_1__").encode())
    with pytest.raises(CorruptData, match="malformed table file"):
        manifest.parse(text.replace("2bspe8", "2bspe!").encode())
    with pytest.raises(CorruptData):
        manifest.parse(text.rsplit(":", 1)[0].encode())


# -- classic table files --------------------------------------------------------------------


def test_a_classic_table_file_and_its_tail_give_the_same_index() -> None:
    whole = table.parse_index((BLOBS / "8040lh7p700uqsb52oqpt9vodo3nolh0").read_bytes(), "w")
    tail = table.parse_index((BLOBS / "8040lh7p700uqsb52oqpt9vodo3nolh0.tail").read_bytes(), "t")
    assert whole.count == tail.count == 2
    assert whole.addresses() == tail.addresses()
    records = (BLOBS / "8040lh7p700uqsb52oqpt9vodo3nolh0.records").read_bytes()
    assert whole.records_size == len(records)
    for addr in whole.addresses():
        rng = whole.locate(addr)
        assert rng is not None
        chunk = table.decode_record(addr, records[rng[0] : rng[0] + rng[1]], "8040lh7p")
        assert address.of(chunk) == addr
    assert whole.locate(bytes(20)) is None


def test_a_table_file_without_its_magic_number_is_refused() -> None:
    data = bytearray((BLOBS / "6g0unutjo00rjrne9o4sdadgoa0870qc").read_bytes())
    data[-1] ^= 1
    with pytest.raises(CorruptData, match="magic number"):
        table.parse_index(bytes(data), "6g0u")
    with pytest.raises(CorruptData, match="is an archive"):
        table.parse_index((BLOBS / "v5f2nf8rpca6drm10uqficfgjj3kcvf3.darc").read_bytes(), "v5f2")


def test_a_flipped_byte_in_a_record_fails_the_address_check() -> None:
    data = (BLOBS / "dcsml3s6crjt7ip5q9h0nqlc5dknf9t4").read_bytes()
    index = table.parse_index(data, "dcsml3s6")
    root = address.decode(BEADS_ROOT)
    start, length = index.locate(root) or (0, 0)
    record = bytearray(data[start : start + length])
    record[first_literal_byte(bytes(record))] ^= 0x20
    with pytest.raises(AddressMismatch, match=f"chunk {BEADS_ROOT} in dcsml3s6 fails"):
        table.decode_record(root, bytes(record), "dcsml3s6")


# -- archives -------------------------------------------------------------------------------


def test_archive_footers_of_versions_1_2_and_3() -> None:
    v1 = REPOS / "v1" / "noms" / "oldgen" / "29o8a3uevcpr15tilcemb3s438edmoog.darc"
    v2 = REPOS / "v2" / "noms" / "oldgen" / "27avtn2a3upddh52eu750m4709gfps7s.darc"
    v3 = BLOBS / "pa3nbnutb140k9rqcbj4esn5e4qgosad.darc"
    for path, version, chunks, spans in ((v1, 1, 125, 126), (v2, 2, 230, 231), (v3, 3, 476, 476)):
        index = archive.parse_index(path.read_bytes(), path.name)
        assert (index.footer.version, index.footer.chunk_count) == (version, chunks)
        assert index.footer.span_count == spans  # v1/v2: one dictionary span; v3 here: none


def test_an_archive_tail_alone_is_enough_for_the_index() -> None:
    whole = archive.parse_index((BLOBS / "pa3nbnutb140k9rqcbj4esn5e4qgosad.darc").read_bytes(), "w")
    tail_bytes = (BLOBS / "pa3nbnutb140k9rqcbj4esn5e4qgosad.darc.tail").read_bytes()
    tail = archive.parse_index(tail_bytes, "t")
    assert whole.addresses() == tail.addresses()
    assert tail.footer.tail_size == len(tail_bytes)
    assert tail.data_size == len(
        (BLOBS / "pa3nbnutb140k9rqcbj4esn5e4qgosad.darc.records").read_bytes()
    )


def test_an_archive_of_a_later_format_version_is_refused() -> None:
    data = bytearray((BLOBS / "v5f2nf8rpca6drm10uqficfgjj3kcvf3.darc").read_bytes())
    data[-8] = 4
    with pytest.raises(UnsupportedFormat, match="archive format version 4"):
        archive.parse_index(bytes(data), "v5f2")
    data[-1] ^= 1
    with pytest.raises(CorruptData, match="DOLTARC"):
        archive.parse_index(bytes(data), "v5f2")


@pytest.mark.parametrize("repo", ["v1", "v2", "small_clone"])
def test_every_chunk_of_dolts_archive_test_repos_decodes_and_checks(repo: str) -> None:
    """Like `dolt fsck`: zstd with dictionaries (v1, v2), snappy table files (small_clone)."""
    store = ChunkStore(LocalDirFiles(REPOS / repo / "noms"))
    assert set(store.manifests) == {"", "oldgen/"}
    addrs = store.addresses()
    expected = sum(s.chunk_count for m in store.manifests.values() for s in m.specs)
    assert len(addrs) == expected
    for addr in addrs:
        assert address.of(store.get(addr)) == addr


def test_a_flipped_byte_in_an_archived_chunk_is_caught(tmp_path: Path) -> None:
    shutil.copytree(REPOS / "v2" / "noms", tmp_path / "noms")
    path = tmp_path / "noms" / "oldgen" / "27avtn2a3upddh52eu750m4709gfps7s.darc"
    data = bytearray(path.read_bytes())
    index = archive.parse_index(bytes(data), "27avtn2a")
    victim = index.addresses()[7]
    loc = index.locate(victim)
    assert loc is not None and loc.dictionary is not None
    data[loc.data[0] + loc.data[1] // 2] ^= 0x01
    path.write_bytes(bytes(data))
    store = ChunkStore(LocalDirFiles(tmp_path / "noms"))
    # zstd's own checks may catch it first; either way the chunk is refused by name
    with pytest.raises(CorruptData, match=address.encode(victim)):
        store.get(victim)


# -- stores in parts, missing blobs ---------------------------------------------------------


def split_into_parts(src: Path, dest: Path, name: str, part: int) -> int:
    """Write `src` as dest/name/0001, 0002, ... of `part` bytes (how git_blobstore stores a
    file over its part size); return the number of parts."""
    data = src.read_bytes()
    (dest / name).mkdir(parents=True)
    count = 0
    for count, start in enumerate(range(0, len(data), part), start=1):
        (dest / name / f"{count:04d}").write_bytes(data[start : start + part])
    return count


ARCHIVE = "27avtn2a3upddh52eu750m4709gfps7s.darc"


def v2_store_in_parts(tmp_path: Path, part: int) -> Path:
    """Dolt's v2 test repo with its archive stored as parts `X.darc/0001`... of `part` bytes."""
    store = tmp_path / "store"
    shutil.copytree(REPOS / "v2" / "noms", store)
    darc = store / "oldgen" / ARCHIVE
    split_into_parts(darc, store / "oldgen", darc.name + ".split", part)
    darc.unlink()
    (store / "oldgen" / (darc.name + ".split")).rename(darc)
    return store


def test_a_file_stored_in_parts_reads_only_the_parts_it_needs(tmp_path: Path) -> None:
    store = v2_store_in_parts(tmp_path, part=16 * 1024)
    files = CountingFiles(LocalDirFiles(store))
    chunks = ChunkStore(files)
    parts = sorted(p for p in files.entries() if ".darc/" in p)
    assert len(parts) == 5
    index = archive.parse_index((REPOS / "v2" / "noms" / "oldgen" / ARCHIVE).read_bytes(), "v2")
    assert chunks.table_files()[f"oldgen/{ARCHIVE}"] == "readable"
    # the footer and the index are at the end: only the last part(s) were fetched
    assert not any(p.endswith("/0001") for p in files.paths)
    first = index.addresses()[0]
    assert address.of(chunks.get(first)) == first
    fetched = {p for p in files.paths if ".darc/" in p}
    assert len(fetched) < len(parts)
    for addr in index.addresses():
        assert address.of(chunks.get(addr)) == addr
    assert {p for p in files.paths if ".darc/" in p} == set(parts)
    assert files.reads == len(set(files.paths))  # no blob fetched twice


def test_a_missing_part_is_named_with_its_path(tmp_path: Path) -> None:
    store = v2_store_in_parts(tmp_path, part=16 * 1024)
    files = LocalDirFiles(store)
    (store / "oldgen" / ARCHIVE / "0002").unlink()  # listed, but its fetch fails
    chunks = ChunkStore(files)
    index = archive.parse_index((REPOS / "v2" / "noms" / "oldgen" / ARCHIVE).read_bytes(), "v2")
    locations = {a: index.locate(a) for a in index.addresses()}
    in_part_2 = [a for a, loc in locations.items() if loc and 16384 <= loc.data[0] < 32768]
    assert in_part_2
    with pytest.raises(MissingBlob) as caught:
        chunks.get(in_part_2[0])
    assert "oldgen/27avtn2a3upddh52eu750m4709gfps7s.darc/0002" in str(caught.value)
    assert caught.value.path == "oldgen/27avtn2a3upddh52eu750m4709gfps7s.darc/0002"


def test_parts_must_be_numbered_from_0001_without_gaps(tmp_path: Path) -> None:
    store = v2_store_in_parts(tmp_path, part=16 * 1024)
    darc = store / "oldgen" / ARCHIVE
    (darc / "0003").rename(darc / "0009")
    with pytest.raises(CorruptData, match="is not 0003"):
        ChunkStore(LocalDirFiles(store))


def test_a_chunk_in_no_readable_file_names_the_unreadable_ones(tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(REPOS / "v2" / "noms", store)
    (store / "oldgen" / "27avtn2a3upddh52eu750m4709gfps7s.darc").unlink()
    chunks = ChunkStore(LocalDirFiles(store))
    with pytest.raises(ChunkNotFound) as caught:
        chunks.get(address.of(b"no such chunk"), "the test's chunk")
    text = str(caught.value)
    assert "(the test's chunk) is in none of the table files" in text
    assert "oldgen/27avtn2a3upddh52eu750m4709gfps7s is missing" in text
    assert "the manifest names it but the tree has no such file" in text


def test_a_chunk_journal_is_refused_by_name(tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(REPOS / "v2" / "noms", store)
    text = (store / "manifest").read_text()
    (store / "manifest").write_text(text.replace("i8ivrn485g73hao1foo3p7l2clq3gqqv", "v" * 32))
    with pytest.raises(UnsupportedFormat, match="chunk journal"):
        ChunkStore(LocalDirFiles(store))
