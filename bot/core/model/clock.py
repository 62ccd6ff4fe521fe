"""Clocks: the real one, and one tests can move by hand instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """Time stands still until ``advance`` is called, so timings in tests are exact."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def set(self, at: datetime) -> datetime:
        """Move to ``at``, never back: time going backwards is not a case anything handles."""
        if at < self._now:
            raise ValueError(f"the clock is at {self._now:%H:%M:%S}; it cannot go back to {at:%H:%M:%S}")
        self._now = at
        return self._now
