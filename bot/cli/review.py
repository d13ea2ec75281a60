"""`beadle review`: the App's review from a shell, before a pull request exists, or from CI
(docs/design.md §8).

    beadle review [--base REV] [--head REV] [--repo DIR] [--issue ID] [--since REV] …
    beadle review OWNER/REPO#N [--post] …

A local range needs only the model settings (`OPENAI_*`; none at all for `--dry-run`); a pull
request needs `GITHUB_TOKEN` or the App's settings too. Exit status: 0 a review was produced
(and the `--fail-on` condition did not hold), 1 it held, 2 a usage or settings error, 3 no
review could be made. Errors are one line on stderr; the review alone is on stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

USAGE, FAILED = 2, 3
FAIL_ON = ("never", "critical", "not-ready")  # bot/local/output.py's `failing` decides them


def register(sub: Any) -> None:
    p = sub.add_parser(
        "review",
        help="review a local git range or a pull request and print it",
        description=(
            "Review a range of this checkout (default: the merge base with the default branch "
            "up to HEAD) or OWNER/REPO#N, against the beads issue it implements, and print the "
            "review. Nothing is written to GitHub without --post."
        ),
    )
    p.add_argument("target", nargs="?", metavar="OWNER/REPO#N", help="a pull request to review")
    p.add_argument("--base", metavar="REV", help="start of the range (default: the merge base)")
    p.add_argument("--head", metavar="REV", help="end of the range (default: HEAD)")
    p.add_argument("--repo", metavar="DIR", help="the checkout (default: the working directory)")
    p.add_argument("--issue", metavar="ID", help="the beads issue (default: the one named)")
    p.add_argument("--issue-json", metavar="FILE", type=Path, help="the issue as bd show --json")
    p.add_argument("--since", metavar="REV", help="round two: review REV..HEAD, earlier findings")
    p.add_argument("--full", action="store_true", help="a fresh round one, earlier rounds aside")
    p.add_argument("--post", action="store_true", help="post the review (OWNER/REPO#N only)")
    p.add_argument("--dry-run", action="store_true", help="no model: the prompt's size and cost")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown")
    p.add_argument("--fail-on", choices=FAIL_ON, default="never", help="exit 1 when it holds")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if "LOG_LEVEL" not in os.environ:  # the review is the output; keep library chatter out
        logging.getLogger().setLevel(logging.WARNING)
    from bot.beads.dolt import DoltReadError
    from bot.github.errors import GitHubError
    from bot.local.flows import NotReviewed, Skipped, UsageError
    from bot.local.git import GitError
    from bot.local.issue import IssueFileError
    from bot.local.range import RangeError
    from bot.model.reply import ModelError
    from bot.settings import SettingsError

    try:
        return _run(args)
    except (UsageError, RangeError, IssueFileError, SettingsError) as exc:
        return _fail(str(exc), USAGE)
    except Skipped as exc:  # --post on a head the App would not review again: nothing to do
        print(f"beadle review: not reviewed: {exc}", file=sys.stderr)
        return 0
    except NotReviewed as exc:
        if exc.outcome is not None:  # made but not posted: printed rather than lost
            _emit(_render(exc.outcome, args, prices={}, answer_tokens=0))
        return _fail(str(exc), FAILED)
    except GitHubError as exc:
        if exc.status == 401:
            return _fail(f"GitHub refused the credentials: {exc}", USAGE)
        return _fail(f"GitHub: {exc}", FAILED)
    except (GitError, ModelError, DoltReadError) as exc:
        return _fail(str(exc), FAILED)
    except Exception as exc:  # the one wide net: a line, never a traceback
        return _fail(f"could not review: {type(exc).__name__}: {exc}", FAILED)


def _run(args: argparse.Namespace) -> int:
    from bot.local import flows, output
    from bot.local.pull import connect, parse_target
    from bot.settings import load_github_settings, load_model_settings

    _check_combinations(args)
    ms = load_model_settings()
    options = flows.Options(
        model=ms.model,
        context_tokens=ms.context_tokens,
        answer_tokens=ms.answer_tokens,
        issue_id=args.issue,
        issue_json=args.issue_json,
        full=args.full,
        prices=ms.prices(),
    )
    model = None if args.dry_run else _model(ms)
    if args.target is None:
        shown = flows.local_round(
            repo_dir=args.repo or ".",
            base=args.base,
            head=args.head,
            since=args.since,
            options=options,
            model=model,
        )
    else:
        parsed = parse_target(args.target)
        assert parsed is not None  # checked with the combinations
        full_name, number = parsed
        gs = load_github_settings()
        shown = flows.pull_round(
            connection=connect(gs, full_name),
            full_name=full_name,
            number=number,
            repo_dir=args.repo or ".",
            repo_dir_given=args.repo is not None,
            options=replace(options, cache_dir=gs.cache_dir),
            model=model,
            post=args.post,
        )
    _emit(_render(shown, args, prices=ms.prices(), answer_tokens=ms.answer_tokens))
    composed = shown.record.composed
    return 1 if composed is not None and output.failing(args.fail_on, composed) else 0


def _check_combinations(args: argparse.Namespace) -> None:
    from bot.local.flows import UsageError
    from bot.local.pull import parse_target

    if args.target is not None:
        if parse_target(args.target) is None:
            raise UsageError(f"{args.target!r} is not OWNER/REPO#N")
        local_only = [f for f in ("base", "head", "since") if getattr(args, f) is not None]
        if local_only:
            raise UsageError(f"--{local_only[0]} is for a local range, not OWNER/REPO#N")
    elif args.post:
        raise UsageError("--post needs a pull request: beadle review OWNER/REPO#N --post")
    if args.post and args.dry_run:
        raise UsageError("--dry-run asks no model, so there is nothing to --post")
    if args.since is not None and args.full:
        raise UsageError("--since continues the earlier rounds; --full starts afresh: pick one")
    if args.issue_json is not None and not args.issue_json.is_file():
        raise UsageError(f"--issue-json {args.issue_json}: no such file")


def _model(ms: Any) -> Any:
    from bot.model.client import OpenAIReviewer

    return OpenAIReviewer(
        api_key=ms.api_key(),
        base_url=ms.openai_base_url,
        timeout=ms.model_timeout,
        max_retries=ms.model_retries,
    )


def _render(
    shown: Any, args: argparse.Namespace, *, prices: Any, answer_tokens: int
) -> str | dict[str, Any]:
    """The outcome in the chosen format: a review, a dry run, or nothing to review."""
    from bot.local import output, output_dry

    as_json = args.format == "json"
    if shown.record.composed is not None:
        if as_json:
            return output.review_json(shown, prices=prices)
        return output.review_markdown(shown, prices=prices)
    if args.dry_run:
        if as_json:
            return output_dry.dry_run_json(shown, answer_tokens=answer_tokens, prices=prices)
        return output_dry.dry_run_text(shown, answer_tokens=answer_tokens, prices=prices)
    return output_dry.nothing_json(shown) if as_json else output_dry.nothing_text(shown)


def _emit(text: str | dict[str, Any]) -> None:
    if isinstance(text, dict):
        text = json.dumps(text, indent=2, ensure_ascii=False) + "\n"
    sys.stdout.write(text)
    sys.stdout.flush()


def _fail(message: str, status: int) -> int:
    print(f"beadle review: {' '.join(message.split())}", file=sys.stderr)
    return status
