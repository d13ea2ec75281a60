"""Definitions and calls around changed lines, through tree-sitter's grammars; pure.

tree-sitter parses a file into a concrete syntax tree in C, forgivingly (a file with a syntax
error still parses, with error nodes), so a half-written PR costs nothing. The grammars are
the tree-sitter project's own wheels, one per language, each shipping its compiled parser
(tree-sitter-language-pack downloads its parsers at run time, which a server without internet
cannot do).

Only the parts of the tree that overlap lines of interest (the lines a PR changed) are walked:
the definitions that enclose those lines and the calls on them. That keeps a 10,000-line file
as cheap as the few functions a hunk touches.
https://tree-sitter.github.io/tree-sitter/using-parsers/
"""

from __future__ import annotations

import bisect
import functools
import importlib
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import tree_sitter

log = logging.getLogger("beadle.review")


@dataclass(frozen=True, slots=True)
class Definition:
    name: str
    kind: str  # function, method, class, …: what a reader calls it
    start: int  # first line, 1-based
    end: int  # last line, inclusive
    body: int  # the first line of its body (the header is start..body-1, or start alone)


@dataclass(frozen=True, slots=True)
class Call:
    name: str  # the callee's own name: `g` for `f.g(x)`, `new` for `Vec::new()`
    line: int


@dataclass(frozen=True, slots=True)
class Outline:
    language: str
    definitions: tuple[Definition, ...]  # those overlapping the lines asked about, outer first
    calls: tuple[Call, ...]  # calls that start on those lines


@dataclass(frozen=True, slots=True)
class _Grammar:
    module: str
    function: str
    definitions: frozenset[str]
    calls: Mapping[str, str]  # call node type → the field that holds the callee


_JS_DEFINITIONS = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "class_declaration",
        "method_definition",
        "variable_declarator",  # only when its value is a function: see _is_definition
    }
)
_JS_CALLS = {"call_expression": "function", "new_expression": "constructor"}
_TS_DEFINITIONS = _JS_DEFINITIONS | {
    "abstract_class_declaration",
    "interface_declaration",
    "enum_declaration",
}
GRAMMARS = {
    "python": _Grammar(
        "tree_sitter_python",
        "language",
        frozenset({"function_definition", "class_definition"}),
        {"call": "function"},
    ),
    "javascript": _Grammar("tree_sitter_javascript", "language", _JS_DEFINITIONS, _JS_CALLS),
    "typescript": _Grammar(
        "tree_sitter_typescript", "language_typescript", _TS_DEFINITIONS, _JS_CALLS
    ),
    "tsx": _Grammar("tree_sitter_typescript", "language_tsx", _TS_DEFINITIONS, _JS_CALLS),
    "go": _Grammar(
        "tree_sitter_go",
        "language",
        frozenset({"function_declaration", "method_declaration", "type_spec"}),
        {"call_expression": "function"},
    ),
    "rust": _Grammar(
        "tree_sitter_rust",
        "language",
        frozenset(
            {"function_item", "impl_item", "struct_item", "enum_item", "trait_item", "mod_item"}
        ),
        {"call_expression": "function"},
    ),
    "java": _Grammar(
        "tree_sitter_java",
        "language",
        frozenset(
            {
                "class_declaration",
                "interface_declaration",
                "enum_declaration",
                "record_declaration",
                "method_declaration",
                "constructor_declaration",
            }
        ),
        {"method_invocation": "name", "object_creation_expression": "type"},
    ),
}
EXTENSIONS = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
}
_FUNCTION_VALUES = frozenset(
    {"arrow_function", "function_expression", "function", "generator_function"}
)
_NAME_FIELDS = ("name", "type")  # Rust's `impl Foo` names its type
_CALLEE_FIELDS = ("attribute", "property", "field", "name")
_BODY_FIELDS = ("body", "value")
_KINDS = (
    ("interface", "interface"),
    ("class", "class"),
    ("method", "method"),
    ("constructor", "constructor"),
    ("impl", "impl"),
    ("struct", "struct"),
    ("enum", "enum"),
    ("trait", "trait"),
    ("mod_", "module"),
    ("record", "record"),
    ("type_spec", "type"),
)


