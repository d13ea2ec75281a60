"""The Dolt reader end to end on the beads project's real refs/dolt/data, rebuilt in a git
repository: issue ids, a known issue, fields whose blobs are absent, the git adapters, and the
on-disk blob cache."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.beads.dolt import (
    AddressMismatch,
    BeadsDolt,
    BlobCache,
    CachedFiles,
    ChunkNotFound,
    CountingFiles,
    GitDataFiles,
    IssueRecord,
    LocalGitFiles,
    MissingBlob,
    NotFound,
)
from bot.beads.dolt.files import git_blob_id
from bot.beads.dolt.storage import archive, table
from tests.data.dolt.fixture import BEADS, build_repo

BLOBS = BEADS / "blobs"
ROOT_FILE = "dcsml3s6crjt7ip5q9h0nqlc5dknf9t4"  # holds the store's root chunk
BIG_ARCHIVE = "2bspe8vdredqv31mv4cf616tc8fa6sfn.darc"  # index here, data blob absent
PARTED_ARCHIVE = "2kcel8rt3uc4sbjap4akbnkmo1pfqr3b.darc"  # parts and tail all absent


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("beads") / "repo"
    return path, build_repo(path)


@pytest.fixture(scope="module")
def beads(repo: tuple[Path, str]) -> BeadsDolt:
    return BeadsDolt(LocalGitFiles(str(repo[0])))


class LocalGitData:
    """The GitData protocol over a local repository (what the GitHub client offers remotely)."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.blobs_served = 0

    def _git(self, *args: str) -> bytes:
        return subprocess.run(
            ["git", "-C", str(self.repo), *args], capture_output=True, check=True
        ).stdout

    def ref_sha(self, name: str) -> str | None:
        done = subprocess.run(
            ["git", "-C", str(self.repo), "rev-parse", "--verify", "--quiet", name],
            capture_output=True,
        )
        return done.stdout.decode().strip() or None

    def commit_tree(self, commit_sha: str) -> str:
        return self._git("rev-parse", f"{commit_sha}^{{tree}}").decode().strip()

    def tree(self, tree_sha: str) -> Sequence[tuple[str, str, str, int | None]]:
        out = []
        for line in self._git("ls-tree", "-r", "-t", "-l", tree_sha).decode().splitlines():
            meta, path = line.split("\t", 1)
            _mode, kind, sha, size = meta.split()
            out.append((path, kind, sha, int(size) if size.isdigit() else None))
        return out

    def blob(self, sha: str) -> bytes:
        self.blobs_served += 1
        return self._git("cat-file", "blob", sha)


def same(a: IssueRecord | None, b: IssueRecord | None) -> bool:
    """Equal records with the same fields unreadable for the same kinds of reason."""
    assert a is not None and b is not None
    kinds = [{k: type(v) for k, v in r.unreadable.items()} for r in (a, b)]
    return a.record == b.record and kinds[0] == kinds[1]


# -- issues ---------------------------------------------------------------------------------


def test_all_2052_issue_ids_decode(beads: BeadsDolt) -> None:
    ids = beads.issue_ids()
    assert len(ids) == len(set(ids)) == 2052
    assert ids == sorted(ids)  # key order of a binary collation is byte order
    assert ids[:3] == ["bd-0088", "bd-00hkr", "bd-0134cc5a"]
    assert ids[-1] == "hq-pr-sheriff"
    assert all(beads.find_issue(i) is not None for i in ids[::97])


