"""Where a repository keeps its beads issues, and reading the one a pull request implements.

    sources = BeadsSources(errors=(GitHubError,), cache_dir=folder)   # once per process
    found = sources.find(repo, head=sha, pull=PullText(title, body, branch),
                         commit_messages=lambda: repo.commit_messages(n),
                         settings=SourceSettings("auto"))
    found.issue, found.origin, found.reason, found.notes, found.others

`plan` orders the sources (pure), `files` and `dolt` read them through the `ports` protocol
(the repository client), `catalogs` answers lookups over what was read (pure), `lookup` ties
them together and `answer` shapes what it found, `notes` are what the review says about it
(worded by prompts/beads_notes.md.j2).
"""

from bot.beads.sources.answer import IssueLookup
from bot.beads.sources.catalogs import Origin
from bot.beads.sources.lookup import BeadsSources, PullText
from bot.beads.sources.memo import Memo
from bot.beads.sources.notes import Looked, Note
from bot.beads.sources.plan import SourceSettings
from bot.beads.sources.ports import BeadsRepo, Entry

__all__ = [
    "BeadsRepo",
    "BeadsSources",
    "Entry",
    "IssueLookup",
    "Looked",
    "Memo",
    "Note",
    "Origin",
    "PullText",
    "SourceSettings",
]
