"""The mentions section of the export, in Markdown and JSON: volume over time, peak rate, how early
the first matching mention came before the declaration, and the top posts with their content
hashes (the evidence, as stored)."""

from __future__ import annotations

from typing import Any

from bot.core.listening.report import MentionsReport
from bot.core.messaging.text import duration
from bot.core.model.mentions import Mention


def _iso(mentions_at: Any) -> str | None:
    return mentions_at.strftime("%Y-%m-%dT%H:%M:%SZ") if mentions_at is not None else None


def _escape(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def mentions_markdown(report: MentionsReport) -> list[str]:
    early = duration(report.known_early_by) + " before the declaration" if report.known_early_by else "—"
    out = [
        "## Mentions",
        "",
        f"Topics: {', '.join(report.topics)} · {report.total} mentions · peak {report.peak_per_minute:.1f}/min",
        "",
        f"First matching mention: {_iso(report.first_at) or '—'} ({early})",
        "",
        "| From (UTC) | Mentions |",
        "| --- | --- |",
        *(f"| {_iso(at)} | {count} |" for at, count in report.volume),
    ]
    if report.top:
        out += ["", "| Post | Reach | Said | SHA-256 |", "| --- | --- | --- | --- |"]
        out += [
            f"| {_escape(m.url or m.post_id)} | {m.reach if m.reach is not None else '—'} | "
            f"{_escape(m.text)[:200]} | {m.content_hash} |"
            for m in report.top
        ]
    return out


def _post(m: Mention) -> dict[str, Any]:
    return {
        "network": m.network,
        "post_id": m.post_id,
        "url": m.url,
        "author": m.author_handle,
        "reach": m.reach,
        "text": m.text,
        "deleted": m.deleted,
        "content_hash": m.content_hash,
    }


def mentions_json(report: MentionsReport) -> dict[str, Any]:
    return {
        "topics": report.topics,
        "total": report.total,
        "first_at": _iso(report.first_at),
        "known_early_by_seconds": int(report.known_early_by.total_seconds()) if report.known_early_by else None,
        "peak_per_minute": round(report.peak_per_minute, 2),
        "volume": [{"from": _iso(at), "mentions": count} for at, count in report.volume],
        "span_seconds": int(report.span.total_seconds()),
        "top_posts": [_post(m) for m in report.top],
    }
