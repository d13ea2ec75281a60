"""Chunk addresses: the first 20 bytes of SHA-512 of a chunk's uncompressed bytes.

Rule from Dolt's `go/store/hash/hash.go`: 20 bytes, written as 32 characters of base32 with the
alphabet 0-9a-v and no padding. Every chunk the reader decodes is checked against its address
(`verify`), which is a stronger integrity check than the CRCs and zstd checksums of the files.
"""

from __future__ import annotations

import base64
import hashlib
import re

from .errors import AddressMismatch, CorruptData

SIZE = 20
PREFIX_SIZE = 8  # the index's sorted part (big-endian uint64), go/store/hash/hash.go PrefixLen
EMPTY = bytes(SIZE)

_STD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_DOLT = b"0123456789abcdefghijklmnopqrstuv"
_TO_DOLT = bytes.maketrans(_STD, _DOLT)
_FROM_DOLT = bytes.maketrans(_DOLT, _STD)
_PATTERN = re.compile(r"[0-9a-v]{32}")


def of(data: bytes) -> bytes:
    """The address a chunk with these (uncompressed) bytes has."""
    return hashlib.sha512(data).digest()[:SIZE]


def encode(addr: bytes) -> str:
    """The 32-character name of a 20-byte address (as in manifests and table file names)."""
    if len(addr) != SIZE:
        raise CorruptData(f"an address is {len(addr)} bytes long, not {SIZE}")
    return base64.b32encode(addr).translate(_TO_DOLT).decode("ascii")


def is_name(text: str) -> bool:
    """Whether `text` is a well-formed 32-character address name."""
    return _PATTERN.fullmatch(text) is not None


def decode(name: str) -> bytes:
    """The 20 bytes an address name stands for; raises CorruptData for anything else."""
    if not is_name(name):
        raise CorruptData(f"{name[:40]!r} is not a Dolt address (32 characters of 0-9a-v)")
    return base64.b32decode(name.encode("ascii").translate(_FROM_DOLT))


def verify(addr: bytes, data: bytes, where: str) -> bytes:
    """Return `data` if it hashes to `addr`; raise AddressMismatch naming `where` otherwise."""
    if of(data) != addr:
        raise AddressMismatch(encode(addr), where)
    return data
