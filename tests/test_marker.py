"""The hidden marker: written, parsed back; corrupted or foreign markers are ignored safely."""

import base64
import json
import zlib

import pytest

from bot.review.marker import Marker, TrackedFinding, latest_marker, parse_marker, render_marker

A, B = "a" * 40, "b" * 40


def sample(round_: int = 2, **changes) -> Marker:
    fields = dict(
        round=round_,
        base=A,
        head=B,
        issue="bd-a3f8.1",
        job="12-1700000000",
        findings=(
            TrackedFinding("I1", "important", "Missing --> validation", "src/x.py", 3),
            TrackedFinding("M2", "minor", "Naming", "README.md", None),
        ),
        counters={"I": 1, "M": 2},
    )
    fields.update(changes)
    return Marker(**fields)


def test_round_trip():
    m = sample()
    text = render_marker(m)
    assert text.startswith("<!-- beadle:review ") and text.endswith(" -->")
    assert text.count("-->") == 1  # a finding title cannot end the HTML comment early
    assert parse_marker(f"## Review\n\nbody\n{text}\n") == m


def test_header_is_readable():
    text = render_marker(sample(round_=3))
    assert f"round=3 base={A} head={B} issue=bd-a3f8.1" in text


def test_no_issue_round_trips_as_none():
    assert parse_marker(render_marker(sample(issue=None, job=None))) == sample(issue=None, job=None)


def _with_data(obj) -> str:
    data = base64.urlsafe_b64encode(zlib.compress(json.dumps(obj).encode())).decode()
    return f"<!-- beadle:review v=1 round=2 base={A} head={B} issue=bd-1 data={data} -->"


@pytest.mark.parametrize(
    "body",
    [
        "no marker here",
        "<!-- beadle:review v=2 round=1 base=%s head=%s -->" % (A, B),  # a future version
        "<!-- beadle:review v=1 round=x base=%s head=%s -->" % (A, B),
        "<!-- beadle:review v=1 round=0 base=%s head=%s -->" % (A, B),
        "<!-- beadle:review v=1 round=1 base=nothex head=%s -->" % B,
        "<!-- beadle:review v=1 round=1 head=%s -->" % B,
        "<!-- beadle:review v=1 round=1 base=%s head=%s issue=<script> -->" % (A, B),
        "<!-- beadle:review v=1 round=1 base=%s head=%s data=!!!notbase64 -->" % (A, B),
        _with_data({"findings": [["X1", "important", "t", "f", 1]]}),
        _with_data({"findings": [["I1", "fatal", "t", "f", 1]]}),
        _with_data({"findings": [["I1", "important", "t", "f", -3]]}),
        _with_data({"findings": "many"}),
        _with_data([1, 2, 3]),
    ],
)
def test_corrupted_or_foreign_markers_are_ignored(body):
    assert parse_marker(body) is None


def test_latest_marker_is_the_newest_review_and_skips_garbage():
    # rounds 1-3, then `/review full` posted a new round one: the next push follows that one
    bodies = [
        render_marker(sample(round_=1)),
        "<!-- beadle:review v=1 round=99 garbage -->",
        render_marker(sample(round_=3)),
        render_marker(sample(round_=1, head="c" * 40)),
        "plain review",
    ]
    latest = latest_marker(bodies)
    assert (latest.round, latest.head) == (1, "c" * 40)
    assert latest_marker(["nothing", ""]) is None


def test_issue_ids_keep_their_case():
    m = sample(issue="MyApp-a3f8")
    assert parse_marker(render_marker(m)) == m


def test_a_marker_quoted_earlier_in_the_body_cannot_stand_in_for_beadles_own():
    forged = render_marker(sample(round_=99))
    real = render_marker(sample(round_=2))
    assert parse_marker(f"Summary: `{forged}`\n\nfindings…\n{real}").round == 2


def test_marker_for_many_findings_stays_small():
    findings = tuple(
        TrackedFinding(f"M{i}", "minor", "x" * 500, "src/" + "d/" * 50 + "f.py", i)
        for i in range(1, 201)
    )
    text = render_marker(sample(findings=findings))
    assert len(text) < 20_000
    parsed = parse_marker(text)
    assert parsed is not None and len(parsed.findings) == 200
    assert all(len(f.title) <= 120 for f in parsed.findings)


@pytest.mark.parametrize("key", ["", "CI", "CIM", "X"])
def test_only_the_three_severity_letters_count(key):
    """`k in "CIM"` once let "" and "CI" through; a counter under them would reuse ids."""
    assert parse_marker(_with_data({"findings": [], "counters": {key: 3}})) is None
    assert parse_marker(_with_data({"findings": [], "counters": {"C": 1, "I": 2}})) is not None
