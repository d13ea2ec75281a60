"""Dolt archives (`.darc`): byte spans, an index, JSON metadata, and a footer ending `DOLTARC`.

Rules from Dolt's `go/store/nbs/archive.go` (the format comment and footer offsets) and
`archive_reader.go` (`buildArchiveFooter`, `newInMemoryArchiveIndexReader`, `getRawByRef`,
`decompress`), `archive_chunker.go` (`NewDecompBundle`):

    spans | span ends (u64 * spans) | prefixes (u64 * chunks) | (dict id, data id) u32 pairs
          | suffixes (12 * chunks) | metadata | footer

    footer: u64 index length (u32 in versions 1 and 2, whose footer is 4 bytes shorter)
            | u32 span count | u32 chunk count | u32 metadata length | 192 unused bytes
            | u8 format version | "DOLTARC"

Span ids are 1-based (0 is the empty span). A chunk whose dictionary id is 0 is snappy with a
CRC32C, as in classic table files (version 2 and later only); any other dictionary id names a
span holding a zstd-compressed zstd dictionary for the chunk's zstd frame. Versions 1 to 3 are
read; a later version is refused.

Pure functions over bytes; the chunk store does the fetching.
"""

from __future__ import annotations

import bisect
import struct
import sys
from array import array
from dataclasses import dataclass

from .. import address
from ..errors import CorruptData, UnsupportedFormat
from . import compress
from .table import CRC_SIZE

SIGNATURE = b"DOLTARC"
MAX_VERSION = 3
FOOTER_SIZE = 8 + 4 + 4 + 4 + 192 + 1 + len(SIGNATURE)  # version 3; versions 1-2: 4 fewer


def _be_array(code: str, data: bytes) -> array:  # type: ignore[type-arg]
    values = array(code, data)
    if sys.byteorder == "little":
        values.byteswap()
    return values


@dataclass(frozen=True)
class Footer:
    version: int
    index_size: int
    span_count: int
    chunk_count: int
    metadata_size: int

    @property
    def size(self) -> int:
        return FOOTER_SIZE if self.version >= 3 else FOOTER_SIZE - 4

    @property
    def tail_size(self) -> int:
        """Bytes from the start of the index to the end of the file."""
        return self.index_size + self.metadata_size + self.size


def parse_footer(tail: bytes, where: str) -> Footer:
    """Read the footer from bytes that end the archive; checks signature and version."""
    if len(tail) < FOOTER_SIZE - 4 or tail[-len(SIGNATURE) :] != SIGNATURE:
        raise CorruptData(f"{where} does not end in the archive signature DOLTARC")
    version = tail[-len(SIGNATURE) - 1]
    if version < 1 or version > MAX_VERSION:
        raise UnsupportedFormat(
            f"{where} is archive format version {version}; this reader knows versions 1 to 3"
        )
    start = len(tail) - (FOOTER_SIZE if version >= 3 else FOOTER_SIZE - 4)
    if start < 0:
        raise CorruptData(f"{where} is too short for an archive footer")
    if version >= 3:
        index_size, spans, chunks, meta = struct.unpack_from(">QIII", tail, start)
    else:
        index_size, spans, chunks, meta = struct.unpack_from(">IIII", tail, start)
    if index_size != spans * 8 + chunks * (8 + 8 + 12):
        raise CorruptData(
            f"{where} has an index of {index_size} bytes, which does not fit "
            f"{spans} spans and {chunks} chunks"
        )
    return Footer(version, index_size, spans, chunks, meta)


@dataclass(frozen=True)
class Location:
    """Where an archived chunk's bytes are: its data span and, for zstd, its dictionary span."""

    data: tuple[int, int]  # (offset, length) in the archive file
    dictionary: tuple[int, int] | None  # None: snappy with CRC
    dictionary_id: int


@dataclass(frozen=True)
class ArchiveIndex:
    where: str
    footer: Footer
    span_ends: array  # type: ignore[type-arg]  # index 0 is the empty span (end 0)
    prefixes: array  # type: ignore[type-arg]
    refs: array  # type: ignore[type-arg]  # dict id, data id, per chunk
    suffixes: bytes

    def span(self, span_id: int) -> tuple[int, int]:
        start = self.span_ends[span_id - 1]
        return start, self.span_ends[span_id] - start

    def locate(self, addr: bytes) -> Location | None:
        """Where the chunk with address `addr` is, or None if this archive lacks it."""
        prefix = int.from_bytes(addr[:8], "big")
        suffix = addr[8:]
        count = self.footer.chunk_count
        i = bisect.bisect_left(self.prefixes, prefix)
        while i < count and self.prefixes[i] == prefix:
            if self.suffixes[i * 12 : i * 12 + 12] == suffix:
                dict_id, data_id = self.refs[2 * i], self.refs[2 * i + 1]
                return Location(
                    self.span(data_id), self.span(dict_id) if dict_id else None, dict_id
                )
            i += 1
        return None

    def addresses(self) -> list[bytes]:
        """Every chunk address in the archive, in index order."""
        return [
            self.prefixes[i].to_bytes(8, "big") + self.suffixes[i * 12 : i * 12 + 12]
            for i in range(self.footer.chunk_count)
        ]

    @property
    def data_size(self) -> int:
        return int(self.span_ends[-1])


def parse_index(tail: bytes, where: str) -> ArchiveIndex:
    """Parse the index from bytes that end the archive (a `.darc.tail` blob or the whole file)."""
    footer = parse_footer(tail, where)
    if len(tail) < footer.tail_size:
        raise CorruptData(f"{where} is {len(tail)} bytes, shorter than its index and footer")
    pos = len(tail) - footer.tail_size
    spans, chunks = footer.span_count, footer.chunk_count
    ends = array("Q", [0])
    ends.extend(_be_array("Q", tail[pos : pos + spans * 8]))
    pos += spans * 8
    prefixes = _be_array("Q", tail[pos : pos + chunks * 8])
    pos += chunks * 8
    refs = _be_array("I", tail[pos : pos + chunks * 8])
    pos += chunks * 8
    suffixes = tail[pos : pos + chunks * 12]
    if any(ends[i] > ends[i + 1] for i in range(spans)):
        raise CorruptData(f"{where} has span offsets that go backwards")
    if any(prefixes[i] > prefixes[i + 1] for i in range(chunks - 1)):
        raise CorruptData(f"{where} has an unsorted index")
    if any(r > spans for r in refs) or any(refs[i] == 0 for i in range(1, 2 * chunks, 2)):
        raise CorruptData(f"{where} has a chunk reference to a span that does not exist")
    if footer.version < 2 and any(refs[i] == 0 for i in range(0, 2 * chunks, 2)):
        raise CorruptData(f"{where} is format version 1 but has a chunk without a dictionary")
    return ArchiveIndex(where, footer, ends, prefixes, refs, suffixes)


def decode_chunk(
    addr: bytes, data: bytes, dictionary: compress.Dictionary | None, where: str
) -> bytes:
    """Uncompressed chunk from its span (and its dictionary), checked against its address."""
    what = f"chunk {address.encode(addr)} in {where}"
    if dictionary is None:
        if len(data) < CRC_SIZE:
            raise CorruptData(f"{what} is shorter than its checksum")
        raw = compress.snappy(data[:-CRC_SIZE], what)
    else:
        raw = compress.zstd(data, dictionary, what)
    return address.verify(addr, raw, where)
