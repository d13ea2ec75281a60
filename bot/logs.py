"""How Beadle logs: the classic text line, or `LOG_FORMAT=json`, one JSON object a line.

A log shipper (Loki, CloudWatch, Datadog) wants fields, not a sentence to parse: each JSON line
carries the time, level, logger and message, and the delivery id and job id when the line was
written while handling one (`context`, contextvars, so each request and each worker thread
has its own), or when the call names one (`extra={"delivery_id": …, "job_id": …}`). The text
format is unchanged; it has no room for the ids, which the messages already name.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DELIVERY_ID_LENGTH = 128  # X-GitHub-Delivery is a GUID; anything longer is not GitHub's

_delivery: ContextVar[str | None] = ContextVar("beadle_delivery_id", default=None)
_job: ContextVar[int | None] = ContextVar("beadle_job_id", default=None)


@contextlib.contextmanager
def context(*, delivery_id: str | None = None, job_id: int | None = None) -> Iterator[None]:
    """Lines logged inside carry these ids (JSON format); outside, the previous ones again."""
    delivery = None if delivery_id is None else _delivery.set(delivery_id[:DELIVERY_ID_LENGTH])
    job = None if job_id is None else _job.set(job_id)
    try:
        yield
    finally:
        if job is not None:
            _job.reset(job)
        if delivery is not None:
            _delivery.reset(delivery)


class JsonFormatter(logging.Formatter):
    """One JSON object a line. Newlines in a message (a traceback, a sender's text) stay
    inside the JSON string, so no line can be forged by what a request carried."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        delivery = getattr(record, "delivery_id", None) or _delivery.get()
        job = getattr(record, "job_id", None) or _job.get()
        if delivery is not None:
            line["delivery_id"] = str(delivery)[:DELIVERY_ID_LENGTH]
        if job is not None:
            line["job_id"] = job
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(*, level: str = "INFO", fmt: str = "text") -> None:
    """The root logger's one handler, on stderr, for the whole process."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
