"""Load YAML data files so that every problem can be reported as ``file:line: key.path: fix``.

PyYAML forgets where a value came from and silently keeps the last of two duplicate keys. A plan
is edited by hand under stress, so we compose the node tree ourselves: it gives each key path its
line, and lets us refuse duplicates instead of dropping one of them without a word.

Anchors and aliases (``&name``, ``*name``) are refused outright, before anything is built from
them: a few lines of nested aliases expand to billions of values (the "billion laughs"), which
would hang ``check-plan`` and the bot's start-up. Our files are short; spelling a value out
twice costs nothing, and a file that reads the same as what the bot sees is easier to check.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class DataIssue:
    """One problem in one data file, with the fix a person should make."""

    file: Path
    loc: Loc
    message: str
    fix: str = ""
    line: int | None = None

    def render(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        key = format_loc(self.loc)
        text = f"{where}: {key}: {self.message}" if key else f"{where}: {self.message}"
        return f"{text}\n    fix: {self.fix}" if self.fix else text


class DataFileError(Exception):
    """One or more data files are invalid; ``issues`` says where and how to fix them."""

    def __init__(self, issues: Sequence[DataIssue]) -> None:
        self.issues = list(issues)
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(issue.render() for issue in self.issues)


def format_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class YamlDocument:
    """A parsed YAML file: its data, and the line (1-based) of every key path."""

    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        """The line of ``loc`` or of its nearest ancestor that exists in the file."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return None

    def issue(self, loc: Loc, message: str, fix: str = "") -> DataIssue:
        return DataIssue(self.path, tuple(loc), message, fix, self.line_of(loc))


def load_yaml(path: Path) -> YamlDocument:
    """Parse ``path``; raise DataFileError for unreadable files, bad YAML, aliases and duplicate keys."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        fix = f"create it, or point to the right file ({path.resolve()})"
        raise DataFileError([DataIssue(path, (), "file not found", fix)]) from None
    except (OSError, UnicodeDecodeError) as exc:
        issue = DataIssue(path, (), f"cannot read the file: {exc}", "save it as UTF-8 text")
        raise DataFileError([issue]) from None
    try:
        node = _compose(text)
    except _AnchorFound as found:
        raise DataFileError([found.issue(path)]) from None
    except yaml.YAMLError as exc:
        raise DataFileError([_syntax_issue(path, exc)]) from None
    except RecursionError:
        raise DataFileError([_too_deep(path)]) from None
    doc = YamlDocument(path, None)
    if node is None:
        return doc
    issues: list[DataIssue] = []
    try:
        _index(node, (), doc, issues)
    except RecursionError:
        raise DataFileError([_too_deep(path)]) from None
    if issues:
        raise DataFileError(issues)
    # Build the data from the node we already checked (not a second parse), so a tag such as
    # `!!int abc` that only fails at this step is still reported with its line, not as a crash.
    try:
        doc.data = _construct(node)
    except _CONSTRUCT_ERRORS as exc:
        bad = _first_unconstructible(node) or node
        issue = DataIssue(
            path,
            (),
            f"cannot read a value: {getattr(exc, 'problem', None) or exc}",
            "remove the '!' tag in front of the value, or quote the value",
            bad.start_mark.line + 1,
        )
        raise DataFileError([issue]) from None
    return doc


def _too_deep(path: Path) -> DataIssue:
    return DataIssue(
        path, (), "lists or mappings are nested too deeply to read", "a crisisbot file needs a few levels at most"
    )


class _AnchorFound(Exception):
    """The first anchor or alias in a file, met while composing it, before it is expanded."""

    def __init__(self, event: yaml.NodeEvent) -> None:
        super().__init__(event.anchor)
        self.event = event

    def issue(self, path: Path) -> DataIssue:
        found = ("*" if isinstance(self.event, yaml.AliasEvent) else "&") + str(self.event.anchor)
        message = f"YAML anchors and aliases (&name, *name) are not allowed in crisisbot files (found {found})"
        fix = "write the values out in full; quote a text that starts with '&' or '*'"
        mark = self.event.start_mark
        return DataIssue(path, (), message, fix, mark.line + 1 if mark is not None else None)


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader, stopping at the first anchor or alias.

    The check is made on each event before its node is composed, so a file is refused after
    reading it once, however much its aliases would expand to.
    """

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
        if isinstance(event, yaml.NodeEvent) and event.anchor is not None:
            raise _AnchorFound(event)
        return super().compose_node(parent, index)


