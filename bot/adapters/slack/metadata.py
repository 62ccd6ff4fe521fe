"""A form's ``private_metadata``: a small dataclass as JSON, read back leniently.

Slack hands the string back untouched, but a form opened by an older version of the bot may
still be submitted after a deploy: unknown keys are dropped and a broken value gives the
defaults, never a crash.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import Any, TypeVar

T = TypeVar("T")
MAX_METADATA = 3000  # Slack's limit


def dump(context: Any) -> str:
    text = json.dumps(asdict(context), separators=(",", ":"))
    if len(text) > MAX_METADATA:
        raise ValueError("form metadata over Slack's 3000 characters")
    return text


def load(cls: type[T], raw: str | None) -> T:
    try:
        data = json.loads(raw or "{}")
    except json.JSONDecodeError:
        data = {}
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in data.items() if k in known}) if isinstance(data, dict) else cls()
