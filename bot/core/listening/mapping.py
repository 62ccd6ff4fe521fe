"""From a tool's item to a :class:`Mention`, through its source's mapping.

Every error names the field as the *sender* wrote it (``user.followers_count``, not our
``author.followers``): the person fixing the integration reads their own payload, not ours.
JSON items are checked strictly (``"1200"`` is not a follower count: a tool that sends it has a
bug worth hearing about); items read from a CSV file are text by nature, so they are converted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from bot.core.model.mentions import IntakeRefused, Mention, Rejected
from bot.core.plan.sources import SourceMapping

MAX_TEXT = 20_000
_MISSING = object()


def _instant(value: object) -> object:
    """ISO 8601 text or unix seconds; a time without an offset is read as UTC (most exports)."""
    if isinstance(value, bool):
        return value  # let validation refuse it
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str) and value.strip().isdigit():
        return datetime.fromtimestamp(int(value), UTC)  # unix seconds, as text in a CSV
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("should be a date and time like 2026-12-03T10:00:00Z") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


Instant = Annotated[datetime, BeforeValidator(_instant)]
Count = Annotated[int, Field(ge=0)]


class _Author(BaseModel):
    handle: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=300)
    followers: Count | None = None
    verified: bool | None = None


class _Metrics(BaseModel):
    reach: Count | None = None
    likes: Count | None = None
    reposts: Count | None = None
    replies: Count | None = None


class _Generic(BaseModel):
    """The generic mention JSON; fields a tool adds beyond these are ignored, not refused."""

    model_config = ConfigDict(extra="ignore")

    network: str = Field(min_length=1, max_length=40)
    id: str | int
    text: str = Field(max_length=MAX_TEXT)
    created_at: Instant
    url: str | None = Field(default=None, max_length=2000)
    author: _Author | None = None
    lang: str | None = Field(default=None, max_length=20)
    metrics: _Metrics | None = None
    in_reply_to: str | int | None = None
    deleted: bool | None = None


def items_of(body: Mapping[str, Any], source: SourceMapping, limit: int) -> list[Any]:
    """The mentions of a request body: the list at the source's ``batch`` path, or the body itself."""
    found = lookup(body, source.batch)
    if found is _MISSING:
        return [body]
    if not isinstance(found, list):
        raise IntakeRefused(source.batch, f"{source.batch} should be a list of mentions")
    if len(found) > limit:
        raise IntakeRefused(
            source.batch, f"a batch holds at most {limit} mentions and this one has {len(found)}: send it in parts"
        )
    return found


def lookup(item: Any, path: str) -> Any:
    """The value at a dotted path (``user.name``, ``media.0.url``), or ``_MISSING``. A flat key
    spelt like the path (a CSV column ``author.handle``) is found too."""
    if isinstance(item, Mapping) and path in item:
        return item[path]
    value = item
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def to_generic(item: Mapping[str, Any], source: SourceMapping) -> dict[str, Any]:
    """The item rearranged into the generic shape (nested ``author`` and ``metrics``)."""
    out: dict[str, Any] = {}
    for target, value in [*source.set.items(), *((t, lookup(item, p)) for t, p in source.fields.items())]:
        if value is _MISSING or (value == "" and target not in ("text",)):
            continue
        head, _, tail = target.partition(".")
        if tail:
            out.setdefault(head, {})[tail] = value
        else:
            out[head] = value
    return out


def parse(item: object, index: int, source: SourceMapping, *, strict: bool) -> Mention | Rejected:
    """One item as a mention, or why it is refused (its first problem, named as the sender wrote it)."""
    if not isinstance(item, Mapping):
        return Rejected(index, "", "a mention should be a JSON object")
    try:
        found = _Generic.model_validate(to_generic(item, source), strict=strict)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        target = ".".join(str(p) for p in first["loc"] if not isinstance(p, int))
        return Rejected(index, source.path_of(target), _message(first["type"], first["msg"]))
    author, metrics = found.author or _Author(), found.metrics or _Metrics()
    return Mention(
        network=found.network.strip().lower(),
        post_id=str(found.id),
        text=found.text,
        created_at=found.created_at,
        url=found.url,
        author_handle=author.handle,
        author_name=author.name,
        followers=author.followers,
        verified=bool(author.verified),
        lang=found.lang,
        reach=metrics.reach,
        likes=metrics.likes,
        reposts=metrics.reposts,
        replies=metrics.replies,
        in_reply_to=None if found.in_reply_to is None else str(found.in_reply_to),
        deleted=bool(found.deleted),
    )


def parse_all(
    items: Sequence[object], source: SourceMapping, *, strict: bool, first: int = 0
) -> tuple[list[Mention], list[Rejected]]:
    mentions: list[Mention] = []
    rejected: list[Rejected] = []
    for i, item in enumerate(items, start=first):
        outcome = parse(item, i, source, strict=strict)
        if isinstance(outcome, Mention):
            mentions.append(outcome)
        else:
            rejected.append(outcome)
    return mentions, rejected


def _message(kind: str, text: str) -> str:
    if kind == "missing":
        return "this field is required"
    return text.removeprefix("Value error, ")
