"""Prometheus metrics of one crisisbot process, behind a small typed API.

Every label value comes from a closed vocabulary. A label set per user text (a command someone
mistyped, a channel name) would grow the series without bound, slow every scrape and, worse, copy
what people typed into a monitoring system nobody vetted for it. So: names the bot defines itself
(commands, buttons, steps, chat API methods) are kept when known and become ``other`` when not; the
sets the code alone chooses (platform, outcome) refuse an unknown value with ``ValueError``, since
that is a bug at the call site, not a user's doing.

Each :class:`Metrics` owns its :class:`~prometheus_client.CollectorRegistry` (never the global
default), so tests, and two bots in one process, never see each other's counts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.core.commands import USAGE
from bot.core.model import Action, FormKind, StepKey

OTHER: Final = "other"
PLATFORMS: Final = ("slack", "teams", "console")
# ok: done; refused: answered with a usage or permission message; failed: an error the person saw
# as "something went wrong"; timeout: no answer within the platform's deadline
OUTCOMES: Final = ("ok", "refused", "failed", "timeout")
PAGE_EVENTS: Final = ("fired", "acknowledged", "climbed")
CHAT_ERRORS: Final = ("rate_limited", "server", "client", "network")
COMMANDS: Final = frozenset(USAGE)
ACTIONS: Final = frozenset({*(a.value for a in Action), *(f.value for f in FormKind)})
STEPS: Final = frozenset(s.value for s in StepKey)
# what the scheduler fires late or on time (see bot.scheduler and the container's chores)
TIMERS: Final = frozenset({"page", "reminder", "declaration", "inject", "alert"})
# the chat API calls the adapters make: Slack Web API methods, Teams' Graph and Bot Connector calls
CHAT_METHODS: Final = frozenset(
    {
        "auth.test",
        "views.open",
        "views.publish",
        "chat.getPermalink",
        "chat.postMessage",
        "chat.update",
        "conversations.create",
        "conversations.invite",
        "conversations.setTopic",
        "conversations.setPurpose",
        "conversations.join",
        "conversations.list",
        "conversations.info",
        "conversations.history",
        "conversations.open",
        "pins.add",
        "users.lookupByEmail",
        "files.upload.v2",
        "graph.create_channel",
        "graph.channels",
        "graph.team_members",
        "graph.add_team_member",
        "graph.add_channel_member",
        "graph.user_by_email",
        "connector.send",
        "connector.update",
        "connector.create_conversation",
        "connector.member",
        "graph.create_chat",
        "graph.chats",
        "graph.chat_members",
        "graph.add_chat_member",
        "graph.app_catalog",
        "graph.install_app",
        "token",
    }
)
# Slack gives up after 3 s, Teams after 15 s: the buckets resolve both limits.
ACK_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0)
# the scheduler polls every 5 s; a timer a minute late means a page a minute late
LAG_BUCKETS: Final = (0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
HTTP_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0)


def known(value: str, vocabulary: Collection[str]) -> str:
    """``value`` if the bot defines it, else ``other``: for names a person's input can choose."""
    return value if value in vocabulary else OTHER


def one_of(value: str, allowed: Collection[str], what: str) -> str:
    """``value`` if allowed; a bug at the call site otherwise, so refuse it loudly."""
    if value not in allowed:
        raise ValueError(f"{what} must be one of {sorted(allowed)}, not {value!r}")
    return value


@dataclass(frozen=True)
class PoolUsage:
    """A database connection pool at one instant (SQLAlchemy's QueuePool vocabulary)."""

    size: int  # connections the pool keeps
    in_use: int  # checked out right now
    idle: int  # checked in, ready
    overflow: int  # opened beyond ``size`` (negative while the pool is still filling)


PoolReader = Callable[[], PoolUsage | None]


class _PoolCollector(Collector):
    """Reads the pool at scrape time: a gauge updated on checkout would miss nothing but cost
    every request a lock; a scrape every 15 s costs nothing."""

    def __init__(self) -> None:
        self.readers: dict[str, PoolReader] = {}

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "crisisbot_db_pool_connections", "Database pool connections by state.", labels=["pool", "state"]
        )
        size = GaugeMetricFamily("crisisbot_db_pool_size", "Connections the pool keeps open.", labels=["pool"])
        for name, read in sorted(self.readers.items()):
            usage = read()
            if usage is None:
                continue
            family.add_metric([name, "in_use"], usage.in_use)
            family.add_metric([name, "idle"], usage.idle)
            family.add_metric([name, "overflow"], max(usage.overflow, 0))
            size.add_metric([name], usage.size)
        yield family
        yield size


