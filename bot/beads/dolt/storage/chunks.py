"""A read-only chunk store over the live table files of one or more manifests.

Rule from Dolt's `go/store/nbs/generational_chunk_store.go`: a local store keeps a newer
generation (`manifest`) and an older one (`oldgen/manifest`); a chunk may be in either, and the
root is the newer manifest's. A store pushed to git has only the first.

Every chunk handed out has been checked against its address. A chunk that no readable file holds
raises ChunkNotFound naming the files whose index could not be read; a chunk found in an index
whose data blob cannot be fetched raises that MissingBlob. Decoded indexes are kept per process,
keyed by the git blob ids they were read from, so a second reader of unchanged data parses none.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from .. import address
from ..errors import ChunkNotFound, CorruptData, DoltReadError, MissingBlob, UnsupportedFormat
from ..files import DoltFiles, Entry
from . import archive, compress, manifest, table
from .layout import StoredObject, TableFile, find_table_file
from .lru import LRU

JOURNAL_NAME = "v" * 32  # go/store/nbs/journal.go chunkJournalName
GENERATIONS = ("", "oldgen/")

_Index = table.TableIndex | archive.ArchiveIndex


_INDEXES = LRU(256 << 20)  # shared by every store in the process: keyed by blob ids


def forget_indexes() -> None:
    """Drop the process's decoded indexes (benchmarks use it to start cold)."""
    _INDEXES.clear()


@dataclass
class _Live:
    file: TableFile
    index: _Index | None = None
    error: DoltReadError | None = None


