"""Decompression of chunk records: snappy (classic table files, archive v2+) and zstd (archives).

Wrapped here so that every codec failure becomes a CorruptData sentence naming the chunk, and so
the two third-party bindings (cramjam for raw snappy, zstandard for zstd with dictionaries) are
imported in one place only.
"""

from __future__ import annotations

import cramjam
import zstandard

from ..errors import CorruptData

_MAX_CHUNK = 1 << 28  # Dolt chunks are a few KB; refuse to inflate a corrupt length into memory

Dictionary = zstandard.ZstdCompressionDict


def snappy(data: bytes, where: str) -> bytes:
    """Raw (unframed) snappy, as Dolt's `go/store/nbs/table_reader.go` ToChunk decodes it."""
    try:
        size = cramjam.snappy.decompress_raw_len(data)
    except Exception as exc:  # cramjam raises its own DecompressionError
        raise CorruptData(f"{where} is not valid snappy data ({exc})") from None
    if size > _MAX_CHUNK:
        raise CorruptData(f"{where} claims an implausible uncompressed size ({size} bytes)")
    try:
        return bytes(cramjam.snappy.decompress_raw(data))
    except Exception as exc:
        raise CorruptData(f"{where} is not valid snappy data ({exc})") from None


def zstd_dictionary(compressed: bytes, where: str) -> Dictionary:
    """An archive dictionary, which is stored zstd-compressed itself (`nbs/archive_chunker.go`
    NewDecompBundle)."""
    return zstandard.ZstdCompressionDict(zstd(compressed, None, where))


def zstd(data: bytes, dictionary: Dictionary | None, where: str) -> bytes:
    """One complete zstd frame, decoded with the archive dictionary when the chunk names one."""
    try:
        dctx = zstandard.ZstdDecompressor(dict_data=dictionary)
        size = zstandard.frame_content_size(data)
        if 0 <= size <= _MAX_CHUNK:
            return dctx.decompress(data)
        if size > _MAX_CHUNK:
            raise CorruptData(f"{where} claims an implausible uncompressed size ({size} bytes)")
        obj = dctx.decompressobj()
        out = obj.decompress(data)
        if not obj.eof:
            raise CorruptData(f"{where} is a truncated zstd frame")
        return out
    except zstandard.ZstdError as exc:
        raise CorruptData(f"{where} is not valid zstd data ({exc})") from None
