"""The `git` command, run in one checkout: the only way `beadle review` reads a local repository.

Thin: each method is one git invocation returning text or bytes. Output never depends on the
user's git configuration where Beadle parses it (prefixes, colour, quoting, external diff
drivers are pinned on the command line), and a failure becomes one `GitError` line.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# Settings that change what git prints; the user's config must not reach the parsers.
_PINNED = (
    "-c",
    "color.ui=never",
    "-c",
    "core.quotePath=false",
    "-c",
    "diff.noprefix=false",
    "-c",
    "diff.mnemonicPrefix=false",
    "-c",
    "log.showSignature=false",
)


class GitError(Exception):
    """git failed or is missing; the message is one line a user can act on."""


class Git:
    def __init__(self, root: str | os.PathLike[str], *, executable: str = "git") -> None:
        self.root = Path(root)
        self.executable = executable
        self._env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        try:
            done = subprocess.run(
                [self.executable, *_PINNED, *args],
                cwd=self.root,
                env=self._env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                check=False,
            )
        except FileNotFoundError:
            raise GitError(f"`{self.executable}` is not installed or not on PATH") from None
        except NotADirectoryError:
            raise GitError(f"{self.root} is not a directory") from None
        if check and done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip().splitlines()
            detail = message[-1] if message else f"exit status {done.returncode}"
            raise GitError(f"git {args[0]} failed: {detail.removeprefix('fatal: ')}")
        return done

    def text(self, *args: str) -> str:
        return self.run(*args).stdout.decode("utf-8", errors="replace")

    def line(self, *args: str) -> str | None:
        """The first line git prints, or None when the command fails (a probe)."""
        done = self.run(*args, check=False)
        if done.returncode != 0:
            return None
        out = done.stdout.decode("utf-8", errors="replace").strip()
        return out.splitlines()[0] if out else ""

    def ok(self, *args: str) -> bool:
        return self.run(*args, check=False).returncode == 0

    def commit(self, rev: str) -> str | None:
        """The commit sha `rev` names, or None."""
        if not rev or rev.startswith("-"):
            return None
        return self.line(
            "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"
        )

    def blob(self, ref: str, path: str) -> bytes | None:
        """The file `path` at `ref`, or None when it is not there (or is not a file)."""
        done = self.run("cat-file", "blob", f"{ref}:{path}", check=False)
        return done.stdout if done.returncode == 0 else None
