"""Output safety: mentions neutralised, HTML escaped outside code, bodies within GitHub's limit."""

from bot.review.sanitize import GITHUB_BODY_LIMIT, fit, one_line, safe


def test_mentions_do_not_ping():
    text = safe("thanks @alice and @octo-org/security-team, mail me@example.com")
    assert "@alice" not in text and "@octo-org/security-team" not in text
    assert "@\u200balice" in text and "me@example.com" in text


def test_raw_html_is_escaped_outside_code():
    text = safe("<img src=x onerror=alert(1)> and `<b>code</b>` and\n```\n<div>@x</div>\n```")
    assert "<img" not in text and "&lt;img" in text
    assert "`<b>code</b>`" in text and "<div>@x</div>" in text


def test_one_line_flattens_and_escapes_table_pipes():
    assert one_line("a |\n b") == "a \\| b"
    assert len(one_line("x" * 1000, 50)) == 50


def test_fit_keeps_the_marker_and_cuts_with_a_note():
    tail = "<!-- beadle:review v=1 -->"
    body = "\n".join("line %d %s" % (i, "x" * 100) for i in range(2000))
    out = fit(body, tail=tail, note="(cut)")
    assert len(out) <= GITHUB_BODY_LIMIT and out.endswith(tail) and "(cut)" in out
    assert fit("short", tail=tail, note="(cut)") == f"short\n{tail}"


def test_an_escaped_backtick_does_not_open_a_code_span():
    text = safe(r"see \`<img src=https://evil.example/t.png>\` here")
    assert "<img" not in text and "&lt;img" in text


def test_file_names_stay_inside_one_code_span():
    from bot.review.sanitize import code

    assert code("widgets/size.py") == "`widgets/size.py`"
    assert code("x`<img src=y>`y.lock") == "``x`<img src=y>`y.lock``"
    assert code("`edge`") == "`` `edge` ``"
    assert code("a|b\nc") == "`a\\|b c`"
