"""The beads ids a pull request names: a table of commit subjects, PR texts and branch names shaped
like those of beads-using repositories (written for these tests), scored for precision and recall,
and the rules for known ids, the project prefix and the order of several ids."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from bot.beads.ids import find_issue_id, find_issue_ids


@dataclass(frozen=True)
class Case:
    expected: tuple[str, ...]
    title: str = ""
    body: str | None = None
    branch: str = ""
    commits: tuple[str, ...] = ()
    known: frozenset[str] | None = None
    prefix: str | None = None
    note: str = field(default="", compare=False)

    def found(self) -> list[str]:
        return find_issue_ids(
            title=self.title,
            body=self.body,
            branch=self.branch,
            commit_messages=self.commits,
            known_ids=self.known,
            prefix=self.prefix,
        )


def ids(*found: str) -> tuple[str, ...]:
    return found


NONE = ids()
TOAST = frozenset({"gt-gastown-polecat-Toast", "gt-gastown-polecat-toast"})

TABLE = [
    # --- where beads users put the id ---------------------------------------------------------
    Case(ids("bd-kwro"), title="feat: add retry budget to the sync loop (bd-kwro)"),
    Case(ids("bd-a3f8"), title="fix: close stale handles on shutdown (bd-a3f8)"),
    Case(ids("bd-kzn"), title="feat: add gc and compact for standalone use (bd-kzn)"),
    Case(ids("bd-a3f8.1.2"), title="Show hierarchical children in the tree (bd-a3f8.1.2)"),
    Case(ids("bd-u2sc.1"), title="refactor(cmd): typed JSON response structs (bd-u2sc.1)"),
    Case(ids("bd-a5e2bd80.15"), title="Document hash-based ids and children (bd-a5e2bd80.15)"),
    Case(ids("bd-123"), title="Fix the daemon restart loop (bd-123)"),
    Case(ids("bd-kzn"), title="fix: handle an empty config file (bd-kzn) (#1234)"),
    Case(ids("be-7daa14"), title="feat(init): contributor routing on fork (be-7daa14) (#4028)"),
    Case(ids("bd-420"), title="fix: validate project files in FindDir (bd-420) (#424)"),
    Case(ids("be-wwbsv"), title="feat(schema): hard fail on forward drift (be-wwbsv)"),
    Case(ids("bd-ypvj"), title="feat: detect uncommitted exports before sync (GH#872, bd-ypvj)"),
    Case(
        ids("bd-vks2", "bd-mv6h", "bd-d9mu"),
        title="feat: external deps in tree (bd-vks2, bd-mv6h, bd-d9mu)",
    ),
    Case(ids("bd-sal9", "bd-ieyy"), title="feat: molecule navigation commands (bd-sal9, bd-ieyy)"),
    Case(ids("bd-llfl"), title="[bd-llfl] Add unit tests for the CLI"),
    Case(ids("bd-x"), title="Closes bd-x", prefix="bd"),
    Case(ids("bd-kwro"), title="Wire the exporter", body="Closes bd-kwro"),
    Case(ids("ab-pccw.6.3"), title="close ab-pccw.6.3: wire the exporter to the queue"),
    Case(ids("ab-ruqe"), title="Follow-up to ab-ruqe"),
    Case(ids("bd-aqkh"), title="chore: close bd-aqkh (GH#402 already fixed)"),
    Case(ids("bd-cyec"), title="chore: close bd-cyec (GH#510 docs complete)"),
    Case(ids("bd-160"), title="Implement bd-160: add schema versioning"),
    Case(ids("bd-191"), title="Fix bd-191: sync --dry-run must not write"),
    Case(ids("bd-162"), title="bd-162: Add database integrity checks"),
    Case(ids("bd-411u"), title="bd-411u: Document the BEADS_DIR pattern"),
    Case(ids("bd-52"), title="Fix a race in the flush timer (issue bd-52)"),
    Case(ids("bd-178"), title="Add a Windows CI build (#bd-178)"),
    Case(ids("bd-d7kdn"), title="sync: closed bd-d7kdn"),
    Case(ids("proj-qrs"), title="beads: proj-qrs"),
    Case(ids("proj-qrs"), title="Port the exporter to Go (proj-qrs)"),
    Case(ids("bd-243", "bd-245", "bd-247"), title="Update issues: close bd-243, bd-245, bd-247"),
    Case(ids("bd-ar2", "bd-dvd", "bd-ymj"), title="Close bd-ar2, bd-dvd, and bd-ymj: review work"),
    Case(ids("gt-svi.3", "gt-3x1.1"), title="bd sync: close gt-svi.3, gt-3x1.1"),
    Case(ids("bd-155", "bd-156"), title="Fix races: on delete (bd-155) and on load (bd-156)"),
    Case(ids("gt-4ol8f"), title='Revert "Fix hook roles for town beads (gt-4ol8f)"'),
    Case(
        ids("bd-yzlh"),
        commits=("fix: escape names (bd-yzlh)\n\nSigned-off-by: Ana <ana@example.com>",),
    ),
    Case(ids("bd-kwro"), title="Wire the exporter", body="## Summary\n\nCloses `bd-kwro`.\n"),
    Case(ids("bd-kwro"), body="**Beads:** bd-kwro\n\n- [x] tests"),
    Case(ids("bd-kwro"), body="Implements [bd-kwro](https://github.com/o/r/blob/main/x.md)"),
    Case(ids("bd-kwro"), body="Issue: bd-kwro\nSee https://example.com/docs/bd-a3f8x for more"),
    # --- prefixes with hyphens, capitals, digits -----------------------------------------------
    Case(
        ids("dolt-test-bx8z"), title="fix: create the branch on checkout failure (dolt-test-bx8z)"
    ),
    Case(ids("beads-9f74-q9o"), title="fix(doctor): honor the bare parent dir (beads-9f74-q9o)"),
    Case(ids("my-cool-app-x7k2"), title="Route requests by tenant (my-cool-app-x7k2)"),
    Case(ids("GAS-zb8"), title="fix(dolt): allow hyphens in database names (GAS-zb8) (#3053)"),
    Case(ids("MyApp-k3x9"), title="Parse the manifest lazily (MyApp-k3x9)"),
    Case(ids("beads-bn1"), title="test(close): table-driven routing tests (beads-bn1)"),
    Case(ids("citations-0o2"), title="Add the citations-0o2 export"),
    Case(
        ids("gt-gastown-polecat-Toast"),
        title="Stop the worker (gt-gastown-polecat-Toast)",
        known=TOAST,
    ),
    Case(
        ids("gt-gastown-polecat-toast"),
        title="Stop the worker (gt-gastown-polecat-toast)",
        known=TOAST,
    ),
    Case(
        ids("gt-gastown-polecat-Toast"),
        title="Stop the worker (gt-gastown-polecat-Toast)",
        prefix="gt",
    ),
    # --- bare ids, where the shape or the repository says enough -------------------------------
    Case(ids("bd-my64"), title="Improve the bd-my64 fix after review"),
    Case(ids("bd-68e4"), title="fix(bd-68e4): export must write to the file"),
    Case(ids("gt-1hfkr"), title="fix: stop hardcoding the remote name (GH #gt-1hfkr)"),
    Case(ids("bd-kwro"), title="Polish the exporter for bd-kwro", prefix="bd"),
    Case(ids("bd-a3f8"), title="UPPER CASE BD-A3F8", known=frozenset({"bd-a3f8"})),
    Case(
        ids("bd-abc"),
        title="Refactor the importer",
        body="touches bd-abc",
        known=frozenset({"bd-abc"}),
    ),
    Case(ids("bd-123"), title="old style bd-123", prefix="bd"),
    Case(ids("gt-j8kxo"), title="Merge: dag-mjxm10sv (gt-j8kxo) - add rig restart", prefix="gt"),
    # --- branch names --------------------------------------------------------------------------
    Case(ids("bd-jpw"), branch="polecat/onyx/bd-jpw@mn0taqna"),
    Case(ids("bd-am3.1"), branch="ci/bd-am3.1-wrapper"),
    Case(ids("bd-1zo"), branch="bd-1zo-sandbox-tests"),
    Case(ids("bd-bxr0"), branch="adopt-pr/bd-bxr0-c6691a6"),
    Case(ids("be-38r"), branch="fix/be-38r-schema-guard"),
    Case(ids("bd-a3f8"), branch="feature/bd-a3f8-add-login-form"),
    Case(ids("gt-0e4"), branch="fix/scanner-err-and-close-gt-0e4"),
    Case(ids("bd-kwro"), branch="feature/bd-kwro-login", prefix="bd"),
    Case(ids("bd-kwro"), branch="bd-kwro", known=frozenset({"bd-kwro"})),
    Case(ids("bd-xmf"), commits=("Merge polecat/opal/bd-xmf: speed up the tests",)),
    Case(
        ids("bd-qy0"),
        commits=("Merge remote-tracking branch 'origin/polecat/topaz/bd-qy0@mm5kyivk'",),
    ),
    Case(ids("bd-jx5t5"), body="Merge pull request #2546 from ana/feature/bd-jx5t5-backup-export"),
    # --- not ids -------------------------------------------------------------------------------
    Case(NONE, title="Use AES-256 for the vault key"),
    Case(NONE, title="fix: smoke test mutations and a PR gate (GH-2968)"),
    Case(NONE, title="fix(daemon): faster recovery through lower thresholds (PATCH-005)"),
    Case(NONE, title="Fix the login redirect (ENG-123)"),
    Case(NONE, title="Closes PROJ-42", body="Linear: ENG-4521, Jira: OPS-77"),
    Case(NONE, branch="alice/eng-123-fix-login"),
    Case(NONE, title="Store session:abc-uuid-123 in the log"),
    Case(NONE, title="Trace 550e8400-e29b-41d4-a716-446655440000"),
    Case(NONE, branch="feature/login-2026-11-30"),
    Case(NONE, branch="fix-20261130"),
    Case(NONE, branch="bench/perf-reference-benchmarks-20260518"),
    Case(NONE, title="decode as utf-8 (utf-8) and UTF-16"),
    Case(NONE, title="build for x86-64 (x86-64)"),
    Case(NONE, title="hash with sha-256 (sha-256)"),
    Case(NONE, title="upgrade to gpt-4o (gpt-4o)"),
    Case(NONE, title="set up pre-commit (pre-commit)"),
    Case(NONE, title="a follow-up to the e2e tests (follow-up)"),
    Case(NONE, title="see https://github.com/o/r/pull/12 and https://example.com/bd-a3f8x"),
    Case(NONE, title="mail jo-abc9@example.com or <bd-k3x9@example.org>"),
    Case(NONE, title="chore(deps): bump github.com/ncruces/go-sqlite3 from 0.30.1 to 0.30.3"),
    Case(NONE, title="Make the export opt-in (opt-in)"),
    Case(NONE, title="fix: support a dry run (dry-run)"),
    Case(NONE, title="Guard the cache (thread-safe)"),
    Case(NONE, title="Retry the writes (best-effort)"),
    Case(NONE, title="Run the suite end-to-end (end-to-end)"),
    Case(NONE, title="Improve the error messages (beads-mcp)"),
    Case(NONE, title="fix(beads-mcp): handle closed pipes"),
    Case(NONE, title="Add support for the P-prefix format (P0-P4)"),
    Case(NONE, title="Bump node-18 and python-3.11 (python-3.11)"),
    Case(NONE, title="Dates are iso-8601, rfc-3339; 2025-11-21"),
    Case(NONE, title="Split it: step-1, phase-2 (phase-2)"),
    Case(NONE, title="Fixes off-by-one error", body="Task: add-login-form."),
    Case(NONE, title="bd-abc without a cue"),
    Case(NONE, title="Tidy the bd-show output", prefix="bd"),
    Case(NONE, title="Cache at most cache-512mb for api-v10"),
    Case(NONE, branch="fix/comment-export-conflict-3009"),
    Case(NONE, branch="ana/codex/gh-1384-feedback-output"),
    Case(NONE, branch="dependabot/go_modules/golang.org/x/term-0.43.0"),
    Case(NONE, branch="polecat/jasper-mo69l6gb"),
    Case(NONE, branch="feat/dolt-auto-push"),
    Case(NONE, title="Update README", body=None, branch="main", commits=("wip",)),
]


def test_table_precision_and_recall() -> None:
    """Ids, not cases, are counted: a case naming three ids counts three times."""
    true_pos = false_pos = false_neg = 0
    wrong = []
    for case in TABLE:
        found, expected = case.found(), list(case.expected)
        true_pos += len(set(found) & set(expected))
        false_pos += len(set(found) - set(expected))
        false_neg += len(set(expected) - set(found))
        if found != expected:
            wrong.append((case, found))
    precision = true_pos / ((true_pos + false_pos) or 1)
    recall = true_pos / ((true_pos + false_neg) or 1)
    positives = sum(1 for c in TABLE if c.expected)
    print(
        f"\nids table: {len(TABLE)} cases ({positives} with ids, {len(TABLE) - positives} "
        f"without), {true_pos + false_neg} ids expected; precision {precision:.3f}, "
        f"recall {recall:.3f}; {len(wrong)} cases differ"
    )
    for case, found in wrong:
        print(f"  expected {list(case.expected)}, found {found}: {case}")
    assert len(TABLE) >= 60
    assert precision >= 0.99
    assert recall >= 0.99


@pytest.mark.parametrize("case", TABLE, ids=lambda c: (c.title or c.branch or c.body or "")[:50])
def test_table_case(case: Case) -> None:
    assert case.found() == list(case.expected)


# --- known ids ------------------------------------------------------------------------------


def find(
    title: str = "",
    body: str | None = None,
    branch: str = "",
    commits: tuple[str, ...] = (),
    known: set[str] | frozenset[str] | None = None,
    prefix: str | None = None,
) -> list[str]:
    return find_issue_ids(
        title=title,
        body=body,
        branch=branch,
        commit_messages=commits,
        known_ids=known,
        prefix=prefix,
    )


def test_ids_keep_their_case_and_fold_only_when_unambiguous() -> None:
    assert find(title="Stop it (gt-gastown-polecat-Toast)", known=TOAST) == [
        "gt-gastown-polecat-Toast"
    ]
    # Two known ids fold to the same spelling: the one written is kept as written.
    assert find(title="Stop it (gt-gastown-polecat-TOAST)", known=TOAST) == [
        "gt-gastown-polecat-TOAST"
    ]
    assert find(title="Stop gt-gastown-polecat-TOAST", known=TOAST) == []
    # One known id folds so: it is that id.
    assert find(title="Fix BD-A3F8 now", known={"bd-a3f8"}) == ["bd-a3f8"]
    assert find(title="Fix (bd-A3F8)", known={"bd-a3f8"}) == ["bd-a3f8"]
    # Without known ids nothing is folded, and beads never writes a hash in capitals.
    assert find(title="Fix BD-A3F8 now") == []
    assert find(title="Fix bd-a3f8 and bd-A3F8 (bd-a3f8)") == ["bd-a3f8"]


def test_known_ids_never_outrank_an_explicit_id() -> None:
    known = {"bd-abc", "bd-def", "bd-x1y2"}
    # An explicit id in the title comes before a bare known id in the body...
    assert find(title="Refs (bd-a1b2)", body="part of bd-def", known=known) == [
        "bd-a1b2",
        "bd-def",
    ]
    # ...and in the same line, and even when the bare known id comes first in search order.
    assert find(title="Port the bd-def importer (bd-x1y2)", known=known) == ["bd-x1y2", "bd-def"]
    assert find(title="Polish bd-def", commits=("Polish (bd-x1y2)",), known=known) == [
        "bd-x1y2",
        "bd-def",
    ]
    # A bare known id outranks a bare unknown one wherever they are.
    assert find(title="Bump the bd-a1b2 parser", body="touches bd-def", known=known) == [
        "bd-def",
        "bd-a1b2",
    ]
    # A known id is found anywhere in a word, even one that reads as something else.
    assert find(branch="wip-bd-abc-login", known=known) == ["bd-abc"]
    # Two explicit ids: search order decides, not which one is known.
    assert find(title="fix-typo", commits=("x (bd-zzz)", "y (bd-abc)"), known=known) == [
        "bd-zzz",
        "bd-abc",
    ]


def test_known_ids_give_their_prefixes() -> None:
    known = {"bd-abc"}
    # A bare word with a foreign prefix is no id once the repository's prefixes are known...
    assert find(title="Add citations-0o2 export", known=known) == []
    # ...but an explicit one with a generated hash is (an id of another rig).
    assert find(title="Route beads (gt-e3uiy)", known=known) == ["gt-e3uiy"]
    assert find(title="Route beads (gt-kwro)", known=known) == []
    # The project's prefix takes an unknown id without digits, not an English word.
    assert find(title="Polish bd-kwro", known=known) == ["bd-kwro"]
    assert find(title="Polish bd-show", known=known) == []


def test_issue_prefix() -> None:
    assert find(branch="bd-kwro", prefix="bd") == ["bd-kwro"]
    assert find(branch="bd-kwro") == []
    assert find(branch="wip-bd-a3f8-login", prefix="bd") == ["bd-a3f8"]
    assert find(title="Closes bd-x", prefix="bd") == ["bd-x"]
    assert find(title="Closes bd-x") == []
    assert find(title="Polish bd-kwro", prefix=" bd- ") == ["bd-kwro"]  # as `bd config` trims
    assert find(title="Polish my-app-kwro", prefix="my-app") == ["my-app-kwro"]
    # The project's prefix is no licence for dates and keys.
    assert find(branch="bd-2026-11-30", prefix="bd") == []
    assert find(branch="feature/bd-20261130", prefix="bd") == []
    assert find(title="Fix it (ENG-123)", prefix="bd") == []
    # A Jira-like key is an id when it is the project's own prefix.
    assert find(title="Fix it (ENG-123)", prefix="ENG") == ["ENG-123"]


def test_several_ids_in_search_order_deduplicated() -> None:
    title, body, branch = (
        "Add login (bd-t1tl)",
        "Implements bd-b0dy\n\nAlso closes bd-t1tl.",
        "feature/bd-br4n-login",
    )
    commits = ("Fix auth validation (bd-c0m1)", "Other (bd-c0m2)", "Again (bd-b0dy)")
    assert find(title, body, branch, commits) == [
        "bd-t1tl",
        "bd-b0dy",
        "bd-br4n",
        "bd-c0m1",
        "bd-c0m2",
    ]
    assert find("Add login", body, branch, commits) == [
        "bd-b0dy",
        "bd-t1tl",
        "bd-br4n",
        "bd-c0m1",
        "bd-c0m2",
    ]
    assert find("Add login", None, "main", commits) == ["bd-c0m1", "bd-c0m2", "bd-b0dy"]
    first = find_issue_id(title="Add login", body=None, branch="main", commit_messages=commits)
    assert first == "bd-c0m1"
    assert find_issue_id(title="Add login", body=None, branch="main", commit_messages=()) is None
    # Within a line, left to right; explicit ids before bare ones.
    assert find(title="Port the bd-a1b2 parser (bd-c3d4, bd-e5f6)") == [
        "bd-c3d4",
        "bd-e5f6",
        "bd-a1b2",
    ]


def test_pathological_text_stays_linear() -> None:
    texts = [
        "-".join(["ab"] * 20_000),
        "(" * 30_000 + ")" * 30_000,
        "x (#1)" * 20_000,
        "Closes a-b1c, " * 5_000,
        "(bd-a1b2, " * 5_000 + ")",
        "polecat/" * 20_000 + "bd-jpw@x",
        " ".join(["re-a1b2"] * 5_000),
        "a@" * 30_000,
        ":/" * 30_000,
    ]
    start = time.perf_counter()
    for text in texts:
        find(title=text, body=text, branch=text, commits=(text,), known={"bd-abc"}, prefix="bd")
    assert time.perf_counter() - start < 60  # a hang guard: a regex gone quadratic takes hours
