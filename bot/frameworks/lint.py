"""The checks a reviewer would make on a draft before it goes out, each with its reason.

The lint runs on the text a person has edited, not on the template, because that is what will be
posted: a placeholder left in, a reply grown past the limit, a canned phrase typed back in by
habit. It never blocks anything; it lists what to look at. Matching ignores case and accents, as
people type "desoles" for "désolés" in a hurry, and curly or straight apostrophes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.drafts.frameworks import LintFinding, Network, TalkingPoint

# A visible marker such as [ORDER NUMBER]: the same alphabet as Variable.placeholder.
MARKER = re.compile(r"\[[A-Z0-9][A-Z0-9 '’-]{0,39}\]")
# Links, e-mail addresses, handles and hashtags are not prose: their case is not shouting.
_NOT_PROSE = re.compile(r"\S+://\S+|\S+@\S+|[@#]\w+")
_WORD = re.compile(r"[^\W\d_]+")
SHOUT_MIN_LETTERS = 4
SHOUT_RATIO = 0.3
# Below this many letters the share of capitals means nothing ("OK", "MP").
SHOUT_RATIO_MIN_LETTERS = 20


@dataclass(frozen=True)
class AvoidPhrase:
    """A phrase that makes the brand sound like a machine, and why, in a few words."""

    phrase: str
    why: str


@dataclass(frozen=True)
class Style:
    """House style shared by every framework: phrases to avoid per language, allowed capitals."""

    avoid: Mapping[str, Sequence[AvoidPhrase]] = field(default_factory=dict)
    allow_caps: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LintRules:
    """Everything the lint needs for one framework, stage and language."""

    network: Network
    lang: str
    avoid: Sequence[AvoidPhrase]
    points: Sequence[TalkingPoint]
    allow_caps: frozenset[str] = frozenset()


def fold(text: str) -> str:
    """Lowercase, without accents, one kind of apostrophe and single spaces: for matching only."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'").replace("œ", "oe").replace("Œ", "oe"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def markers(text: str) -> list[str]:
    """The placeholder markers in ``text``, each once, in order of appearance."""
    return list(dict.fromkeys(MARKER.findall(text)))


def _phrase_pattern(phrase: str, *, whole_word: bool) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(part) for part in fold(phrase).split())
    return re.compile(rf"(?<!\w){body}" + (r"(?!\w)" if whole_word else ""))


def cue_present(folded_text: str, cues: Iterable[str]) -> bool:
    """Whether any cue starts a word of the text; so 'désolé' also covers 'désolés'."""
    return any(fold(cue) and _phrase_pattern(cue, whole_word=False).search(folded_text) for cue in cues)


def lint_text(text: str, rules: LintRules) -> list[LintFinding]:
    """All findings for ``text``, in the order a reviewer would fix them."""
    return [
        *_too_long(text, rules.network),
        *_placeholders(text),
        *_avoid_phrases(text, rules.avoid),
        *_shouting(text, rules.allow_caps),
        *_missing_points(text, rules.points, rules.lang),
    ]


def _too_long(text: str, network: Network) -> list[LintFinding]:
    size = network.length(text)
    if network.limit is None or size <= network.limit:
        return []
    over = size - network.limit
    message = f"{size} characters: {over} over the {network.limit}-character limit of {network.name}; cut {over}"
    return [LintFinding("too_long", message)]


def _placeholders(text: str) -> list[LintFinding]:
    return [
        LintFinding("placeholder", f"{marker} is still a placeholder: replace it with the real value or cut it")
        for marker in markers(text)
    ]


def _avoid_phrases(text: str, avoid: Sequence[AvoidPhrase]) -> list[LintFinding]:
    """Each avoided phrase found, longest first, so one match is not reported twice over."""
    folded = fold(text)
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, AvoidPhrase]] = []
    for item in sorted(avoid, key=lambda a: len(fold(a.phrase)), reverse=True):
        if not fold(item.phrase):
            continue
        for match in _phrase_pattern(item.phrase, whole_word=True).finditer(folded):
            start, end = match.span()
            if not any(start < b and a < end for a, b in taken):
                taken.append((start, end))
                found.append((start, item))
                break
    return [
        LintFinding("avoid_phrase", f"“{item.phrase}”: {item.why}") for _, item in sorted(found, key=lambda f: f[0])
    ]


def _shouting(text: str, allow_caps: frozenset[str]) -> list[LintFinding]:
    prose = _NOT_PROSE.sub(" ", MARKER.sub(" ", text))
    loud = [w for w in _WORD.findall(prose) if len(w) >= SHOUT_MIN_LETTERS and w.isupper() and w not in allow_caps]
    if loud:
        words = ", ".join(dict.fromkeys(loud))
        return [LintFinding("shouting", f"capitals read as shouting: {words}; write them in normal case")]
    letters = [c for c in prose if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    if len(letters) >= SHOUT_RATIO_MIN_LETTERS and upper / len(letters) > SHOUT_RATIO:
        share = round(100 * upper / len(letters))
        return [LintFinding("shouting", f"{share}% of the letters are capitals, which reads as shouting")]
    return []


def _missing_points(text: str, points: Sequence[TalkingPoint], lang: str) -> list[LintFinding]:
    folded = fold(text)
    findings = []
    for point in points:
        cues = point.cues.get(lang, [])
        if point.required and cues and not cue_present(folded, cues):
            what = point.text.get(lang) or point.id
            examples = ", ".join(f"“{cue}”" for cue in cues[:3])
            findings.append(
                LintFinding("missing_point", f"talking point '{point.id}' not made: {what} (e.g. {examples})")
            )
    return findings
