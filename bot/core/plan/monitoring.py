"""The plan's ``monitoring:`` section: what to listen for, what counts as a spike, when a single
post matters on its own, and where the alerts go.

"Watch your feeds, and know early": a topic is what the company cares about (its name, its
products, its executives), written as keywords, phrases and handles per language. A spike is a
topic's rate in the recent window against its own baseline, with a floor so three mentions
instead of none is not a crisis. A virality trigger is one post that matters by itself (a
verified author, a large following, a press domain, a large reach). Each topic suggests the
scenario and severity to declare, and the severity to escalate to when it goes viral.
"""

from __future__ import annotations

from pydantic import Field

from bot.core.model.base import Strict


class Spike(Strict):
    ratio: float = Field(default=5.0, gt=1)  # the window's rate against the baseline's
    min_mentions: int = Field(default=30, ge=1)  # in the window, whatever the baseline
    window_minutes: int = Field(default=10, ge=1, le=240)


class Virality(Strict):
    verified: bool = True  # a verified author mentioning a topic
    followers: int | None = Field(default=100_000, ge=1)
    reach: int | None = Field(default=500_000, ge=1)
    press_domains: list[str] = Field(default_factory=list)  # a link to one of these


class Topic(Strict):
    name: str = Field(min_length=1, max_length=80)
    keywords: list[str] = Field(default_factory=list)  # whole words, any case
    phrases: list[str] = Field(default_factory=list)  # exact sequences of words, any case
    handles: list[str] = Field(default_factory=list)  # @mentions, or posts by these authors
    languages: list[str] = Field(default_factory=list)  # empty: every language
    scenario: str = Field(default="other", min_length=1)  # suggested when declaring from an alert
    severity: str | None = Field(default=None, pattern=r"^sev[1-9]$")  # None: the scenario's usual one
    viral_severity: str | None = Field(default=None, pattern=r"^sev[1-9]$")  # proposed on virality


class Monitoring(Strict):
    channel: str = Field(default="social-monitoring", pattern=r"^[a-z0-9_-]{1,80}$")
    baseline_hours: int = Field(default=24, ge=1, le=24 * 28)
    spike: Spike = Spike()
    virality: Virality = Virality()
    watch_minutes: int = Field(default=30, ge=1, le=24 * 60)  # Watch: remind after this long
    digest_seconds: int = Field(default=60, ge=60)  # at most one war-room digest this often
    topics: dict[str, Topic] = Field(default_factory=dict)
