"""What Slack ended up with, per crisis: the side effects of a declaration counted from the fake
Slack Web API and the database, so duplicates and gaps show per crisis, not only in totals.

Shared by the production tests (two ``serve`` processes on PostgreSQL) and ``bench/exactly_once.py``.
A step marks what it posts with a key in the message's metadata (``CRISIS-0001:kickoff``,
``page:3:0:card``); counting by key tells one step's post from another's and a resumed attempt's
post from the first one's, which counting by text could not.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.adapters.slack.chat import SlackChat
from bot.core.crisis import rooms
from bot.core.model.crisis import Crisis
from bot.core.model.pages import Page
from bot.core.plan.chain import page_ladder
from bot.core.plan.model import Plan
from tests.fakes import FakeSlack
from tests.fakes.slack_state import JSON

EFFECTS = ("war rooms", "kickoffs", "pins", "page rows", "page cards", "page DMs", "announcements", "answers")


def post_key(args: JSON) -> str | None:
    """The key a step put in a message's metadata: it tells one step's post from another's and
    a resumed attempt's from the first, so it is what counting relies on (sent as a JSON string
    or an object; stored as an object)."""
    raw = args.get("metadata")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    payload = raw.get("event_payload") if isinstance(raw, dict) else None
    key = payload.get("key") if isinstance(payload, dict) else None
    return key if isinstance(key, str) else None


def declared_in(args: JSON, key: str) -> bool:
    """Whether a body posted to a response_url is the declarer's final answer for ``key``."""
    return f"{key} declared." in json.dumps(args, ensure_ascii=False)


@dataclass
class SlackState:
    """The fake's state indexed once per count: scanning every message per crisis would make
    counting the slowest part of a round."""

    posts: dict[str, list[tuple[str, str]]]  # key -> [(channel, ts)]
    pinned: set[tuple[str, str]]
    rooms: Counter[str]  # channel name -> how many channels have it (Slack allows one)
    answers: dict[str, list[str]]  # response_url -> bodies, as JSON text

    @classmethod
    def of(cls, fake: FakeSlack, urls: Iterable[str]) -> SlackState:
        posts: dict[str, list[tuple[str, str]]] = {}
        for channel, messages in list(fake.messages.items()):
            for message in list(messages):
                if (key := post_key(message)) is not None:
                    posts.setdefault(key, []).append((channel, str(message["ts"])))
        pinned = {(channel, ts) for channel, stamps in list(fake.pins.items()) for ts in stamps}
        names = Counter(str(c["name"]) for c in list(fake.channels.values()) if not c["is_im"])
        answers = {url: [json.dumps(b, ensure_ascii=False) for b in fake.responses(url)] for url in urls}
        return cls(posts, pinned, names, answers)


def response_url_of(crisis: Crisis) -> str:
    """Where the declarer hears the outcome (``Crisis.reply_to``): it names a request's crisis,
    whose number only the process that stored it knows."""
    try:
        where = json.loads(crisis.reply_to or "")
    except ValueError:
        return ""
    url = where.get("response_url") if isinstance(where, dict) else None
    return url if isinstance(url, str) else ""


def paged_roles(plan: Plan, crisis: Crisis) -> list[str]:
    """The roles a declaration pages (bot.core.crisis.steps.DeclarationSteps.page): once each."""
    return [r for r in dict.fromkeys(a.role_id for a in crisis.assignments if a.paged) if page_ladder(plan, r)]


def expected_effects(plan: Plan, crisis: Crisis) -> Counter[str]:
    pages = len(paged_roles(plan, crisis))
    one = dict.fromkeys(("war rooms", "kickoffs", "pins", "announcements", "answers"), 1)
    return Counter(one | {"page rows": pages, "page cards": pages, "page DMs": pages})


def seen_effects(state: SlackState, plan: Plan, crisis: Crisis, pages: Sequence[Page]) -> Counter[str]:
    """What Slack and the database show of one crisis's declaration. Pages count at position 0
    only: a page that later climbs to a backup posts a new card, which is no duplicate."""
    base = rooms.base_name(plan.war_room.prefix, crisis.declared_at, crisis.title, SlackChat.limits.room_name)
    kickoffs = state.posts.get(f"{crisis.key}:kickoff", [])
    declaration_pages = [p for p in pages if p.key is not None and p.key.startswith("declared:")]
    answers = state.answers.get(response_url_of(crisis), [])
    return Counter(
        {
            "war rooms": sum(state.rooms[name] for name in rooms.candidates(base, SlackChat.limits.room_name)),
            "kickoffs": len(kickoffs),
            "pins": sum(posted in state.pinned for posted in kickoffs),
            "page rows": len(declaration_pages),
            "page cards": sum(len(state.posts.get(f"page:{p.id}:0:card", [])) for p in declaration_pages),
            "page DMs": sum(len(state.posts.get(f"page:{p.id}:0:dm", [])) for p in declaration_pages),
            "announcements": len(state.posts.get(f"{crisis.key}:announce", [])),
            "answers": sum(f"{crisis.key} declared." in body for body in answers),
        }
    )


def surplus_and_shortfall(expected: Counter[str], seen: Counter[str]) -> tuple[Counter[str], Counter[str]]:
    """Per side effect, how many more than expected (duplicates) and how many fewer (missing)."""
    dup = Counter({e: seen[e] - expected[e] for e in EFFECTS if seen[e] > expected[e]})
    miss = Counter({e: expected[e] - seen[e] for e in EFFECTS if seen[e] < expected[e]})
    return dup, miss
