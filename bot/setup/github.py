"""The one GitHub call `beadle setup` makes: turn the manifest flow's code into the App.

No token is needed (the code is the credential), so this is plain urllib rather than PyGithub,
which has no call for it. https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote


class ConversionError(Exception):
    """GitHub did not hand over the App; the message says what to do."""


def exchange_code(api_url: str, code: str, *, timeout: float = 30.0) -> Any:
    """`POST {GITHUB_API_URL}/app-manifests/{code}/conversions`; the decoded JSON answer."""
    url = f"{api_url.rstrip('/')}/app-manifests/{quote(code, safe='')}/conversions"
    request = urllib.request.Request(
        url,
        data=b"",
        method="POST",
        headers={
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "beadle-setup",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        hint = {
            404: "the code is unknown or over an hour old, or GITHUB_API_URL is not the API of "
            "the GitHub the App was registered on; register it again",
            422: "GitHub refused the code; register the App again",
        }.get(exc.code, "try again")
        raise ConversionError(f"GitHub answered {exc.code} to the code exchange: {hint}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ConversionError(f"could not reach {api_url}: {reason}") from None
    except ValueError:
        raise ConversionError("GitHub's answer to the code exchange is not JSON") from None
