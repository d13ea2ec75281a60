"""GET a response's bytes with a PyGithub client's own base URL, auth, retries and timeout.

PyGithub hands every body back as decoded text, which mangles binary git blobs (Dolt's table
files) and makes requests guess the encoding of a 20 MB JSONL file. This reads the bytes
instead, configured from the client's public `Requester.kwargs`, so the installation token,
GitHub Enterprise's base URL and the retry policy (bot/github/app.py) are the client's own.
One `RawReader` per client, kept as long as the client lives.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping

import requests
from github.Requester import Requester
from requests.adapters import HTTPAdapter

_READERS: weakref.WeakKeyDictionary[Requester, RawReader] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


class RawReader:
    def __init__(self, requester: Requester) -> None:
        kw = requester.kwargs
        self._base = str(kw["base_url"]).rstrip("/")
        self._auth = kw["auth"]
        self._timeout = kw["timeout"]
        self._verify = kw["verify"]
        self._agent = str(kw["user_agent"])
        self._api_version = kw.get("api_version")
        retry = kw["retry"] if kw["retry"] is not None else 0
        adapter = HTTPAdapter(
            max_retries=retry, pool_connections=4, pool_maxsize=int(kw["pool_size"] or 10)
        )
        self._session = requests.Session()
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)

    @classmethod
    def of(cls, requester: Requester) -> RawReader:
        with _LOCK:
            reader = _READERS.get(requester)
            if reader is None:
                reader = _READERS[requester] = cls(requester)
            return reader

    def get(self, path: str, *, accept: str) -> tuple[int, Mapping[str, str], bytes]:
        """(status, headers, body) of `GET base_url + path`; connection failures and retries
        that ran out raise requests' exceptions, as PyGithub's own calls do."""
        headers = {"Accept": accept, "User-Agent": self._agent}
        if self._api_version:
            headers["X-GitHub-Api-Version"] = str(self._api_version)
        if self._auth is not None:
            self._auth.authentication(headers)
        response = self._session.get(
            self._base + path, headers=headers, timeout=self._timeout, verify=self._verify
        )
        return response.status_code, response.headers, response.content
