"""Rows of one table: its schema's tuple layout applied to its primary index.

The schema (`message/schema.py`) names which columns the key and value tuples hold, in order;
a tuple may stop early (trailing NULLs are dropped, `go/store/val/tuple.go`). Fixed-width and
inline values are decoded at once; out-of-line values (TEXT, BLOB, JSON) come back as OutOfLine
so that a missing blob costs only the field that needs it (`resolve`). Lookups by primary key
descend the tree when the key's order is plain byte order (string keys under a binary collation,
`go/store/val/tuple_compare.go`), and otherwise scan.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..errors import CorruptData, DoltReadError, UnsupportedFormat
from ..message.nodes import Node, decode_prolly
from ..message.schema import Column, Schema
from . import tree, values
from .tuple import split

# Collations under which Dolt's key order is the order of the UTF-8 bytes: `binary` and
# utf8mb4_0900_bin, Dolt's default (go/serial/collation.fbs). The older *_bin collations pad
# with spaces, so their order is not plain byte order; keys under them are scanned instead.
BYTE_ORDER_COLLATIONS = frozenset({63, 309})
Row = dict[str, values.Value]


class TableRows:
    """Read access to one table's rows through a chunk getter."""

    def __init__(
        self, name: str, schema: Schema, index_root: bytes, get: tree.Get, nodes: tree.Nodes
    ) -> None:
        self.name = name
        self.schema = schema
        self.get = get
        self.nodes = nodes
        self.root: Node = decode_prolly(index_root, f"the primary index of table {name}")
        self.key_columns = schema.key_fields
        self.value_columns = schema.value_fields

    @property
    def count(self) -> int:
        return self.root.tree_count

    def _decode(self, columns: tuple[Column, ...], tup: bytes, part: str) -> Row:
        """A tuple's fields by column. A value column in an encoding this reader does not
        decode becomes Undecodable (the rest of the row still reads); a key column raises."""
        fields = split(tup, f"a {part} tuple of table {self.name}")
        if len(fields) > len(columns):
            raise CorruptData(
                f"a {part} tuple of table {self.name} has {len(fields)} fields; "
                f"the schema has {len(columns)}"
            )
        row: Row = {}
        for i, column in enumerate(columns):
            raw = fields[i] if i < len(fields) else None
            if raw is None:
                row[column.name] = None
                continue
            what = f"column {column.name} of table {self.name}"
            try:
                row[column.name] = values.decode(column.encoding, raw, what)
            except UnsupportedFormat as exc:
                if part == "key":
                    raise
                row[column.name] = values.Undecodable(exc.with_traceback(None))
        return row

    def decode_key(self, key: bytes) -> Row:
        return self._decode(self.key_columns, key, "key")

    def decode_row(self, key: bytes, value: bytes) -> Row:
        row = self.decode_key(key)
        row.update(self._decode(self.value_columns, value, "value"))
        return row

    def keys(self) -> Iterator[Row]:
        for leaf in tree.leaves(self.nodes, self.root, f"table {self.name}"):
            for key in leaf.keys:
                yield self.decode_key(key)

    def rows(self) -> Iterator[Row]:
        for key, value in tree.items(self.nodes, self.root, f"table {self.name}"):
            yield self.decode_row(key, value)

    def _byte_ordered(self) -> bool:
        if len(self.key_columns) != 1 or self.key_columns[0].encoding != 128:
            return False
        sql_type = self.key_columns[0].sql_type.lower()
        return self.schema.collation in BYTE_ORDER_COLLATIONS and "collate" not in sql_type

    def find(self, key: Mapping[str, object]) -> Row | None:
        """The row whose primary key columns equal `key` (all of them), or None."""
        names = [c.name for c in self.key_columns]
        if sorted(key) != sorted(names):
            raise DoltReadError(f"table {self.name} is keyed by {', '.join(names)}")
        if self._byte_ordered():
            target = str(key[names[0]]).encode("utf-8") + b"\0"

            def compare(stored: bytes) -> int:
                field = split(stored, f"a key tuple of table {self.name}")
                got = field[0] or b""
                return (got > target) - (got < target)

            found = tree.seek(self.nodes, self.root, compare, f"table {self.name}")
            return None if found is None else self.decode_row(*found)
        for row in self.rows():
            if all(row[n] == key[n] for n in names):
                return row
        return None

    def resolve(self, value: values.OutOfLine, column: str) -> values.Value:
        """Fetch an out-of-line value: text as str, bytes as bytes, json as JSONDoc."""
        what = f"column {column} of table {self.name}"
        data = tree.value_bytes(self.get, value.address, what)
        if value.length is not None and len(data) != value.length:
            raise CorruptData(f"{what} is {len(data)} bytes but its tuple says {value.length}")
        if value.kind == "bytes":
            return data
        if value.kind == "json":
            return values.parse_json(data, what) if data else values.JSONDoc(None)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise CorruptData(f"{what} is not UTF-8") from None
