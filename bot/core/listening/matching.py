"""Which topics of the plan a mention is about, and whether one post matters on its own.

Keywords and phrases match whole words in any case (``fire`` does not match ``firewall``); a
handle matches an @mention in the text or a post by that author. A topic with languages only
matches mentions in them (a mention whose language is unknown still matches: better one false
alarm than a missed one). Patterns are compiled once per plan, not per mention.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlparse

from bot.core.model.mentions import Mention
from bot.core.plan.monitoring import Topic, Virality


def _words(terms: list[str]) -> re.Pattern[str] | None:
    cleaned = [r"\s+".join(re.escape(w) for w in t.split()) for t in terms if t.strip()]
    if not cleaned:
        return None
    return re.compile(r"(?<![\w@#])(?:" + "|".join(cleaned) + r")(?!\w)", re.IGNORECASE)


class TopicMatcher:
    def __init__(self, topics: Mapping[str, Topic]) -> None:
        self._topics = [
            (
                tid,
                _words([*t.keywords, *t.phrases]),
                {h.lower().lstrip("@") for h in t.handles},
                frozenset(lang.lower() for lang in t.languages),
            )
            for tid, t in topics.items()
        ]

    def topics_of(self, mention: Mention) -> tuple[str, ...]:
        lang = (mention.lang or "").lower().split("-")[0]
        author = (mention.author_handle or "").lower().lstrip("@")
        found = []
        for tid, words, handles, languages in self._topics:
            if languages and lang and lang not in languages:
                continue
            if (words is not None and words.search(mention.text)) or (handles and _names(mention, author, handles)):
                found.append(tid)
        return tuple(found)


def _names(mention: Mention, author: str, handles: set[str]) -> bool:
    if author in handles:
        return True
    tagged = {m.lower() for m in re.findall(r"@([\w.]+)", mention.text)}
    return not tagged.isdisjoint(handles)


def viral_reason(mention: Mention, rules: Virality) -> str | None:
    """Why this one post matters by itself, or None: the first trigger it meets, in plain words."""
    if rules.verified and mention.verified:
        return "a verified author"
    if rules.followers is not None and (mention.followers or 0) >= rules.followers:
        return f"an author with {mention.followers:,} followers"
    if rules.reach is not None and (mention.reach or 0) >= rules.reach:
        return f"a reach of {mention.reach:,}"
    host = (urlparse(mention.url).hostname or "").lower() if mention.url else ""
    for domain in rules.press_domains:
        if host == domain or host.endswith("." + domain):
            return f"a press site ({domain})"
    return None
