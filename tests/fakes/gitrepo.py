"""A real git repository driven through the `git` CLI, the storage behind the fake GitHub.

Tests build history with `commit()`; the fake server reads it back (diffs, file lists, blobs) the
way GitHub would compute them, so a diff the bot fetches is a diff git itself produced.
"""

from __future__ import annotations

import copy
import os
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

_ENV = {
    **os.environ,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
    "TZ": "UTC",
}
_STATUS = {
    "A": "added",
    "D": "removed",
    "M": "modified",
    "R": "renamed",
    "C": "copied",
    "T": "changed",
}


class GitError(RuntimeError):
    pass


class GitRepo:
    """A repository at `path` (created if absent) with deterministic, prompt-free git settings."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()  # commits move HEAD; keep them from interleaving
        # Answers about commit shas never change: cache them (refs are resolved on every call).
        self._files_cache: dict[tuple[str, str], list[dict]] = {}
        self._commits: set[str] = set()
        self._cache: dict[tuple, Any] = {}
        if not (self.path / ".git").exists():
            self._git("init", "-q", "-b", "main")
            with (self.path / ".git" / "config").open("a") as config:  # one write, no 7 spawns
                config.write(
                    "[user]\n\tname = Beadle Tester\n\temail = tester@example.com\n"
                    "[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n"
                    "[core]\n\tautocrlf = false\n\tquotePath = false\n[diff]\n\trenames = true\n"
                )

    # -- plumbing -------------------------------------------------------------------------------
    def _run(
        self, *args: str, check: bool = True, env: dict | None = None
    ) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            ["git", "-c", "color.ui=false", *args],
            cwd=self.path,
            env=env or _ENV,
            capture_output=True,
            check=False,
        )
        if check and proc.returncode != 0:
            raise GitError(f"git {' '.join(args)}: {proc.stderr.decode(errors='replace').strip()}")
        return proc

    def _git(self, *args: str) -> str:
        return self._run(*args).stdout.decode("utf-8", errors="surrogateescape")

    # -- writing --------------------------------------------------------------------------------
    def commit(
        self,
        files: dict[str, str | bytes | None],
        message: str,
        *,
        branch: str = "main",
        author: str | None = None,
    ) -> str:
        """Write `files` (None deletes) on `branch` and commit them; returns the new sha.

        A missing branch is created from the current HEAD. `author` sets the author name (and
        an `<name>@example.com` address), handy for commit-author checks.
        """
        with self._lock:
            current = (
                self._run("symbolic-ref", "--short", "HEAD", check=False).stdout.decode().strip()
            )
            if current != branch:
                if (
                    self._run(
                        "rev-parse", "--verify", "-q", f"refs/heads/{branch}", check=False
                    ).returncode
                    == 0
                ):
                    self._git("checkout", "-q", branch)
                else:
                    self._git("checkout", "-q", "-b", branch)
            for name, content in files.items():
                target = self.path / name
                if content is None:
                    if target.exists():
                        target.unlink()
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, str):
                    content = content.encode("utf-8")
                target.write_bytes(content)
            self._git("add", "-A")
            env = None
            if author:
                env = {
                    **_ENV,
                    "GIT_AUTHOR_NAME": author,
                    "GIT_AUTHOR_EMAIL": f"{author}@example.com",
                }
            self._run("commit", "-q", "--allow-empty", "--no-verify", "-m", message, env=env)
            return self.sha("HEAD")

    def branch(self, name: str, from_ref: str = "main") -> str:
        """Create (or move) branch `name` to `from_ref`; returns its sha."""
        with self._lock:
            sha = self.sha(from_ref)
            current = (
                self._run("symbolic-ref", "--short", "HEAD", check=False).stdout.decode().strip()
            )
            if current == name:
                self._git("reset", "-q", "--hard", sha)
            else:
                self._git("branch", "-f", name, sha)
            return sha

    # -- reading --------------------------------------------------------------------------------
    def sha(self, ref: str) -> str:
        """The commit sha `ref` names; KeyError when it names none."""
        if ref in self._commits:
            return ref
        proc = self._run(
            "rev-parse", "--verify", "-q", "--end-of-options", f"{ref}^{{commit}}", check=False
        )
        if proc.returncode != 0 or not ref:
            raise KeyError(ref)
        sha = proc.stdout.decode().strip()
        self._commits.add(sha)
        return sha

    def _cached(self, key: tuple, compute: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def has_branch(self, name: str) -> bool:
        return (
            self._run("rev-parse", "--verify", "-q", f"refs/heads/{name}", check=False).returncode
            == 0
        )

    def show(self, sha: str, path: str) -> bytes | None:
        """The blob at `path` in `sha`, or None when there is no file there."""
        proc = self._run("cat-file", "blob", f"{sha}:{path}", check=False)
        return proc.stdout if proc.returncode == 0 else None

    def ls_tree(self, sha: str, path: str = "") -> list[dict] | None:
        """Entries of the directory `path` at `sha` ({type, name, path, sha, size}), None if absent."""
        spec = f"{sha}:{path}" if path else f"{sha}^{{tree}}"
        if self._run("cat-file", "-e", spec, check=False).returncode != 0:
            return None
        if self._git("cat-file", "-t", spec).strip() != "tree":
            return None
        out = self._run("ls-tree", "-z", "-l", spec).stdout.decode(
            "utf-8", errors="surrogateescape"
        )
        entries = []
        for record in filter(None, out.split("\0")):
            meta, name = record.split("\t", 1)
            _mode, kind, obj, size = meta.split()
            entries.append(
                {
                    "type": "dir" if kind == "tree" else "file",
                    "name": name,
                    "path": f"{path.rstrip('/')}/{name}" if path else name,
                    "sha": obj,
                    "size": 0 if size == "-" else int(size),
                }
            )
        return entries

    # -- the git database (GitHub's git data API) ----------------------------------------------
    def refs(self) -> list[tuple[str, str, str]]:
        """(full name, sha, object type) of every ref, sorted by name (HEAD excluded)."""
        out = self._git("for-each-ref", "--format=%(refname) %(objectname) %(objecttype)")
        found = []
        for line in out.splitlines():
            name, sha, kind = line.split(" ", 2)
            found.append((name, sha, kind))
        return sorted(found)

    def object_type(self, sha: str) -> str | None:
        """ "commit", "tree", "blob" or "tag" for an object the repository has; None if absent."""
        proc = self._run("cat-file", "-t", "--end-of-options", sha, check=False)
        return proc.stdout.decode().strip() if proc.returncode == 0 else None

    def tree_listing(self, sha: str, *, recursive: bool) -> list[dict] | None:
        """Entries of the tree `sha` ({path, mode, type, sha, size}); size is None for a
        blob the repository lacks (a tree made with `git mktree --missing`)."""
        if self.object_type(sha) != "tree":
            return None
        args = ["ls-tree", "-z", "-l", *(["-r", "-t"] if recursive else []), sha]
        out = self._run(*args).stdout.decode("utf-8", errors="surrogateescape")
        entries = []
        for record in filter(None, out.split("\0")):
            meta, path = record.split("\t", 1)
            mode, kind, obj, size = meta.split()
            entries.append(
                {
                    "path": path,
                    "mode": mode,
                    "type": kind,
                    "sha": obj,
                    "size": int(size) if size.isdigit() else None,
                }
            )
        return entries

    def blob_data(self, sha: str) -> bytes | None:
        """The bytes of blob `sha`; None when the repository does not have it."""
        if self.object_type(sha) != "blob":
            return None
        return self._run("cat-file", "blob", sha).stdout

    def put_ref_tree(
        self,
        ref: str,
        files: dict[str, bytes],
        message: str = "data",
        *,
        missing: dict[str, str] | None = None,
    ) -> str:
        """Point `ref` (`refs/dolt/data`) at a new commit, outside any branch, whose tree holds
        `files` (nested paths allowed) and, listed without their objects, the blob ids in
        `missing`; returns the commit sha. Nothing in the working tree changes."""
        with self._lock:
            tree: dict = {}
            for path, data in files.items():
                blob = self._run_input(data, "hash-object", "-w", "--stdin").strip()
                _place(tree, path, blob)
            for path, blob in (missing or {}).items():
                _place(tree, path, blob)
            root = self._mktree(tree)
            commit = self._run_input(message.encode(), "commit-tree", root).strip()
            self._git("update-ref", ref, commit)
            return commit

    def _mktree(self, tree: dict) -> str:
        lines = []
        for name, value in sorted(tree.items()):
            if isinstance(value, dict):
                lines.append(f"040000 tree {self._mktree(value)}\t{name}\n")
            else:
                lines.append(f"100644 blob {value}\t{name}\n")
        return self._run_input("".join(lines).encode(), "mktree", "--missing").strip()

    def _run_input(self, data: bytes, *args: str) -> str:
        who = {"GIT_AUTHOR_NAME": "Beadle Tester", "GIT_AUTHOR_EMAIL": "tester@example.com"}
        who |= {"GIT_COMMITTER_NAME": "Beadle Tester", "GIT_COMMITTER_EMAIL": "tester@example.com"}
        proc = subprocess.run(
            ["git", *args], cwd=self.path, env=_ENV | who, input=data, capture_output=True
        )
        if proc.returncode != 0:
            raise GitError(f"git {' '.join(args)}: {proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout.decode()

    def blob_sha(self, sha: str, path: str) -> str | None:
        proc = self._run("rev-parse", "--verify", "-q", f"{sha}:{path}", check=False)
        return proc.stdout.decode().strip() if proc.returncode == 0 else None

    def is_ancestor(self, a: str, b: str) -> bool:
        a, b = self.sha(a), self.sha(b)
        return self._cached(
            ("ancestor", a, b),
            lambda: self._run("merge-base", "--is-ancestor", a, b, check=False).returncode == 0,
        )

    def merge_base(self, a: str, b: str) -> str | None:
        a, b = self.sha(a), self.sha(b)

        def compute() -> str | None:
            proc = self._run("merge-base", a, b, check=False)
            return proc.stdout.decode().strip() if proc.returncode == 0 else None

        return self._cached(("merge-base", a, b), compute)

    def _range_base(self, base: str, head: str, three_dot: bool) -> str:
        base_sha, head_sha = self.sha(base), self.sha(head)
        if not three_dot:
            return base_sha
        merge_base = self.merge_base(base_sha, head_sha)
        if merge_base is None:
            raise KeyError(f"{base}...{head}: no common ancestor")
        return merge_base

    def diff(self, base: str, head: str, *, three_dot: bool = True) -> str:
        """The unified diff GitHub serves for `application/vnd.github.diff`."""
        start = self._range_base(base, head, three_dot)
        return self._git(
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--full-index",
            "-M",
            start,
            self.sha(head),
        )

    def format_patch(self, base: str, head: str) -> str:
        """`git format-patch` output, as GitHub serves `application/vnd.github.patch`."""
        start = self._range_base(base, head, True)
        return self._git("format-patch", "--stdout", "--no-signature", f"{start}..{self.sha(head)}")

    def log(self, base: str | None, head: str) -> list[dict]:
        """Commits reachable from `head` but not `base`, oldest first, with author and parents."""
        rng = [f"{self.sha(base)}..{self.sha(head)}"] if base else [self.sha(head)]
        return copy.deepcopy(self._cached(("log", *rng), lambda: self._log("--reverse", *rng)))

    def info(self, ref: str) -> dict:
        """One commit's record, in the shape `log()` returns."""
        sha = self.sha(ref)
        return copy.deepcopy(self._cached(("info", sha), lambda: self._log("-1", sha)[0]))

    def _log(self, *args: str) -> list[dict]:
        fmt = "%H%x00%P%x00%T%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B%x1e"
        out = self._git("log", f"--format={fmt}", *args)
        commits = []
        for record in out.split("\x1e"):
            record = record.lstrip("\n")
            if not record:
                continue
            sha, parents, tree, an, ae, ad, cn, ce, cd, body = record.split("\0")
            commits.append(
                {
                    "sha": sha,
                    "parents": parents.split(),
                    "tree": tree,
                    "author": {"name": an, "email": ae, "date": _zulu(ad)},
                    "committer": {"name": cn, "email": ce, "date": _zulu(cd)},
                    "message": body.rstrip("\n"),
                }
            )
        return commits

    def commits(self, base: str, head: str) -> list[tuple[str, str, str]]:
        """(sha, message, author name) of the commits in base..head, oldest first."""
        return [(c["sha"], c["message"], c["author"]["name"]) for c in self.log(base, head)]

    def changed_files(
        self,
        base: str,
        head: str,
        *,
        three_dot: bool = True,
        repo: str = "owner/repo",
        api_url: str = "",
    ) -> list[dict]:
        """The diff-entry list (GitHub's `files`) for base...head.

        `repo` and `api_url` only fill the blob/raw/contents URLs.
        """
        start, end = self._range_base(base, head, three_dot), self.sha(head)
        key = (start, end)
        entries = self._files_cache.get(key)
        if entries is None:
            entries = self._diff_entries(start, end)
            self._files_cache[key] = entries
        out = []
        for entry in entries:
            entry = dict(entry)
            name = entry["filename"]
            entry["blob_url"] = f"https://github.com/{repo}/blob/{end}/{name}"
            entry["raw_url"] = f"https://github.com/{repo}/raw/{end}/{name}"
            entry["contents_url"] = f"{api_url}/repos/{repo}/contents/{name}?ref={end}"
            out.append(entry)
        return out

    def _diff_entries(self, start: str, end: str) -> list[dict]:
        raw = self._run("diff", "--raw", "-z", "-M", "--no-abbrev", start, end).stdout.decode(
            "utf-8", errors="surrogateescape"
        )
        fields = raw.split("\0")
        pairs: list[tuple[str, str, str, str | None]] = []  # status, blob sha, filename, previous
        i = 0
        while i < len(fields) - 1:
            meta = fields[i].lstrip(":").split()
            if not meta:
                break
            letter = meta[4][0]
            if letter in "RC":
                old, new = fields[i + 1], fields[i + 2]
                i += 3
            else:
                old = new = fields[i + 1]
                i += 2
            blob = meta[2] if letter == "D" else meta[3]
            pairs.append((letter, blob, new, old if letter in "RC" else None))
        patch_text = self._git(
            "diff", "--no-color", "--no-ext-diff", "--no-textconv", "-M", start, end
        )
        sections = _split_sections(patch_text)
        if len(sections) != len(pairs):  # e.g. a type change shown as delete + add; no patches then
            sections = [""] * len(pairs)
        entries = []
        for (letter, blob, name, previous), section in zip(pairs, sections):
            hunks = _hunks_of(section)
            adds = sum(1 for ln in hunks.splitlines() if ln.startswith("+"))
            dels = sum(1 for ln in hunks.splitlines() if ln.startswith("-"))
            entry: dict = {
                "sha": blob,
                "filename": name,
                "status": _STATUS.get(letter, "modified"),
                "additions": adds,
                "deletions": dels,
                "changes": adds + dels,
            }
            if hunks:
                entry["patch"] = hunks
            if previous is not None:
                entry["previous_filename"] = previous
            entries.append(entry)
        return entries


def _place(tree: dict, path: str, blob: str) -> None:
    *folders, name = path.split("/")
    for folder in folders:
        tree = tree.setdefault(folder, {})
    tree[name] = blob


def _zulu(stamp: str) -> str:
    return stamp[:-6] + "Z" if stamp.endswith("+00:00") else stamp


def _split_sections(patch_text: str) -> list[str]:
    """Split `git diff` output into one text per file (each starting `diff --git`)."""
    sections: list[list[str]] = []
    for line in patch_text.split("\n"):
        if line.startswith("diff --git "):
            sections.append([])
        if sections:
            sections[-1].append(line)
    return ["\n".join(s) for s in sections]


def _hunks_of(section: str) -> str:
    """The hunks of one file's diff, without the headers, as GitHub's `patch` field holds them."""
    lines = section.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("@@"):
            return "\n".join(lines[i:]).rstrip("\n")
    return ""
