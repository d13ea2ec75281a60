"""DSCH: a table's columns, their storage encodings, and which columns the index stores where.

Rules from Dolt's `go/serial/schema.fbs` and `go/libraries/doltcore/schema/encoding/
serialization.go`: `columns` lists every column (for a keyless table, two hidden generated
columns `__keyless_id`/`__keyless_cardinality` come last); the clustered index's `key_columns`
and `value_columns` are positions in that list and give the order of the fields in the primary
index's key and value tuples. Each column records its storage `encoding` (`go/serial/
encoding.fbs`), so SQL type strings need no parsing. A column that says it uses adaptive encoding
is read with that encoding (the flag exists to stop older readers).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import CorruptData
from .flatbuf import Table, root

_COLUMN_FIELDS = 17
_INDEX_FIELDS = 15
KEYLESS_ID = "__keyless_id"
KEYLESS_CARDINALITY = "__keyless_cardinality"


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    encoding: int
    tag: int
    primary_key: bool
    nullable: bool
    hidden: bool
    generated: bool
    virtual: bool
    adaptive: bool


@dataclass(frozen=True)
class Schema:
    columns: tuple[Column, ...]
    key_columns: tuple[int, ...]
    value_columns: tuple[int, ...]
    collation: int
    keyless: bool

    @property
    def key_fields(self) -> tuple[Column, ...]:
        return tuple(self.columns[i] for i in self.key_columns)

    @property
    def value_fields(self) -> tuple[Column, ...]:
        return tuple(self.columns[i] for i in self.value_columns)


def _column(t: Table) -> Column:
    name = t.string(0)
    if name is None:
        raise CorruptData(f"{t.what} has no name")
    return Column(
        name=name,
        sql_type=t.string(1) or "",
        encoding=t.scalar(6, "B"),
        tag=t.scalar(5, "Q"),
        primary_key=bool(t.scalar(7, "B")),
        nullable=bool(t.scalar(8, "B")),
        hidden=bool(t.scalar(10, "B")),
        generated=bool(t.scalar(11, "B")),
        virtual=bool(t.scalar(12, "B")),
        adaptive=bool(t.scalar(14, "B")),
    )


def decode_schema(msg: bytes, table: str) -> Schema:
    what = f"the schema of table {table}"
    t = root(msg, "DSCH", 8, what)
    columns = tuple(_column(c) for c in t.tables(0, _COLUMN_FIELDS, f"a column of {table}"))
    index = t.table(1, _INDEX_FIELDS, f"the primary index of {table}")
    if index is None:
        raise CorruptData(f"{what} has no clustered index")
    keys = index.uint16s(3)
    if keys is None:
        raise CorruptData(f"{what} has no key columns")
    values = index.uint16s(4) or ()
    for pos in (*keys, *values):
        if pos >= len(columns):
            raise CorruptData(f"{what} refers to column {pos} of {len(columns)}")
    keyless = (
        len(columns) >= 2
        and columns[-2].name == KEYLESS_ID
        and columns[-1].name == KEYLESS_CARDINALITY
        and columns[-2].hidden
        and columns[-1].hidden
    )
    return Schema(columns, tuple(keys), tuple(values), t.scalar(4, "H"), keyless)
