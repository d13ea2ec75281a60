"""Context beyond the hunk: the enclosing function of each change (tree-sitter for Python, Go,
JavaScript…, indentation elsewhere), the definitions a change calls, and the budget cutting it
first."""

from __future__ import annotations

import json

from bot.review.budget import estimate_tokens, pack
from bot.review.compose import Built, Limits, add_context, build_prompt
from bot.review.context import context_items, fit_context, source_paths
from bot.review.diff import parse_diff
from bot.review.gather import Gathered
from bot.review.indent import indent_scope
from bot.review.plan import RoundPlan
from bot.review.repo_config import parse_config
from bot.review.syntax import outline
from tests.fakes.memory import BASE, HEAD, pull_info

WIDGET_PY = """\
import math


class Widget:
    def __init__(self, size):
        self.size = size

    def area(self, scale):
        if scale <= 0:
            raise ValueError("scale")
        width = self.size * scale
        height = self.size * scale
        total = width * height
        return clamp(total)


def clamp(value):
    return min(value, 100)
"""

SHAPES_GO = """\
package shapes

import "fmt"

type Square struct {
	Side int
}

func (s Square) Area() int {
	if s.Side < 0 {
		panic("negative")
	}
	area := s.Side * s.Side
	fmt.Println(area)
	return area
}
"""

LIMITS_PY = """\
LIMIT = 100


def clamp(value, low=0):
    if value < low:
        return low
    return min(value, LIMIT)
"""


def modify(path: str, old_start: int, new_start: int, body: list[str]) -> str:
    """A modification hunk: `body` lines keep their ' ', '+', '-' prefixes."""
    old_len = sum(1 for b in body if b[0] in " -")
    new_len = sum(1 for b in body if b[0] in " +")
    return (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
        f"@@ -{old_start},{old_len} +{new_start},{new_len} @@\n" + "".join(f"{b}\n" for b in body)
    )


# The change adds `total = …` inside Widget.area (line 13); the hunk shows lines 11-14.
WIDGET_DIFF = modify(
    "widgets/widget.py",
    11,
    11,
    [
        "         width = self.size * scale",
        "         height = self.size * scale",
        "+        total = width * height",
        "-        return clamp(width * height)",
        "+        return clamp(total)",
    ],
)
GO_DIFF = modify("shapes/square.go", 13, 13, ["+\tarea := s.Side * s.Side", " \tfmt.Println(area)"])


def test_python_the_enclosing_method_of_a_change_is_shown_whole() -> None:
    files = parse_diff(WIDGET_DIFF)
    [item] = [
        i for i in context_items(files, {"widgets/widget.py": WIDGET_PY}) if i.kind == "scope"
    ]
    assert (item.what, item.start, item.end) == ("method `area`", 8, 14)
    assert item.text.splitlines()[0] == " 8 |     def area(self, scale):"
    assert '10 |             raise ValueError("scale")' in item.text


def test_go_the_enclosing_method_is_found_by_its_grammar_too() -> None:
    files = parse_diff(GO_DIFF)
    [item] = context_items(files, {"shapes/square.go": SHAPES_GO})
    assert (item.what, item.start, item.end, item.language) == ("method `Area`", 9, 16, "go")
    assert " 9 | func (s Square) Area() int {" in item.text


def test_javascript_functions_and_arrow_functions_are_definitions() -> None:
    source = "const total = (xs) => {\n  let sum = 0;\n  for (const x of xs) sum += x;\n  return sum;\n};\n"
    found = outline("app/total.js", source, [3])
    assert found is not None
    assert [(d.name, d.start, d.end) for d in found.definitions] == [("total", 1, 5)]


def test_without_a_grammar_indentation_finds_the_block() -> None:
    ruby = "class Widget\n  def area(scale)\n    w = size * scale\n    w * w\n  end\nend\n"
    assert indent_scope(ruby.splitlines(), 3) == (2, 5)
    assert indent_scope(ruby.splitlines(), 1) is None  # the top level has no enclosing block
    diff = parse_diff(modify("lib/widget.rb", 3, 3, ["+    w = size * scale", "     w * w"]))
    [item] = context_items(diff, {"lib/widget.rb": ruby})
    assert item.what == "the block `def area(scale)`" and (item.start, item.end) == (2, 5)


def test_a_definition_the_change_calls_and_the_pr_changed_elsewhere_is_shown() -> None:
    """The hunk in widget.py calls `Limits(…).clamp(…)`; the PR changed `clamp` inside class
    `Limits` in limits.py: the method is that hunk's scope (and says who calls it), the class
    is shown as a definition of its own."""
    limits_py = (
        "class Limits:\n    top = 100\n\n    def clamp(self, value, low=0):\n"
        "        if value < low:\n            return low\n        return min(value, self.top)\n"
    )
    limits = modify(
        "widgets/limits.py",
        4,
        4,
        ["-    def clamp(self, value):", "+    def clamp(self, value, low=0):"],
    )
    call = WIDGET_DIFF.replace(
        "+        return clamp(total)", "+        return Limits().clamp(total)"
    )
    files = parse_diff(call + limits)
    texts = {
        "widgets/widget.py": WIDGET_PY.replace(
            "return clamp(total)", "return Limits().clamp(total)"
        ),
        "widgets/limits.py": limits_py,
    }
    items = {(i.path, i.what): i for i in context_items(files, texts)}
    method = items[("widgets/limits.py", "method `clamp`")]
    assert (method.kind, method.start, method.end) == ("scope", 4, 7)
    assert method.called_at == "widgets/widget.py:14"
    cls = items[("widgets/limits.py", "class `Limits`")]
    assert (cls.kind, cls.start, cls.end, cls.called_at) == (
        "definition",
        1,
        7,
        "widgets/widget.py:14",
    )
    assert "1 | class Limits:" in cls.text


