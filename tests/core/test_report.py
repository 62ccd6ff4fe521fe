"""Response times across crises: medians per scenario and final severity, with missing values left out."""

from __future__ import annotations

from datetime import timedelta

from bot.core.messaging.reports import report_message
from bot.core.model.crisis import Crisis, CrisisStatus
from bot.core.model.drafts import Draft
from bot.core.model.events import TimelineEvent
from bot.core.reports.report import Median, ReportRow, median, report, report_markdown
from tests.core.test_summary import (
    AMELIE,
    SOFIA,
    at,
    ev,
    sample_crisis,
    sample_drafts,
    sample_events,
    sample_plan,
)

Record = tuple[Crisis, list[TimelineEvent], list[Draft]]


def record(
    number: int,
    scenario: str,
    severity: str,
    *,
    ready: float | None = None,
    ack: float | None = None,
    published: float | None = None,
    resolved: float | None = None,
) -> Record:
    """A crisis whose milestones come the given number of seconds after its declaration."""
    events = [ev(0, "declared", f"Sofia Chen declared CRISIS-{number:04d}", SOFIA)]
    if ready is not None:
        events += [ev(ready / 2, "war_room_created", "room"), ev(ready, "kickoff_posted", "kickoff")]
    if ack is not None:
        events.append(ev(ack, "acknowledged", "ack", AMELIE))
    if published is not None:
        events.append(ev(published, "draft_published", "published", SOFIA))
    crisis = sample_crisis(
        number=number,
        scenario_id=scenario,
        severity_id=severity,
        status=CrisisStatus.RESOLVED if resolved is not None else CrisisStatus.ACTIVE,
        resolved_at=at(resolved) if resolved is not None else None,
    )
    return crisis, events, []


def s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def test_median_of_odd_and_even_counts_leaves_missing_values_out() -> None:
    assert median([s(90), s(30), s(45)]) == Median(s(45), 3)
    assert median([s(60), None, s(180)]) == Median(s(120), 2)
    assert median([s(45), s(46)]) == Median(s(45.5), 2)
    assert median([None, None]) == Median(None, 0)
    assert median([]) == Median(None, 0)


def test_report_groups_by_scenario_and_final_severity() -> None:
    crises = [
        record(1, "complaint", "sev2", ready=30, ack=60, published=600, resolved=3600),
        record(2, "complaint", "sev2", ready=45, ack=180, resolved=7200),
        record(3, "complaint", "sev2", ready=120),  # still open, nobody acknowledged
        record(4, "complaint", "sev3", ready=50, resolved=1800),
        record(5, "troll", "sev4", ready=40, ack=30, published=300, resolved=900),
        (sample_crisis(), sample_events(), sample_drafts()),  # declared SEV3, escalated: counts at SEV2
    ]

    rows = report(crises)

    assert rows == [
        ReportRow(
            scenario_id="complaint",
            severity_id="sev2",
            count=4,
            to_war_room_ready=Median(s(45 + 45) / 2, 4),  # 30, 45, 45, 120
            to_first_ack=Median(s(130), 3),  # 60, 130, 180
            to_first_published=Median(s((600 + 2292) / 2), 2),
            to_resolution=Median(s(7200), 3),  # 3600, 7200, 7500
        ),
        ReportRow("complaint", "sev3", 1, Median(s(50), 1), Median(None, 0), Median(None, 0), Median(s(1800), 1)),
        ReportRow("troll", "sev4", 1, Median(s(40), 1), Median(s(30), 1), Median(s(300), 1), Median(s(900), 1)),
    ]


def test_rows_go_from_the_worst_severity_and_an_empty_report_is_empty() -> None:
    rows = report([record(1, "complaint", "sev3"), record(2, "complaint", "sev1"), record(3, "complaint", "sev10")])
    assert [r.severity_id for r in rows] == ["sev1", "sev3", "sev10"]
    assert report([]) == []


def test_report_message_and_markdown() -> None:
    rows = report(
        [
            record(1, "complaint", "sev2", ready=30, ack=60, published=600, resolved=3600),
            record(2, "complaint", "sev2", ready=60, ack=180, resolved=7200),
            record(3, "other", "sev3", ready=50),
        ]
    )
    plan = sample_plan()

    assert report_message(plan, rows).plain_text() == (
        "Crisis response times\n"
        "Customer complaint · SEV2 — 2 crises\n"
        "War room ready 45s (n=2) · First acknowledgement 2m 00s (n=2) · "
        "First reply published 10m 00s (n=1) · Resolved 1h 30m (n=2)\n"
        "other · SEV3 — 1 crisis\n"
        "War room ready 50s (n=1) · First acknowledgement — · First reply published — · Resolved —\n"
        "Medians since declaration over 3 crises, by final severity; n = crises that got there."
    )
    assert report_markdown(plan, rows) == (
        "# Crisis response times\n"
        "\n"
        "Medians since declaration, by scenario and final severity; n = crises that got there.\n"
        "\n"
        "| Scenario | Severity | Crises | War room ready | First acknowledgement | First reply published | Resolved |\n"
        "|---|---|---|---|---|---|---|\n"
        "| Customer complaint | SEV2 | 2 | 45s (n=2) | 2m 00s (n=2) | 10m 00s (n=1) | 1h 30m (n=2) |\n"
        "| other | SEV3 | 1 | 50s (n=1) | — | — | — |\n"
    )


def test_empty_report_says_so() -> None:
    plan = sample_plan()
    assert report_message(plan, []).plain_text() == "No crisis to report yet."
    assert report_markdown(plan, []) == "# Crisis response times\n\nNo crisis to report yet.\n"


def test_report_markdown_escapes_scenario_names() -> None:
    plan = sample_plan()
    scenarios = dict(plan.scenarios)
    scenarios["complaint"] = scenarios["complaint"].model_copy(update={"name": "A | B *C*"})
    plan = plan.model_copy(update={"scenarios": scenarios})
    text = report_markdown(plan, report([record(1, "complaint", "sev2", ready=30)]))
    assert r"| A \| B \*C\* | SEV2 | 1 |" in text
