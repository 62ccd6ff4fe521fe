"""End-of-incident figures and the chat summary, from a timeline built by hand with fixed times.

The sample crisis is also used by the export and report tests: a complaint declared at SEV3,
escalated to SEV2 when a journalist asked, with acknowledgements, four drafts (one published),
notes, status updates and enough events that the chat summary has to leave some out.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.messaging.message import Header, Link, Paragraph
from bot.core.messaging.reports import summary_message
from bot.core.model.crisis import BOT, Actor, Assignment, Crisis, CrisisStatus, Room
from bot.core.model.drafts import Draft, DraftStatus
from bot.core.model.events import EventKind, TimelineEvent
from bot.core.plan.model import Plan
from bot.core.ports import ChatLimits
from bot.core.reports.figures import KeyTimes, SeverityChange, figures

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
SOFIA = Actor(platform_id="U01SOFIA00", name="Sofia Chen", person_id="sofia")
AMELIE = Actor(platform_id="U01AMELIE0", name="Amélie Laurent", person_id="amelie")
THEO = Actor(platform_id="U01THEO000", name="Théo Marchand", person_id="theo")
NADIA = Actor(platform_id="U01NADIA00", name="Nadia Haddad", person_id="nadia")
JORDAN = Actor(platform_id="U01JORDAN0", name="Jordan Ellis", person_id="jordan")
PUBLISHED_URL = "https://x.com/maisonlumen/status/1862"

SLACK_LIMITS = ChatLimits(room_name=80, header=150)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def sample_plan() -> Plan:
    """A small plan of its own, so that editing the shipped plan never breaks these tests."""
    people = {
        pid: {"name": actor.name, "email": f"{pid}@maisonlumen.example"}
        for pid, actor in {"amelie": AMELIE, "sofia": SOFIA, "theo": THEO, "nadia": NADIA, "jordan": JORDAN}.items()
    }
    return Plan.model_validate(
        {
            "company": "Maison Lumen",
            "lead_role": "crisis_lead",
            "people": people,
            "roles": {
                "crisis_lead": {"name": "Crisis lead", "people": ["amelie"]},
                "community_manager": {"name": "Community manager", "people": ["sofia", "theo"]},
                "press": {"name": "Press & PR", "people": ["nadia"]},
            },
            "severities": {
                "sev3": {"name": "Moderate", "invite": ["crisis_lead", "community_manager"], "page": ["crisis_lead"]},
                "sev2": {
                    "name": "High",
                    "invite": ["crisis_lead", "community_manager", "press"],
                    "page": ["crisis_lead", "press"],
                    "approver": "crisis_lead",
                },
            },
            "scenarios": {
                "complaint": {"name": "Customer complaint", "playbook": "complaint.yaml", "default_severity": "sev3"},
                "troll": {"name": "Troll or bad-faith account", "playbook": "troll.yaml", "default_severity": "sev4"},
            },
        }
    )


def sample_crisis(**changes: Any) -> Crisis:
    crisis = Crisis(
        number=7,
        title="Cracked shades go viral",
        details="A customer posted a photo of a cracked shade.\nOthers are joining in.",
        source_url="https://x.com/claire_b/status/1860",
        scenario_id="complaint",
        severity_id="sev2",
        status=CrisisStatus.RESOLVED,
        declared_by=SOFIA,
        declared_at=T0,
        room_name="crisis-2026-11-25-cracked-shades",
        room=Room(id="C07", name="crisis-2026-11-25-cracked-shades"),
        lead_person_id="amelie",
        assignments=[
            Assignment(role_id="crisis_lead", role_name="Crisis lead", person_ids=["amelie"], paged=True),
            Assignment(role_id="community_manager", role_name="Community manager", person_ids=["sofia", "theo"]),
            Assignment(role_id="press", role_name="Press & PR", person_ids=["nadia"], paged=True),
        ],
        resolved_at=at(7500),
        resolved_by=AMELIE,
        resolution_summary="Replacement lamps shipped; mentions back to normal.",
    )
    return crisis.model_copy(update=changes)


def ev(seconds: float, kind: str, text: str, actor: Actor = BOT, **data: Any) -> TimelineEvent:
    return TimelineEvent(at=at(seconds), kind=kind, text=text, actor=actor, data=data)


def sample_events() -> list[TimelineEvent]:
    """46 events over two hours and five minutes."""
    events = [
        ev(0, "declared", "Sofia Chen declared CRISIS-0007 (SEV3, Customer complaint): Cracked shades go viral", SOFIA),
        ev(20, "war_room_created", "War room #crisis-2026-11-25-cracked-shades ready"),
        ev(30, "invited", "Invited Amélie Laurent, Théo Marchand", invited=["amelie", "theo"], failed={}),
        ev(45, "kickoff_posted", "Kickoff and playbook posted; paged Amélie Laurent"),
        ev(46, "announced", "Announced in #crisis-announcements"),
        ev(130, "acknowledged", "Amélie Laurent acknowledged the page for Crisis lead", AMELIE),
        ev(200, "acknowledged", "Théo Marchand acknowledged the page for Community manager", THEO),
        ev(240, "note", "The original post has 2,000 likes", SOFIA, permalink="https://acme.slack.com/p1"),
        ev(300, "draft_created", "Sofia Chen drafted a holding reply (draft #1)", SOFIA, draft=1),
        ev(600, "draft_edited", "Sofia Chen edited draft #1", SOFIA, draft=1),
        ev(720, "draft_ready", "Sofia Chen marked draft #1 ready (SEV3: no approval needed)", SOFIA, draft=1),
        ev(
            1200,
            "escalated",
            "Amélie Laurent escalated CRISIS-0007 SEV3 → SEV2: A journalist asked for comment",
            AMELIE,
            from_severity="sev3",
            to_severity="sev2",
            reason="A journalist asked for comment",
        ),
        ev(1210, "paged", "Paged Nadia Haddad (press): escalated to SEV2", person_id="nadia"),
        ev(1500, "acknowledged", "Nadia Haddad acknowledged the page for Press & PR", NADIA),
        ev(1800, "draft_created", "Théo Marchand drafted a update reply (draft #2)", THEO, draft=2),
        ev(2292, "draft_published", f"Sofia Chen published draft #1 at {PUBLISHED_URL}", SOFIA, draft=1),
        ev(2400, "draft_edited", "Théo Marchand edited draft #2", THEO, draft=2),
        ev(2460, "draft_submitted", "Théo Marchand submitted draft #2 to Crisis lead", THEO, draft=2),
        ev(2700, "draft_changes", "Amélie Laurent asked for changes to draft #2: name the fix", AMELIE, draft=2),
        ev(2900, "draft_edited", "Théo Marchand edited draft #2", THEO, draft=2),
        ev(2960, "draft_submitted", "Théo Marchand submitted draft #2 to Crisis lead", THEO, draft=2),
        ev(3300, "draft_approved", "Amélie Laurent approved draft #2", AMELIE, draft=2),
        ev(3400, "draft_created", "Jordan Ellis drafted a holding reply (draft #3)", JORDAN, draft=3),
        ev(3600, "status_update", "Holding reply out; the journalist has our statement", AMELIE),
        ev(3650, "draft_edited", "Jordan Ellis edited draft #3", JORDAN, draft=3),
        ev(3700, "draft_submitted", "Jordan Ellis submitted draft #3 to Crisis lead", JORDAN, draft=3),
    ]
    for i in range(15):  # the monitoring notes that make up most of a real timeline
        who = (JORDAN, THEO)[i % 2]
        events.append(ev(3900 + 180 * i, "note", f"Mentions in the last 3 min: {40 - 2 * i}", who))
    events += [
        ev(6000, "draft_created", "Sofia Chen drafted a resolution reply (draft #4)", SOFIA, draft=4),
        ev(6300, "note", "Filed from the thread", BOT, author="Nadia Haddad"),
        ev(6600, "lead_changed", "Amélie Laurent is the lead again", AMELIE, lead="amelie"),
        ev(7440, "status_update", "Mentions back to the usual level", AMELIE),
        ev(
            7500,
            "resolved",
            "Amélie Laurent resolved CRISIS-0007: Replacement lamps shipped; mentions back to normal.",
            AMELIE,
        ),
    ]
    return events


def _draft(draft_id: int, created: float, author: Actor, stage: str, lang: str, text: str, **more: Any) -> Draft:
    return Draft(
        id=draft_id,
        crisis_number=7,
        scenario="complaint",
        stage=stage,
        lang=lang,
        text=text,
        author=author,
        edited=True,
        created_at=at(created),
        updated_at=at(created),
        **more,
    )


def sample_drafts() -> list[Draft]:
    return [
        _draft(
            1,
            300,
            SOFIA,
            "holding",
            "en",
            "Hi @claire_b, we're so sorry about the cracked shade. #MaisonLumen\n"
            "A new lamp ships today: DM us your order number.",
            status=DraftStatus.PUBLISHED,
            approved_at=at(720),
            published_by=SOFIA,
            published_at=at(2292),
            published_url=PUBLISHED_URL,
        ),
        _draft(
            2,
            1800,
            THEO,
            "update",
            "en",
            "Update: the faulty batch is identified.\n\n1. Replacements ship today\n- Refunds on request",
            status=DraftStatus.APPROVED,
            approved_by=AMELIE,
            approved_at=at(3300),
        ),
        _draft(3, 3400, JORDAN, "holding", "fr", "Bonjour, nous sommes désolés.", status=DraftStatus.IN_REVIEW),
        _draft(4, 6000, SOFIA, "resolution", "en", "Every order is covered. [PLACEHOLDER]"),
    ]


def test_key_times_and_durations_since_declaration() -> None:
    fig = figures(sample_crisis(), sample_events(), sample_drafts())

    assert fig.times == KeyTimes(
        declared_at=T0,
        war_room_ready_at=at(45),
        first_ack_at=at(130),
        first_draft_at=at(300),
        first_approved_at=at(720),
        first_published_at=at(2292),
        resolved_at=at(7500),
    )
    assert fig.times.to_war_room_ready == timedelta(seconds=45)
    assert fig.times.to_first_ack == timedelta(minutes=2, seconds=10)
    assert fig.times.to_first_draft == timedelta(minutes=5)
    assert fig.times.to_first_approved == timedelta(minutes=12)
    assert fig.times.to_first_published == timedelta(minutes=38, seconds=12)
    assert fig.times.to_resolved == timedelta(hours=2, minutes=5)
    assert [m.key for m in fig.times.milestones()] == [
        "war_room_ready",
        "first_ack",
        "first_draft",
        "first_approved",
        "first_published",
        "resolved",
    ]


def test_severity_path_escalations_people_and_drafts() -> None:
    fig = figures(sample_crisis(), sample_events(), sample_drafts())

    assert fig.severity_path == ("sev3", "sev2")
    assert fig.escalations == (
        SeverityChange(
            at(1200), EventKind.ESCALATED, "sev3", "sev2", "Amélie Laurent", "A journalist asked for comment"
        ),
    )
    assert fig.people_by_role == {
        "Crisis lead": ("amelie",),
        "Community manager": ("sofia", "theo"),
        "Press & PR": ("nadia",),
    }
    assert [a.name for a in fig.acted] == [
        "Sofia Chen",
        "Amélie Laurent",
        "Théo Marchand",
        "Nadia Haddad",
        "Jordan Ellis",
    ]
    assert [a.name for a in fig.others()] == ["Jordan Ellis"]
    assert fig.drafts_by_status == {
        DraftStatus.DRAFT: 1,
        DraftStatus.IN_REVIEW: 1,
        DraftStatus.APPROVED: 1,
        DraftStatus.PUBLISHED: 1,
    }


def test_events_in_any_order_give_the_same_figures() -> None:
    events = sample_events()
    shuffled = events[:]
    random.Random(7).shuffle(shuffled)
    assert figures(sample_crisis(), shuffled, sample_drafts()) == figures(sample_crisis(), events, sample_drafts())


def test_missing_milestones_are_none() -> None:
    crisis = sample_crisis(status=CrisisStatus.ACTIVE, resolved_at=None, resolved_by=None, severity_id="sev3")
    events = [ev(0, "declared", "declared", SOFIA), ev(20, "war_room_created", "room")]  # no kickoff yet
    fig = figures(crisis, events, [])

    assert fig.times == KeyTimes(declared_at=T0)
    assert fig.times.to_war_room_ready is None
    assert fig.severity_path == ("sev3",)
    assert fig.escalations == ()
    assert fig.drafts_by_status == {}


def test_severity_path_through_escalations_and_back() -> None:
    events = [
        ev(0, "declared", "Sofia Chen declared CRISIS-0007 (SEV4, Troll or bad-faith account): (sev1) in title", SOFIA),
        ev(60, "escalated", "up", AMELIE, to_severity="sev3"),  # no from_severity: the declared text has it
        ev(120, "escalated", "up", AMELIE, from_severity="sev3", to_severity="SEV2", reason=None),
        ev(180, "deescalated", "down", AMELIE, from_severity="sev2", to_severity="sev3", reason="calmer"),
        ev(240, "escalated", "broken", AMELIE, from_severity="sev3"),  # no to_severity: timeline only
    ]
    fig = figures(sample_crisis(severity_id="sev3"), events, [])

    assert fig.severity_path == ("sev4", "sev3", "sev2", "sev3")
    assert [(c.kind, c.from_severity, c.to_severity, c.reason) for c in fig.escalations] == [
        ("escalated", "sev4", "sev3", ""),
        ("escalated", "sev3", "sev2", ""),
        ("deescalated", "sev2", "sev3", "calmer"),
    ]


def test_naive_times_are_taken_as_utc() -> None:
    naive = sample_crisis(declared_at=T0.replace(tzinfo=None), resolved_at=at(60).replace(tzinfo=None))
    events = [TimelineEvent(at=at(30).replace(tzinfo=None), kind="acknowledged", text="ack", actor=AMELIE)]

    times = figures(naive, events, []).times
    assert times.to_first_ack == timedelta(seconds=30)
    assert times.to_resolved == timedelta(minutes=1)


EXPECTED_SUMMARY = """\
CRISIS-0007 resolved: Cracked shades go viral
Scenario: Customer complaint
Severity: SEV3 → SEV2
Lead: Amélie Laurent
Took: 2h 05m
Declared by: Sofia Chen
Resolved by: Amélie Laurent
Resolution: Replacement lamps shipped; mentions back to normal.
Key times
War room ready  +45s
First acknowledgement  +2m 10s
First draft  +5m 00s
First reply approved  +12m 00s
First reply published  +38m 12s
Resolved  +2h 05m
Severity changes
09:20 SEV3 → SEV2 by Amélie Laurent: A journalist asked for comment
Replies
4 drafts: 1 draft, 1 in review, 1 approved, 1 published
#1 holding (EN) by Sofia Chen: published by Sofia Chen at 09:38 · link (https://x.com/maisonlumen/status/1862)
#2 update (EN) by Théo Marchand: approved by Amélie Laurent
#3 holding (FR) by Jordan Ellis: in review
#4 resolution (EN) by Sofia Chen: draft
People
Crisis lead: Amélie Laurent
Community manager: Sofia Chen, Théo Marchand
Press & PR: Nadia Haddad
Also took part: Jordan Ellis
---
Timeline (UTC)
09:00 Sofia Chen: Sofia Chen declared CRISIS-0007 (SEV3, Customer complaint): Cracked shades go viral
09:00 crisisbot: War room #crisis-2026-11-25-cracked-shades ready
09:00 crisisbot: Invited Amélie Laurent, Théo Marchand
09:00 crisisbot: Kickoff and playbook posted; paged Amélie Laurent
09:00 crisisbot: Announced in #crisis-announcements
… 31 more in the export
10:35 Jordan Ellis: Mentions in the last 3 min: 20
10:38 Théo Marchand: Mentions in the last 3 min: 18
10:40 Sofia Chen: Sofia Chen drafted a resolution reply (draft #4)
10:41 Jordan Ellis: Mentions in the last 3 min: 16
10:44 Théo Marchand: Mentions in the last 3 min: 14
10:45 Nadia Haddad: Filed from the thread
10:47 Jordan Ellis: Mentions in the last 3 min: 12
10:50 Amélie Laurent: Amélie Laurent is the lead again
11:04 Amélie Laurent: Mentions back to the usual level
11:05 Amélie Laurent: Amélie Laurent resolved CRISIS-0007: Replacement lamps shipped; mentions back to normal.
Durations count from the declaration, 2026-11-25 09:00 UTC."""


def test_summary_message_text() -> None:
    events = sample_events()
    assert len(events) >= 40
    message = summary_message(
        sample_plan(), sample_crisis(), events, sample_drafts(), now=at(9000), limits=SLACK_LIMITS
    )

    assert message.plain_text() == EXPECTED_SUMMARY
    assert message.summary == "CRISIS-0007 resolved after 2h 05m: Cracked shades go viral"
    assert message.mentions == ()  # a record: nobody is pinged again


def test_short_timelines_are_shown_whole_and_links_kept() -> None:
    events = sample_events()[:15]
    message = summary_message(sample_plan(), sample_crisis(), events, [], now=at(9000), limits=SLACK_LIMITS)
    text = message.plain_text()

    timeline = text.split("Timeline (UTC)\n")[1].splitlines()[:-1]
    assert len(timeline) == 15
    assert "more in the export" not in text
    assert "09:04 Sofia Chen: The original post has 2,000 likes · link (https://acme.slack.com/p1)" in timeline
    assert "No reply drafted." in text
    links = [s for b in message.blocks if isinstance(b, Paragraph) for ln in b.lines for s in ln if isinstance(s, Link)]
    assert [link.url for link in links] == ["https://acme.slack.com/p1"]


def test_open_crisis_summary_and_long_text_stay_within_limits() -> None:
    crisis = sample_crisis(
        status=CrisisStatus.ACTIVE, resolved_at=None, resolved_by=None, resolution_summary=None, title="x" * 400
    )
    events = [ev(0, "note", "word " * 2000, SOFIA)]
    message = summary_message(sample_plan(), crisis, events, [], now=at(3 * 3600 + 61), limits=SLACK_LIMITS)
    text = message.plain_text()

    header = message.blocks[0]
    assert isinstance(header, Header)
    assert header.text.startswith("CRISIS-0007 still open: xxx")
    assert len(header.text) == 150
    assert "Open for: 3h 01m" in text
    assert "Resolved  —" in text
    assert "First reply published  —" in text
    assert max(len(row) for row in text.splitlines()) < 400
