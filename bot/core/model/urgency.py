"""Which work a person is waiting on right now, so shared resources can serve it first.

A platform's acknowledgement has a hard deadline (Slack shows an error after 3 seconds) while the
declarations already under way can wait a few milliseconds more. The mark travels with the task
(a context variable), so storage several calls down sees it without every signature carrying it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_URGENT: ContextVar[bool] = ContextVar("crisisbot_urgent", default=False)


@contextmanager
def urgent() -> Iterator[None]:
    """Work inside (and tasks started inside) goes ahead of the rest where it has to queue."""
    token = _URGENT.set(True)
    try:
        yield
    finally:
        _URGENT.reset(token)


def is_urgent() -> bool:
    return _URGENT.get()
