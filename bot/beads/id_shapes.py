"""Whether one hyphenated word is shaped like a beads id, and how.

beads writes an id as `<prefix>-<hash>[.N[.N[.N]]]`: the prefix starts with a letter and may hold
hyphens and capitals, the hash is 3 to 8 lower-case base36 characters (beads:
`internal/idgen/hash.go`), old projects count up (`bd-123`). beads itself calls a 4+ letter suffix
without a digit an English word rather than a hash (`internal/utils/issue_id.go`); Beadle accepts
such hashes, so it needs the word lists below to tell `bd-kwro` from `dry-run`.

Pure functions over strings; `bot/beads/ids.py` decides which word a pull request means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_PARTS = 12  # an id sits early in a word (`bd-a3f8-add-login-form`); this keeps work bounded
MAX_PREFIX_PARTS = 4  # `gt-gastown-polecat`, `my-cool-app`

_PREFIX_PART = re.compile(r"[A-Za-z0-9_]+")  # the first part starts with a letter (below)
_HASH_PART = re.compile(r"([A-Za-z0-9_]+)((?:\.\d+){0,3})")  # children up to three levels deep
_GENERATED = re.compile(r"(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{3,8}")  # a digit and a letter
_LETTERS = re.compile(r"[a-z]{3,8}")
_NUMERIC = re.compile(r"\d{1,8}")
_CUSTOM = re.compile(r"[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)*(?:\.\d+){0,3}")  # `bd create --id`
# Numbers with a unit or an ordinal, versions, PRs: `cache-512mb`, `api-v10`, `fix-pr811`. Only
# bare words are judged so: beads writes `bd-18b`, `bd-687g`, `bd-v43g`.
_MEASURE = re.compile(r"\d+(?:[kmgt]b|ms|px|bit|fps|hz|st|nd|rd|th)|(?:v|pr|rc|go|py|node)\d+")
_DATE = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
_DATED = re.compile(r"(?:^|-)(?:19|20)\d\d-(?:0?[1-9]|1[0-2])(?:-|$)")  # `login-2026-11-30`

# Words that open technical terms and keys: `sha-256`, `utf-8`, `iso-8601`, `pr-42`, `gh-2968`.
TECH = frozenset(
    "aes arm amd api cve cwe crc des ecma es gh gpt http https iso ipv issue jira md mr node patch "
    "pep go php pr pull py python rfc rsa ruby session sha ssl tls ucs utf uuid v win x".split()
)
# Technical words with digits that read as generated hashes: `linux-amd64`, `encode-base64`.
TECH_HASH = frozenset(
    "a11y amd64 arm64 base32 base64 e2e ec2 es5 es6 h264 h265 http2 http3 i18n i386 ipv4 ipv6 "
    "k8s l10n md5 mp3 mp4 oauth2 py3 s3 sha1 sha256 sha512 utf8 utf16 win32 win64 x64 x86".split()
)
# Words that make hyphenated English, as a prefix or as the hash of an id without digits:
# `dry-run`, `thread-safe`, `best-effort`, `end-to-end`, `fix-typo`, `web-app`, `bd-show`.
ENGLISH = frozenset(
    """
    about add after agent agents all alpha and anti any api app apps auth auto back base based
    best beta bit bits box bug bugs build built bump by cache case check cherry ci cli client
    close code cold compat config copy core cross dark data db de dep deps depth design dev diff
    dis doc docs done down draft drag drop dry e effort end env err error errors face facing
    fake fast file files final first fix fixes flag flow for form free front full gate get go
    half hand hard high hook hooks host hosted hot in index info inner item key keys land last
    left less level light like line lint list load local lock log login long loop low main make
    map mark mcp merge meta mid mode model more multi must native new next no non not null off
    old on one only op opt or out outer over page part pass path per phase pick plan plugin
    plugins port post pre prev pro progress proof pull push put race re read ready real rebase
    redo ref refs release remote repo rest retry review right round run safe same schema sdk
    self semi server set setup show side sign signal single slow soft spec sql stage start state
    step stop store style sub super sync table tag task term test tests text the then thread
    three time tip to todo tool top trip two type ui un under undo unit up update user ux view
    wait way web well wide wip with work write yes zero
    """.split()
)


@dataclass(frozen=True)
class Reading:
    """One way to read a word as `<prefix>-<hash><children>`."""

    prefix: str
    hash: str
    children: str
    leading: bool  # the prefix starts the word
    whole: bool  # prefix, hash and children are the whole word
    dated: bool  # the word holds a date (`login-2026-11-30`)

    @property
    def id(self) -> str:
        return f"{self.prefix}-{self.hash}{self.children}"


def readings(word: str) -> list[Reading]:
    """Every reading of a word: hash left to right, longest prefix first."""
    parts = word.split("-", MAX_PARTS)
    complete = len(parts) <= MAX_PARTS
    dated = _DATED.search(word) is not None
    out = []
    for j in range(1, len(parts) if complete else MAX_PARTS):
        hash_match = _HASH_PART.fullmatch(parts[j])
        if hash_match is None:
            continue
        last = complete and j == len(parts) - 1
        for i in range(max(0, j - MAX_PREFIX_PARTS), j):
            if parts[i][:1].isalpha() and all(_PREFIX_PART.fullmatch(p) for p in parts[i:j]):
                prefix = "-".join(parts[i:j])
                hash_part, children = hash_match.group(1), hash_match.group(2)
                out.append(Reading(prefix, hash_part, children, i == 0, i == 0 and last, dated))
    return out


def custom(word: str) -> bool:
    """Whether a word can be an id given by hand (`gt-gastown-polecat-Toast`, `bd-x`)."""
    return _CUSTOM.fullmatch(word) is not None


def generated(reading: Reading) -> bool:
    """A hash as bd generates it that no English word has, a digit and a letter, and that is no
    technical word either (`amd64`)."""
    return _GENERATED.fullmatch(reading.hash) is not None and reading.hash not in TECH_HASH


def plain_prefix(reading: Reading) -> bool:
    """A prefix that could be a project's, not a key or a term: `bd`, `my-app`, `GAS`, and before
    a hash with digits `beads-9f74`; not `ENG-123` (Jira, Linear), `AES-256`, `sha`, `x86`,
    `e2e`, nor `claude-3` before `opus`."""
    first, _, rest = reading.prefix.partition("-")
    return (
        first.replace("_", "").isalpha()
        and not (first.isupper() and not reading.hash.islower())
        and first.lower() not in TECH
        and (
            not rest
            or rest.replace("-", "").replace("_", "").isalpha()
            or any(c.isdigit() for c in reading.hash)
        )
    )


def hash_word(reading: Reading) -> bool:
    """A hash without digits that is no English word: `kwro`, `ypvj`; not `safe`, `run`."""
    return _LETTERS.fullmatch(reading.hash) is not None and reading.hash not in ENGLISH


def english_prefix(reading: Reading, *, every_part: bool = False) -> bool:
    """Whether the prefix opens (or, with `every_part`, holds) an English word: `dry-run`."""
    parts = reading.prefix.lower().split("-")
    return any(p in ENGLISH for p in parts) if every_part else parts[0] in ENGLISH


def numeric(reading: Reading) -> bool:
    """A sequential id (`bd-123`) and not a date: `login-2026-11-30`, `fix-20261130`."""
    if reading.dated or _DATE.fullmatch(reading.hash):
        return False
    return _NUMERIC.fullmatch(reading.hash) is not None


def measure(reading: Reading) -> bool:
    """A size, an ordinal or a version rather than a hash: `512mb`, `3rd`, `v10`, `go126`."""
    return _MEASURE.fullmatch(reading.hash) is not None


def project_hash(reading: Reading) -> bool:
    """A hash after the project's own prefix: generated, sequential, or letters that are not an
    English word (`bd-kwro`, but not `bd-show`)."""
    return generated(reading) or numeric(reading) or hash_word(reading)