class ChunkStore:
    """Chunks by address across the live files; `root` is the newest manifest's root chunk."""

    def __init__(self, files: DoltFiles, blob_memory: int = 256 << 20) -> None:
        self.files = files
        entries = files.entries()
        self._blobs = LRU(blob_memory)
        self._chunks = LRU(64 << 20)
        self._dicts: dict[tuple[str, int], compress.Dictionary] = {}
        self._failed: dict[str, MissingBlob] = {}
        self._lock = threading.Lock()
        self.manifests: dict[str, manifest.Manifest] = {}
        self._live: list[_Live] = []
        for gen in GENERATIONS:
            if gen + "manifest" not in entries:
                continue
            where = f"{gen}manifest"
            parsed = manifest.parse(self._fetch(where, entries[where]), where)
            self.manifests[gen] = parsed
            for spec in parsed.specs:
                if spec.name == JOURNAL_NAME:
                    raise UnsupportedFormat(
                        f"{where} names a chunk journal, which this reader does not read"
                    )
                found = find_table_file(entries, gen, spec.name)
                if found is None:
                    self._live.append(
                        _Live(
                            TableFile(spec.name, gen + spec.name, False, None, None, None),
                            error=MissingBlob(
                                gen + spec.name,
                                None,
                                "the manifest names it but the tree has no such file",
                            ),
                        )
                    )
                else:
                    self._live.append(_Live(found))
        if "" not in self.manifests:
            raise MissingBlob("manifest", None, "the store has no manifest")
        self.root = self.manifests[""].root

    # -- fetching ---------------------------------------------------------------------------

    def _fetch(self, path: str, entry: Entry) -> bytes:
        """A blob, fetched once per store; a blob that could not be fetched is not asked for
        again (the store answers the same way for its whole life)."""
        cached = self._blobs.get(entry.blob)
        if isinstance(cached, bytes):
            return cached
        failed = self._failed.get(entry.blob)
        if failed is not None:
            raise failed
        try:
            data = self.files.read(path)
        except MissingBlob as exc:
            self._failed[entry.blob] = exc.with_traceback(None)
            raise
        self._blobs.put(entry.blob, data, len(data))
        return data

    def _load_index(self, live: _Live) -> _Index | None:
        if live.index is not None or live.error is not None:
            return live.index
        tf = live.file
        parse = archive.parse_index if tf.archive else table.parse_index
        sources = [obj for obj in (tf.tail, tf.whole) if obj is not None]
        first_error: DoltReadError | None = None
        for obj in sources:
            key = ("archive" if tf.archive else "table", obj.blob_ids)
            cached = _INDEXES.get(key)
            if cached is not None:
                live.index = cached  # type: ignore[assignment]
                return live.index
            try:
                tail = self._read_tail(obj, tf.archive)
                index = parse(tail, obj.key)
            except DoltReadError as exc:
                first_error = first_error or exc.with_traceback(None)
                continue
            _INDEXES.put(key, index, len(tail))
            live.index = index
            return index
        live.error = first_error or MissingBlob(tf.key, None, "the tree has no index for it")
        return None

    def _read_tail(self, obj: StoredObject, is_archive: bool) -> bytes:
        """The end of `obj` holding index and footer: all of a one-blob object, else the parts
        that hold it (footer first, then the index it sizes)."""
        if len(obj.parts) == 1:
            return obj.read_all(self._fetch)
        size = obj.size
        if size is None:
            raise MissingBlob(obj.key, None, "the sizes of its parts are unknown")
        footer_size = archive.FOOTER_SIZE if is_archive else table.FOOTER_SIZE
        end = obj.read_range(max(size - footer_size, 0), min(footer_size, size), self._fetch)
        if is_archive:
            need = archive.parse_footer(end, obj.key).tail_size
        else:
            need = table.index_size(table.footer_count(end, obj.key))
        if need > size:
            raise CorruptData(f"{obj.key} is smaller than the index its footer describes")
        return obj.read_range(size - need, need, self._fetch)

    # -- chunks -----------------------------------------------------------------------------

    def get(self, addr: bytes, what: str = "chunk") -> bytes:
        """The uncompressed bytes of the chunk at `addr`, checked against it."""
        cached = self._chunks.get(addr)
        if isinstance(cached, bytes):
            return cached
        unreadable: list[DoltReadError] = []
        for live in self._search_order():
            index = self._load_index(live)
            if index is None:
                if live.error is not None:
                    unreadable.append(live.error)
                continue
            if isinstance(index, table.TableIndex):
                rng = index.locate(addr)
                if rng is None:
                    continue
                data = self._read_data(live.file, rng)
                chunk = table.decode_record(addr, data, live.file.key)
            else:
                loc = index.locate(addr)
                if loc is None:
                    continue
                dictionary = self._dictionary(live.file, loc)
                data = self._read_data(live.file, loc.data)
                chunk = archive.decode_chunk(addr, data, dictionary, live.file.key)
            self._chunks.put(addr, chunk, len(chunk))
            return chunk
        raise ChunkNotFound(address.encode(addr), what, tuple(unreadable))

    def _search_order(self) -> list[_Live]:
        """Files whose index is in memory first, then the others cheapest index first: a chunk
        is the same bytes in whichever file holds it, so the order only changes what is
        fetched, and a small file is often all a lookup needs."""
        loaded = [live for live in self._live if live.index is not None or live.error]
        pending = [live for live in self._live if live.index is None and not live.error]
        return loaded + sorted(pending, key=lambda live: _index_cost(live.file))

    def _read_data(self, tf: TableFile, span: tuple[int, int]) -> bytes:
        """Bytes of the chunk records: from the whole file, or else from `X.records` (the same
        bytes, written before the two were joined, `nbs/bs_persister.go`)."""
        sources = [obj for obj in (tf.whole, tf.records) if obj is not None]
        if not sources:
            raise MissingBlob(tf.key, None, "the tree holds only its index, not its chunk data")
        first: MissingBlob | None = None
        for obj in sources:
            try:
                return obj.read_range(span[0], span[1], self._fetch)
            except MissingBlob as exc:
                first = first or exc
        assert first is not None
        raise first

    def _dictionary(self, tf: TableFile, loc: archive.Location) -> compress.Dictionary | None:
        if loc.dictionary is None:
            return None
        key = (tf.name, loc.dictionary_id)
        with self._lock:
            found = self._dicts.get(key)
        if found is None:
            raw = self._read_data(tf, loc.dictionary)
            found = compress.zstd_dictionary(raw, f"dictionary {loc.dictionary_id} of {tf.key}")
            with self._lock:
                self._dicts[key] = found
        return found

    def addresses(self) -> list[bytes]:
        """Every chunk address the readable live files index (for checks like `dolt fsck`)."""
        out: list[bytes] = []
        for live in self._live:
            index = self._load_index(live)
            if index is not None:
                out.extend(index.addresses())
        return out

    def table_files(self) -> Mapping[str, str]:
        """Each live file's key and whether its index could be read (for diagnostics)."""
        out: dict[str, str] = {}
        for live in self._live:
            self._load_index(live)
            out[live.file.key] = "readable" if live.index is not None else str(live.error)
        return out


def _index_cost(tf: TableFile) -> int:
    """Bytes to fetch for the file's index: its tail, else the blob(s) holding its end."""
    obj = tf.tail or tf.whole
    if obj is None:
        return 0  # nothing to fetch: its error is known at once
    parts = obj.parts[-1:] if obj is tf.whole else obj.parts
    return sum(entry.size if entry.size is not None else 1 << 40 for _, entry in parts)
