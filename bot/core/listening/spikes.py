"""Spike maths: a topic's rate in the recent window against its own baseline, and a sparkline.

The baseline is the topic's mean rate over ``baseline_hours`` before the window. A topic that is
usually silent has a baseline of zero: then only the floor (``min_mentions``) decides, so the
first thirty complaints about something new are a spike, and the first three are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.plan.monitoring import Monitoring

BARS = "▁▂▃▄▅▆▇█"
BUCKETS = 12


@dataclass(frozen=True)
class Rate:
    """A topic's figures at ``at``: mentions in the window and in the baseline before it."""

    window_count: int
    baseline_count: int
    window_minutes: int
    baseline_minutes: int

    @property
    def per_minute(self) -> float:
        return self.window_count / self.window_minutes

    @property
    def baseline_per_minute(self) -> float:
        return self.baseline_count / self.baseline_minutes

    @property
    def ratio(self) -> float | None:
        """The window's rate over the baseline's; None when the baseline is silent."""
        return self.per_minute / self.baseline_per_minute if self.baseline_count else None

    def is_spike(self, monitoring: Monitoring) -> bool:
        spike = monitoring.spike
        if self.window_count < spike.min_mentions:
            return False
        ratio = self.ratio
        return ratio is None or ratio >= spike.ratio


def windows(monitoring: Monitoring, now: datetime) -> tuple[datetime, datetime]:
    """(start of the baseline, start of the window): the baseline ends where the window starts."""
    window = timedelta(minutes=monitoring.spike.window_minutes)
    return now - window - timedelta(hours=monitoring.baseline_hours), now - window


def rate(monitoring: Monitoring, window_count: int, baseline_count: int) -> Rate:
    return Rate(window_count, baseline_count, monitoring.spike.window_minutes, monitoring.baseline_hours * 60)


def buckets(monitoring: Monitoring, now: datetime) -> list[tuple[datetime, datetime]]:
    """Twelve equal spans covering the last three windows, oldest first, for the sparkline."""
    step = timedelta(minutes=monitoring.spike.window_minutes) * 3 / BUCKETS
    return [(now - step * (BUCKETS - i), now - step * (BUCKETS - i - 1)) for i in range(BUCKETS)]


def sparkline(counts: list[int]) -> str:
    top = max(counts, default=0)
    if top == 0:
        return BARS[0] * len(counts)
    return "".join(BARS[min(len(BARS) - 1, round(c / top * (len(BARS) - 1)))] for c in counts)
