"""Cut GitHub's REST description down to what Beadle's fake GitHub and its contract checks use.

The full description (npm package @octokit/openapi, MIT; about 13 MB) is too big to vendor for
the few dozen operations Beadle calls. This keeps the paths under the prefixes below, the
webhook events below, and every component those reach through `$ref`, so that request,
response and webhook validation behave exactly as against the whole file for those operations.

    python tests/data/github/subset.py path/to/api.github.com.json \
        > tests/data/github/api.github.com.subset.json

When Beadle starts calling a new endpoint, add its prefix here and regenerate.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

PATHS = re.compile(
    r"/app(/.*)?|/app-manifests/.*|/installation(/.*)?|/rate_limit|/user|"
    r"/repos/\{owner\}/\{repo\}(/(pulls|issues|check-runs|check-suites|contents|compare|git|"
    r"collaborators|branches|commits|readme|installation)(/.*)?)?"
)
WEBHOOK_EVENTS = frozenset(
    {
        "pull_request",
        "issue_comment",
        "ping",
        "installation",
        "installation_repositories",
        "check_run",
        "check_suite",
        "push",
        "issues",
        "pull_request_review",
        "pull_request_review_comment",
        "star",
    }
)


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            found.add(ref)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def subset(spec: dict[str, Any]) -> dict[str, Any]:
    paths = {p: v for p, v in spec["paths"].items() if PATHS.fullmatch(p)}
    hooks = {
        k: v
        for k, v in spec["x-webhooks"].items()
        if v["post"]["x-github"]["subcategory"] in WEBHOOK_EVENTS
    }
    wanted: set[str] = set()
    _refs([paths, hooks], wanted)
    done: set[str] = set()
    components: dict[str, dict[str, Any]] = {}
    while wanted - done:
        ref = (wanted - done).pop()
        done.add(ref)
        _, _, kind, name = ref.split("/", 3)
        value = spec["components"][kind][name.replace("~1", "/").replace("~0", "~")]
        components.setdefault(kind, {})[name] = value
        _refs(value, wanted)
    for name in (
        "pull-request",
        "diff-entry-items",
        "commit-comparison",
        "installation-token",
        "hook-delivery-items",
        "pull-request-review",
        "content-file",
        "issue-comment",
        "check-run",
        "commit-items",
        "full-repository",
        "installation",
        "integration",
        "issue",
        "pull-request-review-comment",
        "rate-limit-overview",
        "reaction",
    ):
        components.setdefault("examples", {})[name] = spec["components"]["examples"][name]
    out = {k: spec[k] for k in ("openapi", "info", "servers", "externalDocs")}
    out["info"] = {
        **spec["info"],
        "x-beadle-subset": "paths and webhooks Beadle's tests use; "
        "regenerate with tests/data/github/subset.py",
    }
    return {
        **out,
        "paths": paths,
        "x-webhooks": hooks,
        "components": {k: dict(sorted(v.items())) for k, v in sorted(components.items())},
    }


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as fh:
        spec = json.load(fh)
    json.dump(subset(spec), sys.stdout, separators=(",", ":"), sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
