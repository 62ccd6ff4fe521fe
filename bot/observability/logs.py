"""Log lines for people (the default) or for a log pipeline (``CRISISBOT_LOG_FORMAT=json``).

On the worst day an operator asks "what happened to CRISIS-0042?" across two replicas and
thousands of lines. So every line emitted while a request is handled carries what the request is
about (crisis number, platform, command, request id), without each ``log.info`` passing it: the
fields live in a :class:`~contextvars.ContextVar`, set once with :func:`log_context` where the
request comes in, and copied by asyncio into the tasks started from there (the work after the ack
included). A JSON line is one object on one line, tracebacks inside it, so a collector never splits
an exception into forty lines of unparseable text.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import IO, Final

FORMAT_ENV: Final = "CRISISBOT_LOG_FORMAT"
FORMATS: Final = ("readable", "json")
READABLE: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
Fields = Mapping[str, str | int]

_NO_FIELDS: Final[Fields] = MappingProxyType({})
_fields: ContextVar[Fields] = ContextVar("crisisbot_log_fields", default=_NO_FIELDS)
# what every LogRecord has; anything else on a record came from ``extra=`` and belongs in the line
_RECORD_ATTRS: Final = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "context"}


@contextmanager
def log_context(
    *,
    crisis: int | None = None,
    platform: str | None = None,
    command: str | None = None,
    request_id: str | None = None,
) -> Iterator[None]:
    """Add these fields to every line logged inside the block (nested blocks add to the outer)."""
    given = {"crisis": crisis, "platform": platform, "command": command, "request_id": request_id}
    token = _fields.set({**_fields.get(), **{k: v for k, v in given.items() if v is not None}})
    try:
        yield
    finally:
        _fields.reset(token)


def command_name(text: str) -> str:
    """The command a line of text is, for the log context: a name the parser knows, else
    ``other`` (what people type stays in the lines that need it, not on every line)."""
    from bot.core.commands import USAGE

    words = text.split(maxsplit=1)
    verb = words[0].lower() if words else "help"
    return verb if verb in USAGE else "other"


def current_context() -> Fields:
    """The fields in force here (empty outside any :func:`log_context`)."""
    return _fields.get()


class ContextFilter(logging.Filter):
    """Stamps the context onto the record when it is emitted, while the emitting task's context is
    still the current one (a handler that formats later, on another thread, would see none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "context"):
            record.context = dict(_fields.get())
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the context fields,
    any ``extra=`` fields, and the exception with its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_context_of(record))
        line.update({k: v for k, v in record.__dict__.items() if k not in _RECORD_ATTRS and k not in line})
        if record.exc_info and record.exc_info[0] is not None:
            line["exc_type"] = record.exc_info[0].__name__
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class ReadableFormatter(logging.Formatter):
    """The classic line, with the context appended in brackets when there is one."""

    def __init__(self) -> None:
        super().__init__(READABLE)

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record)
        fields = _context_of(record)
        return f"{text} [{' '.join(f'{k}={v}' for k, v in fields.items())}]" if fields else text


def formatter(format: str) -> logging.Formatter:
    """The formatter for ``readable`` or ``json``; anything else names the setting to fix."""
    chosen = format.strip().lower()
    if chosen == "json":
        return JsonFormatter()
    if chosen in ("readable", ""):
        return ReadableFormatter()
    raise ValueError(f"{FORMAT_ENV} must be one of {', '.join(FORMATS)}, not {format!r}")


def configure(format: str | None = None, *, level: str | int = logging.WARNING, stream: IO[str] | None = None) -> None:
    """Route the root logger to ``stream`` (stderr) in ``format``; ``None`` reads ``CRISISBOT_LOG_FORMAT``.

    Replaces any handler already there, as ``logging.basicConfig(force=True)`` does: called twice
    (a CLI command after the test harness) it must not print every line twice.
    """
    chosen = os.environ.get(FORMAT_ENV, "readable") if format is None else format
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter(chosen))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


def _context_of(record: logging.LogRecord) -> Fields:
    stamped = getattr(record, "context", None)
    return stamped if isinstance(stamped, Mapping) else _fields.get()