def test_a_known_issue_reads_like_its_jsonl_record(beads: BeadsDolt) -> None:
    issue = beads.find_issue("bd-5l7jm")
    assert issue is not None
    rec = issue.record
    assert rec["id"] == "bd-5l7jm"
    assert rec["title"] == "Beads v1.1 release"
    assert (rec["status"], rec["priority"], rec["issue_type"]) == ("open", 1, "epic")
    assert rec["assignee"] == "gastown.mayor"
    assert rec["owner"] == "steve.yegge@gmail.com"
    assert rec["created_at"] == "2026-05-21T23:10:47Z"
    assert str(rec["description"]).startswith("# Beads v1.1 Release\n\nTracking bead for the")
    assert str(rec["acceptance_criteria"]).startswith("All known issues resolved")
    assert "closed_at" not in rec and "notes" not in rec  # NULL and empty are left out
    comments = rec["comments"]
    assert isinstance(comments, list) and len(comments) == 3
    assert [c["created_at"] for c in comments] == [
        "2026-05-21T23:56:07Z",
        "2026-05-21T23:56:09Z",
        "2026-05-22T00:01:27Z",
    ]  # oldest first
    assert {c["author"] for c in comments} == {"controller"}
    assert comments[0]["text"].startswith("## [1.0.5] - 2026-05-21")
    assert comments[2]["text"].startswith("CORRECTION to the handoff comment above")
    # the labels table's schema lives in the archive whose blobs are absent: named, not faked
    assert "labels" not in rec
    assert isinstance(issue.unreadable["labels"], ChunkNotFound)
    assert f"{PARTED_ARCHIVE}.tail" in str(issue.unreadable["labels"])


def test_title_status_priority_come_through_when_the_description_blob_is_absent(
    beads: BeadsDolt,
) -> None:
    issue = beads.find_issue("bd-050vp")
    assert issue is not None
    assert issue.record["title"] == "Digest: mol-witness-patrol"
    assert (issue.record["status"], issue.record["priority"]) == ("closed", 2)
    assert issue.record["closed_at"] == "2026-02-12T17:29:25Z"
    assert "description" not in issue.record
    error = issue.unreadable["description"]
    assert isinstance(error, MissingBlob)
    assert error.path == BIG_ARCHIVE
    assert str(error).startswith(f"blob d8b75ce93e1e ({BIG_ARCHIVE}) is missing")
    assert any(
        p.startswith("description of bd-050vp could not be read: blob d8b75ce93e1e")
        for p in issue.problems()
    )


def test_a_value_whose_file_index_is_absent_names_that_file(beads: BeadsDolt) -> None:
    issue = beads.find_issue("bd-0088")
    assert issue is not None
    assert issue.record["title"] == "Create npm package structure for bd-wasm"
    assert issue.record["priority"] == 1
    error = issue.unreadable["description"]
    assert isinstance(error, ChunkNotFound)
    assert "(column description of table issues)" in str(error)
    assert f"blob 0557dedcfcc6 ({PARTED_ARCHIVE}.tail) is missing" in str(error)


def test_dependencies_keep_their_target_when_metadata_is_unreadable(beads: BeadsDolt) -> None:
    issue = beads.find_issue("bd-0088")
    assert issue is not None
    assert issue.record["dependencies"] == [
        {
            "issue_id": "bd-0088",
            "depends_on_id": "bd-44d0",
            "type": "parent-child",
            "created_at": "2026-02-02T00:44:19Z",
            "created_by": "bootstrap",
        }
    ]
    assert "dependencies.metadata" in issue.unreadable


def test_a_lookup_by_descent_agrees_with_a_scan(beads: BeadsDolt) -> None:
    issues = beads.db.table("issues")
    rows = {str(r["id"]): r for r in issues.rows()}
    assert len(rows) == 2052
    for issue_id in sorted(rows)[::41] + [max(rows), min(rows)]:
        assert issues.find({"id": issue_id}) == rows[issue_id]
    assert issues.find({"id": min(rows)[:-1]}) is None  # sorts before every key
    assert issues.find({"id": max(rows) + "z"}) is None  # sorts after every key


def test_one_reader_serves_several_threads(repo: tuple[Path, str]) -> None:
    shared = BeadsDolt(LocalGitFiles(str(repo[0])))
    ids = shared.issue_ids()[::7]
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(shared.find_issue, ids))
    alone = BeadsDolt(LocalGitFiles(str(repo[0])))
    assert all(same(a, alone.find_issue(i)) for a, i in zip(found, ids, strict=True))


