"""Missed deliveries: GitHub never retries a failed delivery, so Beadle asks for them again.

`GET /app/hook/deliveries` lists every attempt; a delivery (one GUID) is worth redelivering when
no attempt of it succeeded and Beadle's store never recorded it.
https://docs.github.com/en/webhooks/using-webhooks/handling-failed-webhook-deliveries
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

log = logging.getLogger("beadle.redeliver")


class DeliveryAPI(Protocol):
    def deliveries(self, since: datetime) -> Iterable[Mapping[str, Any]]: ...
    def redeliver(self, delivery_id: int) -> None: ...


class Seen(Protocol):
    def seen_deliveries(self, delivery_ids: Iterable[str]) -> set[str]: ...


def missed(attempts: Iterable[Mapping[str, Any]], *, seen: set[str]) -> list[Mapping[str, Any]]:
    """The newest attempt of each GUID that never succeeded and was never recorded."""
    by_guid: dict[str, list[Mapping[str, Any]]] = {}
    for attempt in attempts:
        guid = attempt.get("guid")
        if isinstance(guid, str):
            by_guid.setdefault(guid, []).append(attempt)
    result = []
    for guid, tries in by_guid.items():
        if guid in seen or any(_succeeded(t) for t in tries):
            continue
        result.append(max(tries, key=lambda t: str(t.get("delivered_at", ""))))
    return result


def _succeeded(attempt: Mapping[str, Any]) -> bool:
    code = attempt.get("status_code")
    return isinstance(code, int) and 200 <= code < 300


def redeliver_missed(api: DeliveryAPI, store: Seen, *, since: datetime) -> list[Mapping[str, Any]]:
    attempts = list(api.deliveries(since))
    guids = [a["guid"] for a in attempts if isinstance(a.get("guid"), str)]
    todo = missed(attempts, seen=store.seen_deliveries(guids))
    for attempt in todo:
        log.info(
            "redelivering %s (%s.%s, answered %s)",
            attempt.get("guid"),
            attempt.get("event"),
            attempt.get("action"),
            attempt.get("status_code"),
        )
        api.redeliver(int(attempt["id"]))
    return todo
