"""War-room names: readable, sortable by date, unique, and valid on every platform.

Names use what every platform accepts (lowercase a-z, 0-9, '-' and '_'); how long they may be is
the platform's call (:class:`bot.core.ports.ChatLimits`: 80 for Slack, 50 for Teams). Accents are
folded (``Défaut`` -> ``defaut``) rather than dropped, so a French title still reads well in the
channel list.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime

_NOT_ALLOWED = re.compile(r"[^a-z0-9]+")
_LIGATURES = str.maketrans({"ß": "ss", "œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "þ": "th"})


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by '-'; letters NFKD cannot split (ß, œ, æ, ø) are spelled out."""
    folded = unicodedata.normalize("NFKD", text.lower().translate(_LIGATURES))
    ascii_only = folded.encode("ascii", "ignore").decode("ascii")
    return _NOT_ALLOWED.sub("-", ascii_only).strip("-")


def base_name(prefix: str, declared_at: datetime, title: str, max_len: int) -> str:
    stem = "-".join(p for p in (prefix, declared_at.strftime("%Y%m%d")) if p)
    slug = slugify(title) or "incident"
    return _trim(f"{stem}-{slug}", max_len)


def candidates(base: str, max_len: int, tries: int = 50) -> Iterator[str]:
    """``base``, then ``base-2``, ``base-3`` ... each cut to fit ``max_len``."""
    yield _trim(base, max_len)
    for n in range(2, tries + 1):
        suffix = f"-{n}"
        yield _trim(base, max_len - len(suffix)) + suffix


def is_valid(name: str, max_len: int) -> bool:
    return 0 < len(name) <= max_len and re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name) is not None


def _trim(name: str, max_len: int) -> str:
    return name[:max_len].rstrip("-_")