def test_an_unknown_id_is_none(beads: BeadsDolt) -> None:
    assert beads.find_issue("bd-nope") is None
    assert beads.find_issue("") is None
    assert beads.find_issue("zzzz") is None


def test_the_source_names_the_commits_read(beads: BeadsDolt, repo: tuple[Path, str]) -> None:
    assert beads.source.data_commit == repo[1]
    assert beads.source.short == repo[1][:8]
    assert beads.source.dolt_commit == "i02mvp5q9tvpu0u1vguv8kmhiinebus7"
    assert beads.source.height == 1575


# -- failures -------------------------------------------------------------------------------


def test_a_flipped_byte_in_the_root_chunk_fails_its_address_check(tmp_path: Path) -> None:
    data = bytearray((BLOBS / ROOT_FILE).read_bytes())
    start = 106  # the root chunk's record (see test_dolt_storage)
    index = table.parse_index(bytes(data), ROOT_FILE)
    assert index.locate(bytes.fromhex("bc1e3793087371d9d852743a4135193008d85f5c"))[0] == start
    data[start + 3] ^= 0x20  # inside the first literal of the snappy record
    build_repo(tmp_path / "repo", replace={ROOT_FILE: bytes(data)})
    with pytest.raises(AddressMismatch) as caught:
        BeadsDolt(LocalGitFiles(str(tmp_path / "repo")))
    assert str(caught.value) == (
        f"chunk ngf3f4o8edotjm2iegt42d8p604dgnqs in {ROOT_FILE} fails its address check"
    )


def test_a_missing_blob_is_named_and_a_records_copy_is_used(tmp_path: Path) -> None:
    """The issues table's nodes are in one archive; store it as `.records` + `.tail` as
    bs_persister writes them, without the joined file, then without the records too."""
    darc = "m45e3flfau8tavrta20aaic7a476u1ji.darc"
    data = (BLOBS / darc).read_bytes()
    split = archive.parse_index(data, darc).data_size
    parts = {darc + ".records": data[:split], darc + ".tail": data[split:]}
    build_repo(tmp_path / "one", skip=frozenset({darc}), replace=parts)
    files = CountingFiles(LocalGitFiles(str(tmp_path / "one")))
    assert len(BeadsDolt(files).issue_ids()) == 2052
    assert darc + ".records" in files.paths and darc not in files.paths
    build_repo(tmp_path / "two", skip=frozenset({darc, darc + ".records"}), replace=parts)
    beads = BeadsDolt(LocalGitFiles(str(tmp_path / "two")))
    with pytest.raises(MissingBlob) as caught:
        beads.issue_ids()
    assert caught.value.path == darc
    assert str(caught.value).startswith(f"blob a8539910179e ({darc}) is missing")


def test_a_file_the_tree_lacks_is_named(tmp_path: Path) -> None:
    darc = "m45e3flfau8tavrta20aaic7a476u1ji.darc"
    build_repo(tmp_path / "repo", drop=frozenset({darc}))
    beads = BeadsDolt(LocalGitFiles(str(tmp_path / "repo")))
    with pytest.raises(ChunkNotFound) as caught:
        beads.issue_ids()
    assert (
        "m45e3flfau8tavrta20aaic7a476u1ji is missing from refs/dolt/data: the manifest "
        "names it but the tree has no such file" in str(caught.value)
    )


