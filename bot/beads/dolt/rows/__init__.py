"""Row layer: val tuples and their encodings, prolly and value trees, a table's rows."""
