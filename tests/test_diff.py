"""Diff parsing: GitHub's diff text and its "list pull request files" entries."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.review.diff import FileDiff, from_pr_files, keep_hunks, parse_diff, render

# Made with `git diff --cached` over a real repository (see each file's comment).
SAMPLE = """\
diff --git a/a.txt b/a.txt
index c9e9e05..c61fe5e 100644
--- a/a.txt
+++ b/a.txt
@@ -1,5 +1,5 @@
 one
-two
+TWO
 three
 four
 five
@@ -8,3 +8,4 @@ seven
 eight
 nine
 ten
+eleven
diff --git a/added.txt b/added.txt
new file mode 100644
index 0000000..3e75765
--- /dev/null
+++ b/added.txt
@@ -0,0 +1 @@
+new
diff --git a/gone.txt b/gone.txt
deleted file mode 100644
index 2fa992c..0000000
--- a/gone.txt
+++ /dev/null
@@ -1 +0,0 @@
-keep
diff --git a/img.png b/img.png
index f584f40..6bf43ff 100644
Binary files a/img.png and b/img.png differ
diff --git a/old_name.txt b/new_name.txt
similarity index 85%
rename from old_name.txt
rename to new_name.txt
index 7b5078c..0de5acd 100644
--- a/old_name.txt
+++ b/new_name.txt
@@ -4,4 +4,4 @@ z
 w
 v
 u