def test_files_are_read_only_for_code_the_prompt_holds() -> None:
    docs = modify("docs/guide.md", 1, 1, ["-old", "+new"])
    huge = "".join(f"+x_{n} = {n}\n" for n in range(3000))
    big = f"diff --git a/big.py b/big.py\n--- /dev/null\n+++ b/big.py\n@@ -0,0 +1,3000 @@\n{huge}"
    packed = pack(parse_diff(WIDGET_DIFF + docs + big), budget_tokens=600)
    assert [o.path for o in packed.omitted] == ["big.py"]
    assert source_paths(packed) == ["widgets/widget.py"]
    assert source_paths(packed, limit=0) == []


PLAN = RoundPlan(round=1, base=BASE, head=HEAD, whole_pr=True)


def built_for(diff: str, window: int) -> Built:
    got = Gathered(files=parse_diff(diff), issue=None, issue_note="No beads issue was found.")
    built = build_prompt(PLAN, pull_info(), got, parse_config(None), Limits(window, 1_000))
    assert isinstance(built, Built)
    return built


def test_context_goes_in_after_the_diff_when_there_is_room() -> None:
    built = built_for(WIDGET_DIFF, 30_000)
    items = context_items(built.packed.files, {"widgets/widget.py": WIDGET_PY})
    with_context = add_context(built, items)
    user = with_context.prompt.user
    assert user.index("+        return clamp(total)") < user.index("### Context Beyond the Diff")
    assert "widgets/widget.py lines 8-14, the method `area` around the change at line 13" in user
    assert "Note:" not in user.split("### Context Beyond the Diff")[1]


def test_context_is_the_first_thing_cut_when_the_budget_is_tight() -> None:
    roomy = built_for(WIDGET_DIFF, 30_000)
    items = context_items(roomy.packed.files, {"widgets/widget.py": WIDGET_PY})
    frame_and_diff = estimate_tokens(roomy.prompt.system + roomy.prompt.user)
    # a window that holds the frame and the whole diff, with a few tokens to spare
    tight = built_for(WIDGET_DIFF, frame_and_diff + 1_000 + 120)
    assert tight.packed.omitted == () and tight.packed.truncated == ()
    assert tight.room < items[0].tokens
    cut = add_context(tight, items)
    assert "+        return clamp(total)" in cut.prompt.user  # the diff is whole
    assert "def area(self, scale)" not in cut.prompt.user.split("```diff")[1].split("```\n")[1]
    assert "the context beyond the diff was left out: the diff fills the model's window" in (
        cut.prompt.user
    )
    assert estimate_tokens(cut.prompt.system + cut.prompt.user) <= frame_and_diff + 1_000 + 120


def test_no_room_means_no_files_are_read_and_the_prompt_says_so() -> None:
    built = built_for(WIDGET_DIFF, 30_000)
    none_read = add_context(Built(built.prompt, built.packed, built.input, room=200), None)
    assert "no context beyond the diff was added" in none_read.prompt.user


def test_fit_context_keeps_order_and_counts_what_it_left_out() -> None:
    items = context_items(parse_diff(WIDGET_DIFF), {"widgets/widget.py": WIDGET_PY})
    assert fit_context(items, 10**6) == (items, 0)
    assert fit_context(items, 0) == ([], len(items))


def test_the_reviewer_reads_the_changed_source_file_and_puts_its_context_in() -> None:
    from bot.queue.request import ReviewRequest
    from bot.review.round import ReviewConfig, Reviewer
    from tests.fakes.memory import MemoryInstallations, MemoryModel, MemoryRepo

    repo = MemoryRepo()
    repo.diffs["pull/1"] = WIDGET_DIFF
    repo.files[(".beads/issues.jsonl", HEAD)] = json.dumps({"id": "bd-a3f8", "title": "t"}) + "\n"
    repo.files[("widgets/widget.py", HEAD)] = WIDGET_PY
    model = MemoryModel()
    reviewer = Reviewer(
        github=MemoryInstallations({repo.full_name: repo}),
        model=model,
        config=ReviewConfig(model="m", context_tokens=64_000, answer_tokens=4_000),
    )
    request = ReviewRequest(repo=repo.full_name, pr_number=1, installation_id=1, head_sha=HEAD)
    assert reviewer.run(request, job_key="j").detail.startswith("round 1 posted")
    assert "### Context Beyond the Diff" in model.prompts[-1]
    assert " 8 |     def area(self, scale):" in model.prompts[-1]
