"""From a store's files to a table's rows: root chunk -> refs -> commit -> root value -> table.

The chain (`go/store/datas/refmap.go`, `commit.go`, `go/libraries/doltcore/doltdb/
root_val.go`, `durable/table.go`): the manifest's root chunk is a store root (STRT) whose
address map holds the refs; `refs/heads/<branch>` is a commit (DCMT); its root value (RTVL)
maps table names to tables (DTBL), each naming its schema (DSCH) and embedding the root of its
primary index (TUPM). Address maps are ordered by the bytes of their names.
"""

from __future__ import annotations

from . import address
from .errors import DoltReadError, NotFound
from .files import DoltFiles
from .message.nodes import Node, decode_address_map
from .message.objects import (
    Commit,
    decode_commit,
    decode_root_value,
    decode_store_root,
    decode_table,
)
from .message.schema import decode_schema
from .rows import tree
from .rows.table import TableRows
from .storage.chunks import ChunkStore


def _lookup(nodes: tree.Nodes, root: Node, name: str, what: str) -> bytes | None:
    target = name.encode("utf-8")
    found = tree.seek(nodes, root, lambda k: (k > target) - (k < target), what)
    return None if found is None else found[1]


class DoltDatabase:
    """One branch of a Dolt database, read-only. `commit_address` names the commit read."""

    def __init__(self, files: DoltFiles, branch: str = "main") -> None:
        self.files = files
        self.store = ChunkStore(files)
        self.nodes = tree.Nodes(self.get)
        self.branch = branch
        self.ref = f"refs/heads/{branch}"
        store_root = decode_store_root(self.store.get(self.store.root, "the store root"))
        refs = decode_address_map(store_root.refs_map, "the map of refs")
        self.ref_names = tuple(k.decode("utf-8", "replace") for k in _all_keys(self.nodes, refs))
        addr = _lookup(self.nodes, refs, self.ref, "the map of refs")
        if addr is None:
            raise NotFound(
                f"the Dolt database has no branch {branch} (refs: "
                f"{', '.join(self.ref_names) or 'none'})"
            )
        self.commit_address = address.encode(addr)
        self.commit: Commit = decode_commit(
            self.get(addr, f"commit {self.commit_address}"), f"commit {self.commit_address}"
        )
        root_value = decode_root_value(self.get(self.commit.root, "the commit's root value"))
        self.feature_version = root_value.feature_version
        self._tables: Node | None = None
        if root_value.tables_map is not None:
            self._tables = decode_address_map(root_value.tables_map, "the map of tables")
        self._open: dict[str, TableRows] = {}
        self._failed: dict[str, DoltReadError] = {}

    def get(self, addr: bytes, what: str) -> bytes:
        return self.store.get(addr, what)

    @property
    def data_commit(self) -> str | None:
        """The git commit of refs/dolt/data the files came from, when the adapter knows it."""
        commit = getattr(self.files, "commit", None)
        return commit if isinstance(commit, str) else None

    def table_names(self) -> list[str]:
        if self._tables is None:
            return []
        return [k.decode("utf-8", "replace") for k in _all_keys(self.nodes, self._tables)]

    def table(self, name: str) -> TableRows:
        """The rows of a table; raises NotFound when the branch has no such table, or the
        error that stopped it from opening (kept: the data does not change under a reader)."""
        if name in self._open:
            return self._open[name]
        if name in self._failed:
            raise self._failed[name]
        try:
            rows = self._open_table(name)
        except DoltReadError as exc:
            self._failed[name] = exc.with_traceback(None)
            raise
        self._open[name] = rows
        return rows

    def _open_table(self, name: str) -> TableRows:
        addr = (
            None
            if self._tables is None
            else _lookup(self.nodes, self._tables, name, "the map of tables")
        )
        if addr is None:
            raise NotFound(f"the Dolt database has no table {name} on branch {self.branch}")
        ref = decode_table(self.get(addr, f"table {name}"), name)
        schema = decode_schema(self.get(ref.schema, f"the schema of table {name}"), name)
        return TableRows(name, schema, ref.primary_index, self.get, self.nodes)


def _all_keys(nodes: tree.Nodes, root: Node) -> list[bytes]:
    return [k for leaf in tree.leaves(nodes, root, "an address map") for k in leaf.keys]
