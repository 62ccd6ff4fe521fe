"""A steady load of signed ``/crisis`` commands against a running ``serve``, and what came back.

Each lane sends ``start``, ``list`` and ``status`` in turn, one at a time: the next once the
previous was acknowledged (and, for a command answered later at its response_url, answered).
That keeps the load steady and bounded however slow the machine, and tells, per command, when
it was sent, how long its acknowledgement took and what the person read.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from dataclasses import dataclass, field

from tests.adapters.slack.harness import SlackClientSim

SLACK_ACK_WINDOW = 3.0  # Slack shows the person an error after this
WAIT = 120.0  # a hang detector for another process on a starved machine, not a speed test

# what a person reads, by the text that tells it (bot/core/messaging/text.py, errors.py)
DECLARING = "Declaring CRISIS-"
NOT_STORED = "The crisis could not be stored: my database is not answering right now"
UNAVAILABLE = "I cannot reach my database right now"
TRY_AGAIN = "try again in a minute"
NOT_CONFIRMED = "I could not confirm that the crisis was stored"
SOMETHING_WRONG = "Something went wrong"


@dataclass
class Sent:
    """One command and its answers: the acknowledgement, then what came to its response_url."""

    text: str
    sent_at: float
    acked_at: float
    status: int
    ack: str
    response_url: str
    replies: list[str] = field(default_factory=list)
    answered_at: float = 0.0  # when the person had read the answer (the ack, or the reply after it)

    @property
    def ack_seconds(self) -> float:
        return self.acked_at - self.sent_at

    @property
    def is_start(self) -> bool:
        return self.text.startswith("start ")

    @property
    def answer(self) -> str:
        """What the person read first: the acknowledgement, or the reply that followed it."""
        return self.ack if self.ack or not self.replies else self.replies[0]

    def kind(self) -> str:
        """``declared``, ``not stored``, ``unavailable``, ``answered``, or what went wrong."""
        answer = self.answer
        for text, kind in (
            (SOMETHING_WRONG, "bug"),
            (NOT_CONFIRMED, "not confirmed"),
            (DECLARING, "declared"),
            (NOT_STORED, "not stored"),
            (UNAVAILABLE, "unavailable"),
        ):
            if text in answer:
                return kind
        return "answered" if not self.is_start else f"unexpected: {answer[:200]}"

    @property
    def title(self) -> str:
        return self.text.removeprefix("start complaint sev3 ")

    def polite(self) -> bool:
        """Refused, saying why and what to do (try again in a minute)."""
        return self.kind() in ("not stored", "unavailable", "not confirmed") and TRY_AGAIN in self.answer.lower()


async def send(sim: SlackClientSim, text: str) -> Sent:
    """One command; returns once the person has read its answer (a declaration's outcome, which
    may be resumed much later, is not waited for here)."""
    sent_at = time.monotonic()
    status, ack, url = await sim.command(text)
    sent = Sent(text, sent_at, time.monotonic(), status, ack, url)
    if status == 200 and not ack:  # answered at its response_url once the work is done
        sent.replies = [str(r) for r in await asyncio.to_thread(sim.fake.wait_responses, url, 1, WAIT)]
    sent.answered_at = time.monotonic()
    return sent


class SteadyLoad:
    """``lanes`` commands in flight at all times until ``stop``."""

    def __init__(self, sim: SlackClientSim, lanes: int = 2) -> None:
        self.sim = sim
        self.lanes = lanes
        self.sent: list[Sent] = []
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._numbers = itertools.count(1)

    def start(self) -> None:
        self._tasks = [asyncio.ensure_future(self._lane(lane)) for lane in range(self.lanes)]

    async def stop(self) -> list[Sent]:
        self._stopping.set()
        await asyncio.gather(*self._tasks)
        return self.sent

    async def _lane(self, lane: int) -> None:
        for i in itertools.count():
            if self._stopping.is_set():
                return
            text = ("start complaint sev3 Steady load {n}", "list", "status")[i % 3]
            self.sent.append(await send(self.sim, text.format(n=f"{lane}-{next(self._numbers)}")))


def between(sent: list[Sent], start: float, end: float) -> list[Sent]:
    """The commands sent and answered within [start, end]."""
    return [s for s in sent if s.sent_at >= start and s.answered_at <= end]


def tally(sent: list[Sent]) -> Counter[str]:
    return Counter(s.kind() for s in sent)
