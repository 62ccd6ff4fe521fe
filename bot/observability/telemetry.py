"""The core's :class:`~bot.core.ports.Telemetry` for one platform, counted in :class:`Metrics`.

Each platform has its own core in a process that may serve several, so the platform label is
fixed here, where the core is built, rather than carried by every call.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.observability.metrics import Metrics


@dataclass(frozen=True)
class PlatformTelemetry:
    metrics: Metrics
    platform: str

    def command(self, name: str, outcome: str) -> None:
        self.metrics.command(self.platform, name, outcome)

    def action(self, name: str, outcome: str) -> None:
        self.metrics.action(self.platform, name, outcome)

    def declared(self) -> None:
        self.metrics.declared(self.platform)

    def step_failed(self, step: str) -> None:
        self.metrics.step_failed(self.platform, step)

    def page(self, event: str) -> None:
        self.metrics.page(self.platform, event)

    def scheduler_lag(self, timer: str, seconds: float) -> None:
        self.metrics.scheduler_lag(timer, seconds)


@dataclass(frozen=True)
class PlatformCalls:
    """A platform's chat API calls that failed or were tried again, counted."""

    metrics: Metrics
    platform: str

    def chat_error(self, method: str, kind: str) -> None:
        self.metrics.chat_error(self.platform, method, kind)

    def chat_retry(self, method: str) -> None:
        self.metrics.chat_retry(self.platform, method)
