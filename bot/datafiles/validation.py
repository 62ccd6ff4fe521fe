"""Turn pydantic's errors into ``file:line: key.path`` issues, each with the fix to type.

pydantic says what is wrong in terms of the model; the person editing the file needs the line,
the key as it is written there, and what to write instead (with a did-you-mean for a misspelt
key, the most common slip in a hand-edited file).
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from bot.datafiles.yaml import DataIssue, Loc, YamlDocument, did_you_mean

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
