"""Classic (Noms) table files: chunk records, then an index, then a footer.

Rules from Dolt's `go/store/nbs/table.go` (the layout comment), `table_index.go`
(`ReadTableFooter`, `newOnHeapTableIndex`) and `table_reader.go` (`NewCompressedChunk`):

    records | prefix tuples (8-byte prefix, u32 ordinal) * n | u32 lengths * n
            | 12-byte suffixes * n | u32 count | u64 uncompressed bytes
            | magic ff b5 d8 c2 24 63 ee 50

All integers are big-endian. Prefix tuples are sorted by prefix; the ordinal names the record,
its length and its suffix. A record is snappy data followed by a CRC32C of it. The CRC is not
recomputed here: every chunk is checked against its SHA-512 address after decompression, which
catches everything the CRC would and more.

Pure functions over bytes; the chunk store does the fetching.
"""

from __future__ import annotations

import bisect
import struct
import sys
from array import array
from dataclasses import dataclass
from itertools import accumulate

from .. import address
from ..errors import CorruptData, UnsupportedFormat
from . import compress

MAGIC = b"\xff\xb5\xd8\xc2\x24\x63\xee\x50"
FOOTER_SIZE = 4 + 8 + 8
ARCHIVE_SIGNATURE = b"DOLTARC"
_ENTRY = 8 + 4 + 4 + 12  # prefix tuple + length + suffix, per chunk
CRC_SIZE = 4


def index_size(count: int) -> int:
    """Bytes of index plus footer for a table of `count` chunks (`table_index.go` indexSize)."""
    return count * _ENTRY + FOOTER_SIZE


def footer_count(tail: bytes, where: str) -> int:
    """The chunk count from the last 20 bytes; checks the magic number."""
    if len(tail) < FOOTER_SIZE:
        raise CorruptData(f"{where} is too short ({len(tail)} bytes) to be a table file")
    if tail[-8:] != MAGIC:
        if tail[-7:] == ARCHIVE_SIGNATURE:
            raise CorruptData(f"{where} is an archive, not a classic table file")
        raise CorruptData(f"{where} does not end in the table file magic number")
    count: int = struct.unpack_from(">I", tail, len(tail) - FOOTER_SIZE)[0]
    return count


@dataclass(frozen=True)
class TableIndex:
    """A classic table file's index: find a chunk's byte range by its address."""

    where: str
    count: int
    prefixes: array  # type: ignore[type-arg]  # sorted u64 prefixes
    ordinals: array  # type: ignore[type-arg]  # ordinal for each prefix position
    ends: tuple[int, ...]  # end offset of record `ordinal` (records are back to back from 0)
    suffixes: bytes  # 12 bytes per ordinal

    def locate(self, addr: bytes) -> tuple[int, int] | None:
        """(offset, length) of the record holding `addr`, or None if this file lacks it."""
        prefix = int.from_bytes(addr[:8], "big")
        suffix = addr[8:]
        i = bisect.bisect_left(self.prefixes, prefix)
        while i < self.count and self.prefixes[i] == prefix:
            ordinal = self.ordinals[i]
            if self.suffixes[ordinal * 12 : ordinal * 12 + 12] == suffix:
                start = self.ends[ordinal - 1] if ordinal else 0
                return start, self.ends[ordinal] - start
            i += 1
        return None

    def addresses(self) -> list[bytes]:
        """Every chunk address in the file, in index order."""
        return [
            self.prefixes[i].to_bytes(8, "big")
            + self.suffixes[self.ordinals[i] * 12 : self.ordinals[i] * 12 + 12]
            for i in range(self.count)
        ]

    @property
    def records_size(self) -> int:
        return self.ends[-1] if self.ends else 0


def parse_index(tail: bytes, where: str) -> TableIndex:
    """Parse the index from bytes that end with it (a `.tail` blob or the whole file)."""
    count = footer_count(tail, where)
    size = index_size(count)
    if len(tail) < size:
        raise CorruptData(f"{where} is {len(tail)} bytes, too short for an index of {count} chunks")
    base = len(tail) - size
    tuples = tail[base : base + count * 12]
    lengths = array("I", tail[base + count * 12 : base + count * 16])
    if lengths.itemsize != 4:
        raise UnsupportedFormat("this platform's unsigned int is not 32 bits")
    if sys.byteorder == "little":
        lengths.byteswap()
    suffixes = tail[base + count * 16 : base + count * 28]
    prefixes = array("Q")
    ordinals = array("I")
    for prefix, ordinal in struct.iter_unpack(">QI", tuples):
        if ordinal >= count:
            raise CorruptData(f"{where} has an index entry for record {ordinal} of {count}")
        prefixes.append(prefix)
        ordinals.append(ordinal)
    if any(prefixes[i] > prefixes[i + 1] for i in range(count - 1)):
        raise CorruptData(f"{where} has an unsorted index")
    if any(n < CRC_SIZE for n in lengths):
        raise CorruptData(f"{where} has a record shorter than its checksum")
    return TableIndex(where, count, prefixes, ordinals, tuple(accumulate(lengths)), suffixes)


def decode_record(addr: bytes, record: bytes, where: str) -> bytes:
    """Uncompressed chunk from one record (snappy + CRC), checked against its address."""
    name = address.encode(addr)
    data = compress.snappy(record[:-CRC_SIZE], f"chunk {name} in {where}")
    return address.verify(addr, data, where)