class Metrics:
    """The counters and histograms of one process; call its methods from the core's edges."""

    def __init__(self, *, process: bool = True) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        if process:  # RSS, CPU, open files: what the resource requests were sized from
            ProcessCollector(registry=self.registry)
        r = self.registry
        self._commands = Counter(
            "crisisbot_commands", "Commands run, by name and outcome.", ["platform", "command", "outcome"], registry=r
        )
        self._actions = Counter(
            "crisisbot_actions",
            "Buttons and forms, by name and outcome.",
            ["platform", "action", "outcome"],
            registry=r,
        )
        self._ack = Histogram(
            "crisisbot_ack_seconds", "From request to acknowledgement.", ["platform"], buckets=ACK_BUCKETS, registry=r
        )
        self._declarations = Counter("crisisbot_declarations", "Crises declared.", ["platform"], registry=r)
        self._step_failures = Counter(
            "crisisbot_declaration_step_failures",
            "Declaration steps that failed (each try).",
            ["platform", "step"],
            registry=r,
        )
        self._pages = Counter(
            "crisisbot_pages", "Pages fired, acknowledged, climbed.", ["platform", "event"], registry=r
        )
        self._lag = Histogram(
            "crisisbot_scheduler_lag_seconds",
            "How late a due timer fired.",
            ["timer"],
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self._chat_errors = Counter(
            "crisisbot_chat_api_errors", "Chat API calls that failed.", ["platform", "method", "kind"], registry=r
        )
        self._chat_retries = Counter(
            "crisisbot_chat_api_retries", "Chat API calls tried again.", ["platform", "method"], registry=r
        )
        self._http = Histogram(
            "crisisbot_http_request_seconds",
            "HTTP requests served, by route and status class.",
            ["route", "status"],
            buckets=HTTP_BUCKETS,
            registry=r,
        )
        self._pools = _PoolCollector()
        r.register(self._pools)

    def command(self, platform: str, name: str, outcome: str) -> None:
        """A ``/crisis <name>`` ran; ``name`` is the verb as typed, mapped to ``other`` if unknown."""
        self._commands.labels(_platform(platform), known(name.lower(), COMMANDS), _outcome(outcome)).inc()

    def action(self, platform: str, name: str, outcome: str) -> None:
        """A button (:class:`Action`) or a form (:class:`FormKind`) was answered."""
        self._actions.labels(_platform(platform), known(name, ACTIONS), _outcome(outcome)).inc()

    def ack_seconds(self, platform: str, seconds: float) -> None:
        """Time from the request's arrival to the acknowledgement the platform waits for."""
        self._ack.labels(_platform(platform)).observe(seconds)

    def declared(self, platform: str) -> None:
        self._declarations.labels(_platform(platform)).inc()

    def step_failed(self, platform: str, step: str) -> None:
        """One try of a declaration step (:class:`StepKey`) failed; retries count again."""
        self._step_failures.labels(_platform(platform), known(step, STEPS)).inc()

    def page(self, platform: str, event: str) -> None:
        """A page was ``fired``, ``acknowledged`` or ``climbed`` to the next person."""
        self._pages.labels(_platform(platform), one_of(event, PAGE_EVENTS, "page event")).inc()

    def scheduler_lag(self, timer: str, seconds: float) -> None:
        """A timer due at T fired at T + ``seconds`` (0 when early: the clock of the replica)."""
        self._lag.labels(known(timer, TIMERS)).observe(max(seconds, 0.0))

    def chat_error(self, platform: str, method: str, kind: str) -> None:
        """A chat API call failed: ``rate_limited``, ``server`` (5xx), ``client`` (4xx, Slack's
        ``ok: false``) or ``network``."""
        self._chat_errors.labels(
            _platform(platform), known(method, CHAT_METHODS), one_of(kind, CHAT_ERRORS, "kind")
        ).inc()

    def chat_retry(self, platform: str, method: str) -> None:
        self._chat_retries.labels(_platform(platform), known(method, CHAT_METHODS)).inc()

    def http_request(self, route: str, status: int, seconds: float) -> None:
        """``route`` is the registered path template (``/intake/{source}``), never the raw path."""
        self._http.labels(route, f"{status // 100}xx").observe(seconds)

    def watch_pool(self, name: str, read: PoolReader) -> None:
        """Report a connection pool at each scrape; ``name`` is chosen by the code (``main``)."""
        self._pools.readers[name] = read

    def families(self) -> set[str]:
        """The metric family names this registry exposes (tests and the docs check them)."""
        return {metric.name for metric in self.registry.collect()}


def _platform(value: str) -> str:
    return one_of(value, PLATFORMS, "platform")


def _outcome(value: str) -> str:
    return one_of(value, OUTCOMES, "outcome")
