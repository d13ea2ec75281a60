"""A read-only, pure-Python reader of the Dolt database beads pushes to `refs/dolt/data`.

Layers, each usable alone: `files` / `gitfiles` / `blobcache` (I/O: list a store's paths, read a
blob), `storage` (manifest, classic table files, archives, a chunk store that checks every chunk
against its address), `message` (Dolt's flatbuffer messages), `rows` (val tuples, prolly trees,
value trees), `database` (root -> branch -> table) and `reader` / `record` (beads' issues).
This package imports nothing from the rest of Beadle.

Typical use:

    files = CachedFiles(GitDataFiles(github_git_data), BlobCache(folder))
    beads = BeadsDolt(files)
    issue = beads.find_issue("bd-123")   # IssueRecord | None
    f"beads Dolt data at {beads.source.short}"
"""

from .blobcache import BlobCache, CachedFiles
from .database import DoltDatabase
from .errors import (
    AddressMismatch,
    ChunkNotFound,
    CorruptData,
    DoltReadError,
    MissingBlob,
    NotFound,
    UnsupportedFormat,
)
from .files import CountingFiles, DoltFiles, Entry, LocalDirFiles
from .gitfiles import DATA_REF, GitData, GitDataFiles, LocalGitFiles
from .reader import BeadsDolt, DataSource, IssueRecord

__all__ = [
    "DATA_REF",
    "AddressMismatch",
    "BeadsDolt",
    "BlobCache",
    "CachedFiles",
    "ChunkNotFound",
    "CorruptData",
    "CountingFiles",
    "DataSource",
    "DoltDatabase",
    "DoltFiles",
    "DoltReadError",
    "Entry",
    "GitData",
    "GitDataFiles",
    "IssueRecord",
    "LocalDirFiles",
    "LocalGitFiles",
    "MissingBlob",
    "NotFound",
    "UnsupportedFormat",
]