def _compose(text: str) -> yaml.Node | None:
    loader = _NoAliasLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


# What PyYAML's safe constructor raises for tagged values it cannot build (`!!int abc`,
# `!!timestamp x`, `!custom`): not only YAMLError, so each is listed.
_CONSTRUCT_ERRORS = (yaml.YAMLError, ValueError, TypeError, AttributeError, OverflowError)


def _construct(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _first_unconstructible(node: yaml.Node) -> yaml.Node | None:
    """The first scalar (in file order) that PyYAML cannot turn into a value."""
    if isinstance(node, yaml.ScalarNode):
        try:
            _construct(node)
        except _CONSTRUCT_ERRORS:
            return node
        return None
    children: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            children += [key_node, value_node]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    for child in children:
        bad = _first_unconstructible(child)
        if bad is not None:
            return bad
    return None


def _syntax_issue(path: Path, exc: yaml.YAMLError) -> DataIssue:
    """Report a YAML syntax error at the line where PyYAML noticed it, and where it began."""
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    message = f"not valid YAML: {problem}"
    if context and context_mark is not None and context_mark.line + 1 != line:
        # e.g. an unclosed quote is only noticed at the end of the file; say where it opened
        message += f" ({context} started on line {context_mark.line + 1})"
    if "'\\t'" in problem:
        fix = "indent with spaces, not tabs"
    elif "alias" in (context or "") or "anchor" in (context or ""):
        # `text: *wow*` or `- & more`: a leading '*' or '&' starts an alias or an anchor
        fix = "quote the text: a value starting with '*' or '&' is read as a YAML alias or anchor"
    else:
        fix = "check indentation and quoting on that line"
    return DataIssue(path, (), message, fix, line)


def _key_of(key_node: yaml.Node) -> str | int | None:
    """The key as the loaded data (and so pydantic) will see it, or None if it cannot be a key.

    Comparing constructed keys, not their text, catches duplicates that PyYAML would merge
    silently (``1:`` and ``01:``, or ``1:`` and ``yes:``, which both load as the number 1).
    """
    if not isinstance(key_node, yaml.ScalarNode):
        return None
    try:
        key = _construct(key_node)
    except _CONSTRUCT_ERRORS:
        return str(key_node.value)
    if isinstance(key, bool):
        return int(key)
    # pydantic reports keys of other types (None, floats, dates) by their text
    return key if isinstance(key, str | int) else str(key)


def _index(node: yaml.Node, loc: Loc, doc: YamlDocument, issues: list[DataIssue]) -> None:
    doc.lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str | int, int] = {}
        for key_node, value_node in node.value:
            key = _key_of(key_node)
            line = key_node.start_mark.line + 1
            if key is None:
                issues.append(
                    DataIssue(
                        doc.path,
                        loc,
                        "a key must be a plain word, not a list or a mapping",
                        "write the key as text, e.g. 'my_key:'",
                        line,
                    )
                )
                continue
            if key in seen:
                issues.append(
                    DataIssue(
                        doc.path,
                        (*loc, key),
                        f"duplicate key '{key_node.value}' (first defined on line {seen[key]})",
                        "keep one definition and give the other a different id",
                        line,
                    )
                )
                continue
            seen[key] = line
            doc.lines[(*loc, key)] = line
            _index(value_node, (*loc, key), doc, issues)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*loc, i), doc, issues)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A short 'use one of' suggestion that names the closest choice first."""
    options = sorted(choices)
    close = difflib.get_close_matches(word, options, n=1)
    listing = ", ".join(options) if options else "(none defined)"
    return f"did you mean '{close[0]}'? Known: {listing}" if close else f"use one of: {listing}"
