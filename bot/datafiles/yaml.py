"""Load YAML data files so that every problem can be reported as ``file:line: key.path: fix``.

PyYAML forgets where a value came from and silently keeps the last of two duplicate keys. A plan
is edited by hand under stress, so we compose the node tree ourselves: it gives each key path its
line, and lets us refuse duplicates instead of dropping one of them without a word.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

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
    """Parse ``path``; raise DataFileError for unreadable files, bad YAML and duplicate keys."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        fix = f"create it, or point to the right file ({path.resolve()})"
        raise DataFileError([DataIssue(path, (), "file not found", fix)]) from None
    except (OSError, UnicodeDecodeError) as exc:
        issue = DataIssue(path, (), f"cannot read the file: {exc}", "save it as UTF-8 text")
        raise DataFileError([issue]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise DataFileError([_syntax_issue(path, exc)]) from None
    doc = YamlDocument(path, None)
    if node is None:
        return doc
    issues: list[DataIssue] = []
    _index(node, (), doc, issues)
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
    elif "alias" in problem:
        fix = "define the &anchor above the line that uses *anchor, or remove the '*'"
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


_FIXES = {
    "missing": "add this key",
    "extra_forbidden": "remove this key or check its spelling",
    "string_type": "write a text value (quote it if it looks like a number or yes/no)",
    "list_type": "write a list, e.g. [a, b] or one '- item' per line",
    "dict_type": "write a mapping of 'key: value' lines",
    "model_type": "write a mapping of 'key: value' lines",
    "model_attributes_type": "write a mapping of 'key: value' lines",
    "int_type": "write a whole number",
    "int_parsing": "write a whole number",
    "int_from_float": "write a whole number",
    "bool_type": "write true or false",
    "bool_parsing": "write true or false",
    "string_pattern_mismatch": "use only the characters the pattern allows",
    "string_too_short": "write a non-empty value",
    "string_too_long": "shorten it",
    "too_short": "add at least one entry",
    "too_long": "remove some entries",
    "greater_than_equal": "write a larger number",
    "greater_than": "write a larger number",
    "less_than_equal": "write a smaller number",
    "less_than": "write a smaller number",
}


def validation_issues(
    doc: YamlDocument,
    error: ValidationError,
    prefix: Loc = (),
    *,
    model: type[BaseModel] | None = None,
) -> list[DataIssue]:
    """Turn a pydantic error into file/line/key issues with a fix for each.

    Pass the validated ``model`` to get a did-you-mean for misspelt keys: a typo such as
    ``emial`` is the most common mistake in a hand-edited file.
    """
    issues = []
    for err in error.errors(include_url=False):
        raw = tuple(p for p in err["loc"] if not _is_internal(p))
        ctx = err.get("ctx") or {}
        message = err["msg"]
        fix = _FIXES.get(err["type"], "check this value against the example file")
        if raw and raw[-1] == "[key]":
            # pydantic marks a bad dict key with a '[key]' suffix; point at the key itself
            raw = raw[:-1]
            message = f"the id '{raw[-1] if raw else ''}' is not valid: {message}"
            if err["type"] == "string_pattern_mismatch":
                fix = "rename it: start with a lowercase letter; use a-z, 0-9, '-' and '_'"
        elif err["type"] == "string_type" and isinstance(err.get("input"), dict):
            # The classic: an unquoted "word: more words" line is read as a key and value.
            fix = "the text contains ': ' so YAML read it as a key; wrap the whole text in quotes"
        elif err["type"] == "string_pattern_mismatch" and "pattern" in ctx:
            fix = f"match the pattern {ctx['pattern']}"
        elif err["type"] == "extra_forbidden" and model is not None and raw:
            known = _keys_at(model, raw[:-1])
            if known is not None:
                fix = f"remove this key or fix its spelling: {did_you_mean(str(raw[-1]), known)}"
        issues.append(doc.issue((*prefix, *raw), message, fix))
    return issues


def _is_internal(part: object) -> bool:
    # pydantic inserts discriminator/function names into locations; they mean nothing in a file
    return isinstance(part, str) and part.startswith("function-")


def _keys_at(model: type[BaseModel], loc: Loc) -> list[str] | None:
    """The keys allowed in the mapping at ``loc`` of ``model``, if it is a model's mapping."""
    tp: Any = model
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            info = tp.model_fields.get(part) if isinstance(part, str) else None
            if info is None:
                return None
            tp = info.annotation
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        elif get_origin(tp) is list:
            tp = get_args(tp)[0]
        else:
            return None
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return None


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None`` down to X."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin is Union or origin is types.UnionType:
            rest = [arg for arg in get_args(tp) if arg is not type(None)]
            if len(rest) != 1:
                return tp
            tp = rest[0]
        else:
            return tp


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A short 'use one of' suggestion that names the closest choice first."""
    options = sorted(choices)
    close = difflib.get_close_matches(word, options, n=1)
    listing = ", ".join(options) if options else "(none defined)"
    return f"did you mean '{close[0]}'? Known: {listing}" if close else f"use one of: {listing}"