def test_a_repository_without_dolt_data_is_named(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    with pytest.raises(NotFound, match="no refs/dolt/data"):
        LocalGitFiles(str(tmp_path))
    with pytest.raises(NotFound, match="no refs/dolt/data"):
        GitDataFiles(LocalGitData(tmp_path))


# -- the git-data adapter -------------------------------------------------------------------


def test_git_data_files_read_the_same_issues(repo: tuple[Path, str], beads: BeadsDolt) -> None:
    api = LocalGitData(repo[0])
    files = GitDataFiles(api)
    assert files.commit == repo[1]
    assert set(files.entries()) == set(LocalGitFiles(str(repo[0])).entries())
    remote = BeadsDolt(files)
    assert remote.issue_ids() == beads.issue_ids()
    assert same(remote.find_issue("bd-5l7jm"), beads.find_issue("bd-5l7jm"))
    assert remote.source == beads.source


class FailingGitData(LocalGitData):
    def __init__(self, repo: Path, fail: str, answer: bytes | None = None) -> None:
        super().__init__(repo)
        self.fail, self.answer = fail, answer

    def blob(self, sha: str) -> bytes:
        if sha == self.fail:
            if self.answer is None:
                raise ConnectionError("GitHub answered 502")
            return self.answer
        return super().blob(sha)


def test_git_data_errors_become_named_missing_blobs(repo: tuple[Path, str]) -> None:
    manifest = "4170340bcd6f1dd98221fa294e508f798e1e00ae"
    with pytest.raises(MissingBlob) as caught:
        BeadsDolt(GitDataFiles(FailingGitData(repo[0], manifest)))
    assert str(caught.value) == (
        "blob 4170340bcd6f (manifest) is missing from refs/dolt/data: GitHub answered 502"
    )
    with pytest.raises(MissingBlob, match="do not match the blob id"):
        BeadsDolt(GitDataFiles(FailingGitData(repo[0], manifest, b"5:__DOLT__:...")))


# -- the blob cache -------------------------------------------------------------------------


def test_a_warm_read_through_the_blob_cache_reads_no_blob(
    repo: tuple[Path, str], tmp_path: Path
) -> None:
    cache = BlobCache(tmp_path / "cache")
    cold = CountingFiles(LocalGitFiles(str(repo[0])))
    first = BeadsDolt(CachedFiles(cold, cache))
    ids = first.issue_ids()
    issue = first.find_issue("bd-5l7jm")
    assert cold.reads > 0
    warm = CountingFiles(LocalGitFiles(str(repo[0])))
    second = BeadsDolt(CachedFiles(warm, cache))
    assert second.issue_ids() == ids
    assert same(second.find_issue("bd-5l7jm"), issue)
    assert second.source.data_commit == repo[1]
    assert (warm.reads, warm.bytes) == (0, 0)


def test_the_blob_cache_evicts_the_least_recently_used_first(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path / "cache", max_bytes=1000)
    a, b, c, d = (bytes([i]) * 400 for i in range(4))

    def age(data: bytes, when: int) -> None:
        os.utime(tmp_path / "cache" / git_blob_id(data), (when, when))

    cache.put(git_blob_id(a), a)
    age(a, 1000)
    cache.put(git_blob_id(b), b)
    age(b, 2000)
    cache.put(git_blob_id(c), c)  # 1200 bytes: the oldest (a) goes
    assert [cache.get(git_blob_id(x)) is not None for x in (a, b, c)] == [False, True, True]
    age(c, 3000)  # b was read just now, so c is the least recently used
    cache.put(git_blob_id(d), d)
    assert [cache.get(git_blob_id(x)) is not None for x in (b, c, d)] == [True, False, True]


def test_the_blob_cache_refuses_bad_bytes(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path / "cache")
    data = b"the blob"
    blob = git_blob_id(data)
    cache.put(blob, b"not the blob")  # bytes that do not match their id are not kept
    assert cache.get(blob) is None
    cache.put(blob, data)
    assert cache.get(blob) == data
    (tmp_path / "cache" / blob).write_bytes(b"torn")  # a damaged file is dropped, not served
    assert cache.get(blob) is None
    assert not (tmp_path / "cache" / blob).exists()
    assert not list((tmp_path / "cache").glob(".tmp-*"))
    with pytest.raises(ValueError):
        cache.get("../etc/passwd")
