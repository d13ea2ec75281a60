import pytest

from bot.intake.webhook import BadRequest, BadSignature, parse, signature_for, verify

# docs/design.md §4, from GitHub's documentation
VECTOR_SECRET = "It's a Secret to Everybody"
VECTOR_BODY = b"Hello, World!"
VECTOR_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_githubs_published_test_vector():
    assert signature_for(VECTOR_BODY, secret=VECTOR_SECRET) == VECTOR_SIGNATURE
    verify(VECTOR_BODY, signature=VECTOR_SIGNATURE, secret=VECTOR_SECRET)


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "sha256=",
        VECTOR_SIGNATURE.upper(),
        VECTOR_SIGNATURE[:-1] + "0",
        "sha1=" + VECTOR_SIGNATURE[7:],
        VECTOR_SIGNATURE + " ",
    ],
)
def test_a_wrong_or_missing_signature_is_refused(signature):
    with pytest.raises(BadSignature):
        verify(VECTOR_BODY, signature=signature, secret=VECTOR_SECRET)


def test_the_body_is_verified_byte_for_byte():
    with pytest.raises(BadSignature):
        verify(VECTOR_BODY + b"\n", signature=VECTOR_SIGNATURE, secret=VECTOR_SECRET)


def test_no_configured_secret_fails_closed():
    with pytest.raises(BadSignature, match="WEBHOOK_SECRET"):
        verify(VECTOR_BODY, signature=VECTOR_SIGNATURE, secret="")


def _headers(body: bytes, **extra: str) -> dict[str, str]:
    headers = {
        "x-hub-signature-256": signature_for(body, secret="s"),
        "x-github-event": "ping",
        "x-github-delivery": "d-1",
    }
    headers.update(extra)
    return headers


def test_parse_checks_the_signature_before_the_json():
    with pytest.raises(BadSignature):
        parse({"x-github-event": "ping", "x-github-delivery": "d"}, b"{not json", secret="s")


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe", b""])
def test_malformed_json_is_a_bad_request(body):
    with pytest.raises(BadRequest):
        parse(_headers(body), body, secret="s")


@pytest.mark.parametrize("missing", ["x-github-event", "x-github-delivery"])
def test_missing_github_headers_are_a_bad_request(missing):
    body = b"{}"
    headers = _headers(body)
    del headers[missing]
    with pytest.raises(BadRequest):
        parse(headers, body, secret="s")


def test_parse_returns_the_event():
    body = b'{"action": "opened", "zen": "Keep it logically awesome."}'
    event = parse(_headers(body, **{"x-github-event": "pull_request"}), body, secret="s")
    assert (event.name, event.delivery_id, event.action) == ("pull_request", "d-1", "opened")