def language_of(path: str) -> str | None:
    """The grammar for `path` by its extension, or None (then indentation decides)."""
    dot = path.rfind(".")
    return EXTENSIONS.get(path[dot:].lower()) if dot > path.rfind("/") else None


@functools.cache
def _language(name: str) -> tree_sitter.Language | None:
    grammar = GRAMMARS[name]
    try:
        module = importlib.import_module(grammar.module)
        return tree_sitter.Language(getattr(module, grammar.function)())
    except (ImportError, AttributeError, ValueError) as exc:  # a missing or incompatible wheel
        log.warning("no %s grammar for context (%s): falling back to indentation", name, exc)
        return None


def outline(path: str, text: str, lines: Collection[int]) -> Outline | None:
    """The definitions overlapping `lines` (1-based) and the calls on them; None when there is
    no grammar for the file. A parser is made per call: parsers are not shared across threads."""
    name = language_of(path)
    language = _language(name) if name else None
    if name is None or language is None:
        return None
    wanted = sorted(set(lines))
    if not wanted:
        return Outline(name, (), ())
    tree = tree_sitter.Parser(language).parse(text.encode("utf-8", "surrogatepass"))
    grammar = GRAMMARS[name]
    on_lines = frozenset(wanted)
    definitions: list[Definition] = []
    calls: list[Call] = []
    stack: list[tuple[Any, bool]] = [(tree.root_node, False)]  # (node, directly in a class)
    while stack:
        node, in_class = stack.pop()
        start, end = node.start_point.row + 1, node.end_point.row + 1
        if not _overlaps(wanted, start, end):
            continue
        if node.type in grammar.definitions and _is_definition(node):
            found = _definition(node, start, end, in_class=in_class)
            if found is not None:
                definitions.append(found)
                in_class = found.kind == "class"
        field = grammar.calls.get(node.type)
        if field is not None and start in on_lines:
            callee = node.child_by_field_name(field)
            called = _callee(callee) if callee is not None else None
            if called:
                calls.append(Call(called, start))
        stack.extend((child, in_class) for child in reversed(node.named_children))
    definitions.sort(key=lambda d: (d.start, -d.end))
    return Outline(name, tuple(definitions), tuple(calls))


def _overlaps(wanted: list[int], start: int, end: int) -> bool:
    at = bisect.bisect_left(wanted, start)
    return at < len(wanted) and wanted[at] <= end


def _is_definition(node: Any) -> bool:
    if node.type != "variable_declarator":
        return True
    value = node.child_by_field_name("value")
    return value is not None and value.type in _FUNCTION_VALUES


def _definition(node: Any, start: int, end: int, *, in_class: bool) -> Definition | None:
    name = None
    for field in _NAME_FIELDS:
        child = node.child_by_field_name(field)
        if child is not None:
            name = _text(child)
            break
    if not name:
        return None
    body = start
    for field in _BODY_FIELDS:
        child = node.child_by_field_name(field)
        if child is not None:
            body = max(child.start_point.row + 1, start)
            break
    kind = next((word for key, word in _KINDS if key in node.type), "function")
    if kind == "function" and in_class:
        kind = "method"  # Python's `def` in a class body
    return Definition(name=name[:200], kind=kind, start=start, end=end, body=body)


def _callee(node: Any) -> str | None:
    """`g` in `g(x)`, `f.g(x)`, `f::g(x)`, `new G()`; None for a computed callee."""
    for _ in range(8):
        if node.type.endswith("identifier"):
            return _text(node)
        for field in _CALLEE_FIELDS:
            child = node.child_by_field_name(field)
            if child is not None:
                node = child
                break
        else:
            return None
    return None


def _text(node: Any) -> str:
    raw: bytes | None = node.text
    return raw.decode("utf-8", "replace") if raw else ""
