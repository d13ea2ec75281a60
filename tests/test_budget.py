"""Classifying files, estimating tokens and packing the diff into the budget."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.review.budget import Category, Omitted, classify, estimate_tokens, pack
from bot.review.diff import FileDiff, from_pr_files, parse_diff, render


@pytest.mark.parametrize(
    ("path", "category"),
    [
        ("bot/store.py", Category.SOURCE),
        ("src/App.tsx", Category.SOURCE),
        ("cmd/main.go", Category.SOURCE),
        ("package-lock.json", Category.LOCKFILE),
        ("web/yarn.lock", Category.LOCKFILE),
        ("pnpm-lock.yaml", Category.LOCKFILE),
        ("poetry.lock", Category.LOCKFILE),
        ("uv.lock", Category.LOCKFILE),
        ("Cargo.lock", Category.LOCKFILE),
        ("Gemfile.lock", Category.LOCKFILE),
        ("go.sum", Category.LOCKFILE),
        ("composer.lock", Category.LOCKFILE),
        ("Pipfile.lock", Category.LOCKFILE),
        ("api/v1/service.pb.go", Category.GENERATED),
        ("proto/service_pb2.py", Category.GENERATED),
        ("proto/service_pb2_grpc.py", Category.GENERATED),
        ("src/schema.generated.ts", Category.GENERATED),
        ("dist/index.js", Category.GENERATED),
        ("build/lib/x.py", Category.GENERATED),
        ("src/__snapshots__/app.test.ts.snap", Category.GENERATED),
        ("static/app.js.map", Category.GENERATED),
        ("static/app.min.js", Category.MINIFIED),
        ("css/site.min.css", Category.MINIFIED),
        ("vendor/github.com/x/y.go", Category.VENDORED),
        ("web/node_modules/left-pad/index.js", Category.VENDORED),
        ("third_party/zlib/zlib.c", Category.VENDORED),
        ("docs/logo.png", Category.BINARY),
        ("assets/photo.JPG", Category.BINARY),
        ("paper.pdf", Category.BINARY),
        ("release.zip", Category.BINARY),
        ("tests/test_store.py", Category.TEST),
        ("tests/fixtures/data.json", Category.TEST),
        ("bot/test_helpers.py", Category.TEST),
        ("pkg/store_test.go", Category.TEST),
        ("src/app.spec.ts", Category.TEST),
        ("src/app.test.jsx", Category.TEST),
        ("src/main/java/FooTest.java", Category.TEST),
        ("spec/models/user_spec.rb", Category.TEST),
        ("README.md", Category.DOCS),
        ("docs/index.rst", Category.DOCS),
        ("docs/conf.py", Category.DOCS),
        ("CHANGELOG", Category.DOCS),
        ("pyproject.toml", Category.CONFIG),
        (".github/workflows/ci.yml", Category.CONFIG),
        ("config/settings.yaml", Category.CONFIG),
        ("package.json", Category.CONFIG),
        ("Dockerfile", Category.CONFIG),
        ("requirements-dev.txt", Category.CONFIG),
        (".gitignore", Category.CONFIG),
        ("Makefile", Category.CONFIG),
    ],
)
def test_classify(path: str, category: Category) -> None:
    assert classify(path) == category


def test_binary_flag_wins() -> None:
    assert classify("bot/store.py", is_binary=True) == Category.BINARY


def file(path: str, hunks: int = 1, lines: int = 3, *, status: str = "modified") -> FileDiff:
    """A one-file diff with `hunks` hunks of `lines` added lines each."""
    body = "".join(
        f"@@ -{1 + 100 * h},0 +{1 + 100 * h},{lines} @@\n"
        + "".join(f"+line {h}.{k} of {path}\n" for k in range(lines))
        for h in range(hunks)
    )
    (parsed,) = parse_diff(f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n{body}")
    return parsed


def cost(f: FileDiff) -> int:
    return estimate_tokens(render([f]))


def test_everything_fits() -> None:
    files = [file("b.py"), file("a.py"), file("README.md")]
    packed = pack(files, budget_tokens=10_000)
    assert packed.files == tuple(files)  # diff order, untouched
    assert packed.text == render(files)
    assert packed.tokens == estimate_tokens(packed.text)
    assert packed.omitted == () and packed.truncated == ()


def test_excluded_categories_with_reasons() -> None:
    files = [
        file("bot/app.py"),
        file("package-lock.json"),
        file("api/x.pb.go"),
        file("vendor/lib/x.go"),
        file("static/app.min.js"),
        FileDiff(
            "logo.png",
            None,
            "modified",
            True,
            (),
            0,
            0,
            "diff --git a/logo.png b/logo.png\nBinary files a/logo.png and b/logo.png differ\n",
            frozenset(),
            frozenset(),
        ),
    ]
    packed = pack(files, budget_tokens=10_000)
    assert [f.path for f in packed.files] == ["bot/app.py"]
    assert packed.omitted == (
        Omitted("package-lock.json", "lockfile"),
        Omitted("api/x.pb.go", "generated file"),
        Omitted("vendor/lib/x.go", "vendored file"),
        Omitted("static/app.min.js", "minified file"),
        Omitted("logo.png", "binary file"),
    )


def test_ignore_globs() -> None:
    files = [
        file("docs/guide/intro.md"),
        file("bot/app.py"),
        file("notes.md"),
        file("src/fixtures/big.json"),
        file("setup.py"),
        file("pkg/setup.py"),
    ]
    packed = pack(
        files, budget_tokens=10_000, ignore=["docs/**", "*.md", "fixtures/", "/setup.py", "# note"]
    )
    assert [f.path for f in packed.files] == ["bot/app.py", "pkg/setup.py"]
    assert packed.omitted == (
        Omitted("docs/guide/intro.md", "ignored by settings (docs/**)"),
        Omitted("notes.md", "ignored by settings (*.md)"),
        Omitted("src/fixtures/big.json", "ignored by settings (fixtures/)"),
        Omitted("setup.py", "ignored by settings (/setup.py)"),
    )


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("docs/**", ["docs/a.md", "docs/a/b/c.md"], ["x/docs/a.md", "docsx/a.md"]),
        ("**/*.snap", ["a.snap", "a/b/c.snap"], ["a.snapx"]),
        ("src/*.py", ["src/a.py"], ["src/a/b.py", "x/src/a.py"]),
        ("src/**/test_*.py", ["src/test_a.py", "src/a/b/test_c.py"], ["src/a/c.py"]),
        ("*.lock", ["a.lock", "x/y/b.lock"], ["a.locked"]),
        ("build", ["build/x.c", "a/build/y.c", "build"], ["builder/x.c"]),
        ("file?.txt", ["file1.txt", "d/file2.txt"], ["file10.txt"]),
        ("data[0-9].csv", ["data1.csv"], ["datax.csv"]),
        ("data[!0-9].csv", ["datax.csv"], ["data1.csv"]),
        ("weird[z-a].txt", ["weird[z-a].txt"], ["weirdz.txt"]),
    ],
)
def test_glob_semantics(pattern: str, matches: list[str], misses: list[str]) -> None:
    files = [file(p) for p in matches + misses]
    packed = pack(files, budget_tokens=10_000, ignore=[pattern])
    assert [o.path for o in packed.omitted] == matches
    assert [f.path for f in packed.files] == misses


def test_patch_missing_is_omitted_with_reason() -> None:
    files = from_pr_files(
        [
            {"filename": "huge.py", "status": "modified", "additions": 50000, "deletions": 0},
            {
                "filename": "ok.py",
                "status": "modified",
                "additions": 1,
                "deletions": 0,
                "patch": "@@ -0,0 +1 @@\n+x",
            },
        ]
    )
    packed = pack(files, budget_tokens=10_000)
    assert [f.path for f in packed.files] == ["ok.py"]
    assert packed.omitted == (Omitted("huge.py", "diff not available from GitHub (too large)"),)


def test_priority_source_test_config_docs() -> None:
    source, test, config, docs = (
        file("bot/app.py", lines=5),
        file("tests/test_app.py", lines=5),
        file("app.toml", lines=5),
        file("README.md", lines=5),
    )
    files = [docs, config, test, source]
    for keep in range(5):
        budget = sum(cost(f) for f in (source, test, config, docs)[:keep])
        packed = pack(files, budget_tokens=budget)
        kept = {f.path for f in packed.files}
        assert kept == {f.path for f in (source, test, config, docs)[:keep]}
        assert all(o.reason == "over the budget" for o in packed.omitted)


def test_smaller_files_first_within_a_category() -> None:
    big, small_a, small_b = file("big.py", lines=40), file("a.py", lines=2), file("b.py", lines=2)
    budget = cost(small_a) + cost(small_b) + 5
    packed = pack([big, small_a, small_b], budget_tokens=budget)
    assert [f.path for f in packed.files] == ["a.py", "b.py"]
    assert packed.omitted == (Omitted("big.py", "over the budget"),)


def test_cut_at_hunk_boundaries() -> None:
    f = file("bot/app.py", hunks=4, lines=5)
    header = f.patch[: f.patch.index("@@")]
    two_hunks = estimate_tokens(header) + sum(estimate_tokens(h.text) for h in f.hunks[:2])
    packed = pack([f], budget_tokens=two_hunks + 1)
    (cut,) = packed.files
    assert packed.truncated == ("bot/app.py",) and packed.omitted == ()
    assert cut.hunks == f.hunks[:2]
    assert cut.patch == header + f.hunks[0].text + f.hunks[1].text
    assert cut.right_lines == set(range(1, 6)) | set(range(101, 106))
    assert packed.tokens <= two_hunks + 1


def test_file_whose_first_hunk_does_not_fit_is_omitted() -> None:
    f = file("bot/app.py", hunks=2, lines=30)
    packed = pack([f], budget_tokens=cost(f) // 4)
    assert packed.files == () and packed.text == ""
    assert packed.omitted == (Omitted("bot/app.py", "over the budget"),)


def test_zero_budget() -> None:
    packed = pack([file("a.py")], budget_tokens=0)
    assert packed.files == () and packed.tokens == 0


PATHS = st.sampled_from(
    [
        "bot/a.py",
        "bot/b.py",
        "tests/test_a.py",
        "docs/x.md",
        "app.toml",
        "yarn.lock",
        "dist/a.js",
        "x.min.js",
        "vendor/v.go",
        "img.png",
        "README.md",
        "src/deep/c.ts",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    specs=st.lists(
        st.tuples(PATHS, st.integers(0, 4), st.integers(1, 12)),
        max_size=12,
        unique_by=lambda s: s[0],
    ),
    budget=st.integers(0, 600),
    ignore=st.lists(st.sampled_from(["*.md", "tests/**", "bot/", "*.py", "[", "**"]), max_size=2),
)
def test_every_file_is_accounted_for(
    specs: list[tuple[str, int, int]], budget: int, ignore: list[str]
) -> None:
    files = [file(path, hunks, lines) for path, hunks, lines in specs]
    packed = pack(files, budget_tokens=budget, ignore=ignore)
    assert len(packed.files) + len(packed.omitted) == len(files)
    assert sorted([f.path for f in packed.files] + [o.path for o in packed.omitted]) == sorted(
        f.path for f in files
    )
    assert packed.tokens == estimate_tokens(packed.text) <= budget
    assert set(packed.truncated) <= {f.path for f in packed.files}
    for cut in packed.files:
        assert cut.hunks or not any(f.hunks for f in files if f.path == cut.path)


def test_estimate_basics() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("hello world\n") >= 2
    assert estimate_tokens("日本語のテキスト") >= 8  # about one token per CJK character
    assert estimate_tokens("😀😀") >= 4
    assert estimate_tokens("a\ud800b") > 0  # a lone surrogate does not raise


def test_estimate_is_additive_over_lines() -> None:
    diff = render(parse_diff(SAMPLE_DIFF))
    pieces = diff.splitlines(keepends=True)
    assert sum(estimate_tokens(p) for p in pieces) >= estimate_tokens(diff)
    assert abs(sum(estimate_tokens(p) for p in pieces) - estimate_tokens(diff)) <= len(pieces)


# Token counts by OpenAI's tokenizers (max of o200k_base and cl100k_base), measured once offline.
SAMPLE_DIFF = """\
diff --git a/src/click/core.py b/src/click/core.py
index 6d8c7b5..0f3a0e2 100644
--- a/src/click/core.py
+++ b/src/click/core.py
@@ -1216,7 +1216,9 @@ class Command:
         if not args and self.no_args_is_help and not ctx.resilient_parsing:
             raise NoArgsIsHelpError(ctx)

-        parser = self.make_parser(ctx)
+        parser = self.make_parser(ctx)  # parse once
+        if ctx.token_normalize_func is not None:
+            args = [ctx.token_normalize_func(a) for a in args]
         opts, args, param_order = parser.parse_args(args=args)

         for param in iter_params_for_processing(param_order, self.get_params(ctx)):
"""
MEASURED = {"SAMPLE_DIFF": 178}  # cl100k_base: 176, o200k_base: 178


def test_estimate_does_not_undercount_a_real_diff() -> None:
    estimate = estimate_tokens(SAMPLE_DIFF)
    assert MEASURED["SAMPLE_DIFF"] <= estimate <= MEASURED["SAMPLE_DIFF"] * 1.4


def test_three_thousand_files_pack_quickly() -> None:
    files = [file(f"src/pkg{i % 50}/module_{i}.py", hunks=2, lines=10) for i in range(3000)]
    start = time.perf_counter()
    packed = pack(files, budget_tokens=100_000)
    elapsed = time.perf_counter() - start
    assert len(packed.files) + len(packed.omitted) == 3000
    assert packed.tokens <= 100_000
    assert elapsed < 60  # a hang guard for a quadratic regression; bench/pipeline.py measures speed