-t
+T
diff --git a/nonl.txt b/nonl.txt
index f2ba8f8..d4a5aa5 100644
--- a/nonl.txt
+++ b/nonl.txt
@@ -1 +1 @@
-abc
\\ No newline at end of file
+abd
\\ No newline at end of file
diff --git a/run.sh b/run.sh
old mode 100644
new mode 100755
diff --git "a/sp ace/caf\\303\\251.txt" "b/sp ace/caf\\303\\251.txt"
index bca70f3..d169a2f 100644
--- "a/sp ace/caf\\303\\251.txt"\t
+++ "b/sp ace/caf\\303\\251.txt"\t
@@ -1 +1 @@
-q
+q2
"""


def by_path(files: list[FileDiff]) -> dict[str, FileDiff]:
    return {f.path: f for f in files}


def test_sample_files_in_order_with_status() -> None:
    files = parse_diff(SAMPLE)
    assert [(f.path, f.status, f.old_path) for f in files] == [
        ("a.txt", "modified", None),
        ("added.txt", "added", None),
        ("gone.txt", "removed", None),
        ("img.png", "modified", None),
        ("new_name.txt", "renamed", "old_name.txt"),
        ("nonl.txt", "modified", None),
        ("run.sh", "modified", None),
        ("sp ace/café.txt", "modified", None),
    ]


def test_modified_file_lines_and_hunks() -> None:
    f = by_path(parse_diff(SAMPLE))["a.txt"]
    assert (f.added, f.removed, f.is_binary) == (2, 1, False)
    assert [(h.old_start, h.old_len, h.new_start, h.new_len) for h in f.hunks] == [
        (1, 5, 1, 5),
        (8, 3, 8, 4),
    ]
    assert f.right_lines == {1, 2, 3, 4, 5, 8, 9, 10, 11}
    assert f.left_lines == {1, 2, 3, 4, 5, 8, 9, 10}
    assert f.hunks[0].text == "@@ -1,5 +1,5 @@\n one\n-two\n+TWO\n three\n four\n five\n"
    assert f.hunks[1].text.startswith("@@ -8,3 +8,4 @@ seven\n")
    assert (f.hunks[0].added, f.hunks[0].removed, f.hunks[1].added) == (1, 1, 1)
    assert f.patch.startswith("diff --git a/a.txt b/a.txt\nindex")
    assert f.patch.endswith("+eleven\n")


def test_added_and_removed_files() -> None:
    files = by_path(parse_diff(SAMPLE))
    added, gone = files["added.txt"], files["gone.txt"]
    assert (added.right_lines, added.left_lines, added.added, added.removed) == ({1}, set(), 1, 0)
    assert (gone.right_lines, gone.left_lines, gone.added, gone.removed) == (set(), {1}, 0, 1)
    assert "deleted file mode" in gone.patch


def test_binary_and_mode_change_have_no_hunks() -> None:
    files = by_path(parse_diff(SAMPLE))
    png, script = files["img.png"], files["run.sh"]
    assert png.is_binary and png.hunks == () and png.right_lines == frozenset()
    assert png.patch.endswith("Binary files a/img.png and b/img.png differ\n")
    assert not script.is_binary and script.hunks == ()
    assert script.patch == "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n"


def test_rename_with_edit_and_no_newline_marker() -> None:
    files = by_path(parse_diff(SAMPLE))
    renamed = files["new_name.txt"]
    assert renamed.right_lines == {4, 5, 6, 7} and renamed.left_lines == {4, 5, 6, 7}
    nonl = files["nonl.txt"]
    assert (nonl.right_lines, nonl.left_lines, nonl.added, nonl.removed) == ({1}, {1}, 1, 1)
    assert nonl.hunks[0].text.count("\\ No newline at end of file") == 2


def test_pure_rename_and_new_binary() -> None:
    text = (
        "diff --git a/docs/old.md b/docs/new.md\nsimilarity index 100%\n"
        "rename from docs/old.md\nrename to docs/new.md\n"
        "diff --git a/logo.png b/logo.png\nnew file mode 100644\nindex 0000000..6bf43ff\n"
        "Binary files /dev/null and b/logo.png differ\n"
    )
    moved, logo = parse_diff(text)
    assert (moved.path, moved.old_path, moved.status, moved.hunks) == (
        "docs/new.md",
        "docs/old.md",
        "renamed",
        (),
    )
    assert (logo.path, logo.status, logo.is_binary) == ("logo.png", "added", True)


def test_patches_rebuild_the_diff() -> None:
    files = parse_diff(SAMPLE)
    assert render(files) == SAMPLE
    for f in files:
        header = f.patch[: len(f.patch) - sum(len(h.text) for h in f.hunks)]
        assert f.patch == header + "".join(h.text for h in f.hunks)


def test_replaced_characters_and_crlf_content_survive() -> None:
    text = (
        "diff --git a/w.txt b/w.txt\n--- a/w.txt\n+++ b/w.txt\n"
        "@@ -1,2 +1,2 @@\n-caf\ufffd\r\n+café\r\n \x0cpage\u2028x\n"
    )
    (f,) = parse_diff(text)
    assert (f.right_lines, f.left_lines) == ({1, 2}, {1, 2})
    assert f.patch == text


def test_plain_unified_diff_without_git_headers() -> None:
    text = "--- a/x.py\t2024-01-01\n+++ b/x.py\t2024-01-02\n@@ -3,2 +3,3 @@\n a\n+b\n c\n"
    (f,) = parse_diff(text)
    assert (f.path, f.status, f.right_lines, f.left_lines) == (
        "x.py",
        "modified",
        {3, 4, 5},
        {3, 4},
    )


def test_broken_hunk_keeps_the_rest() -> None:
    text = (
        "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n"
        "@@ -1,2 +1,2 @@\n a\n-b\n+B\n"
        "@@ -10,5 +10,5 @@\n only one line\n"  # says five lines, has one
        "@@ -20,1 +20,2 @@\n z\n+y\n"
        "diff --git a/ok.py b/ok.py\n--- a/ok.py\n+++ b/ok.py\n@@ -1 +1 @@\n-1\n+2\n"
    )
    broken, ok = parse_diff(text)
    assert broken.path == "x.py"
    assert [h.old_start for h in broken.hunks] == [1, 20]
    assert broken.right_lines == {1, 2, 20, 21}
    assert "only one line" not in broken.patch  # the patch shows what the hunks describe
    assert (ok.path, ok.right_lines) == ("ok.py", {1})


def test_garbage_gives_nothing() -> None:
    assert parse_diff("") == []
    assert parse_diff("hello\nworld\n@@ nonsense @@\n") == []
    assert parse_diff("\x00\xff\ufffd" * 100) == []


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "diff --git a/x b/x\n",
                    "diff --git a/x b/y\n",
                    "--- a/x\n",
                    "+++ b/x\n",
                    "--- /dev/null\n",
                    "+++ /dev/null\n",
                    "@@ -1,2 +1,3 @@\n",
                    "@@ -0,0 +1 @@\n",
                    "@@ -1 +0,0 @@\n",
                    "+a\n",
                    "-b\n",
                    " c\n",
                    "\\ No newline at end of file\n",
                    "new file mode 100644\n",
                    "deleted file mode 100644\n",
                    "rename from x\n",
                    "rename to y\n",
                    "Binary files a/x and b/x differ\n",
                    "GIT binary patch\n",
                    "\n",
                ]
            ),
            st.text(max_size=30),
        ),
        max_size=40,
    )
)
def test_any_text_parses_without_raising(parts: list[str]) -> None:
    files = parse_diff("".join(parts))
    for f in files:
        assert f.status in {"added", "modified", "removed", "renamed"}
        render([f])


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_random_text_never_raises(text: str) -> None:
    parse_diff(text)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)
ENTRY_KEYS = ["filename", "status", "additions", "deletions", "patch", "previous_filename"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(ENTRY_KEYS),
            JSON_VALUES
            | st.sampled_from(["added", "removed", "renamed", "copied", "@@ -1 +1 @@\n-a\n+b"]),
        ),
        max_size=5,
    )
)
def test_from_pr_files_never_raises(entries: list[dict[str, object]]) -> None:
    for f in from_pr_files(entries):
        assert f.path and f.status in {"added", "modified", "removed", "renamed"}
        assert f.patch.startswith("diff --git ")


def test_keep_hunks_cuts_at_a_boundary() -> None:
    f = by_path(parse_diff(SAMPLE))["a.txt"]
    cut = keep_hunks(f, 1)
    assert cut.hunks == f.hunks[:1]
    assert cut.patch == f.patch[: f.patch.index("@@ -8,3")]
    assert (cut.added, cut.removed) == (1, 1)
    assert cut.right_lines == {1, 2, 3, 4, 5} and cut.left_lines == {1, 2, 3, 4, 5}
    assert keep_hunks(f, 5) is f


def test_from_pr_files() -> None:
    entries = [
        {
            "filename": "bot/app.py",
            "status": "modified",
            "additions": 1,
            "deletions": 1,
            "patch": "@@ -1,3 +1,3 @@\n import os\n-x = 1\n+x = 2\n y = 3",
        },
        {
            "filename": "new.py",
            "status": "added",
            "additions": 1,
            "deletions": 0,
            "patch": "@@ -0,0 +1 @@\n+hi",
        },
        {
            "filename": "old.py",
            "status": "removed",
            "additions": 0,
            "deletions": 1,
            "patch": "@@ -1 +0,0 @@\n-bye",
        },
        {
            "filename": "pkg/b.py",
            "previous_filename": "pkg/a.py",
            "status": "renamed",
            "additions": 0,
            "deletions": 0,
        },
        {"filename": "logo.png", "status": "added", "additions": 0, "deletions": 0},
        {"filename": "huge.sql", "status": "modified", "additions": 90000, "deletions": 3},
        {
            "filename": "copy.py",
            "previous_filename": "orig.py",
            "status": "copied",
            "additions": 0,
            "deletions": 0,
            "patch": "",
        },
        {"status": "modified"},  # no filename: skipped
    ]
    app, new, old, moved, logo, huge, copy = from_pr_files(entries)
    assert app.patch == (
        "diff --git a/bot/app.py b/bot/app.py\n--- a/bot/app.py\n+++ b/bot/app.py\n"
        "@@ -1,3 +1,3 @@\n import os\n-x = 1\n+x = 2\n y = 3\n"
    )
    assert (app.status, app.right_lines, app.left_lines, app.added, app.removed) == (
        "modified",
        {1, 2, 3},
        {1, 2, 3},
        1,
        1,
    )
    assert parse_diff(app.patch)[0].right_lines == app.right_lines
    assert (new.status, new.right_lines, "--- /dev/null\n" in new.patch) == ("added", {1}, True)
    assert (old.status, old.left_lines, "+++ /dev/null\n" in old.patch) == ("removed", {1}, True)
    assert (moved.status, moved.old_path, moved.is_binary, moved.patch_missing) == (
        "renamed",
        "pkg/a.py",
        False,
        False,
    )
    assert "rename from pkg/a.py\nrename to pkg/b.py\n" in moved.patch
    assert (logo.is_binary, logo.patch_missing, logo.hunks) == (True, False, ())
    assert "Binary files" in logo.patch
    assert (huge.patch_missing, huge.is_binary, huge.added, huge.removed) == (True, False, 90000, 3)
    assert huge.hunks == () and huge.right_lines == frozenset()
    assert (copy.status, copy.old_path) == ("added", "orig.py")


def test_render_adds_missing_final_newline() -> None:
    f = parse_diff(SAMPLE)[0]
    from dataclasses import replace

    assert render([replace(f, patch="x"), replace(f, patch="y\n")]) == "x\ny\n"


def _big_diff(files: int, lines: int) -> str:
    out = []
    for i in range(files):
        path = f"src/pkg{i % 50}/module_{i}.py"
        body = "".join(
            f"+    value_{k} = compute(value_{k - 1}, {k})  # {i}\n" for k in range(lines)
        )
        out.append(
            f"diff --git a/{path} b/{path}\nindex 83db48f..bf269f4 100644\n--- a/{path}\n"
            f"+++ b/{path}\n@@ -10,0 +11,{lines} @@ def f():\n{body}"
        )
    return "".join(out)


def test_three_thousand_files_parse_quickly() -> None:
    text = _big_diff(3000, 20)
    start = time.perf_counter()
    files = parse_diff(text)
    elapsed = time.perf_counter() - start
    assert len(files) == 3000 and files[-1].right_lines == set(range(11, 31))
    assert elapsed < 60  # a hang guard for a quadratic regression; bench/pipeline.py measures speed
