"""Read a request body strictly, once it is known to come from the platform.

Slack, Teams and the intake all post JSON (Slack sometimes inside a form); their SDKs index into it
on trust, so a body of the wrong shape fails deep inside them with a traceback. Refusing it here,
with a sentence that says what is wrong, turns that into a 400. Only what the bot and the SDK read
is checked, and where: platforms add fields all the time, and those must keep passing.

A shape is a type (``str``, ``int``, ``bool``, ``dict``, ``list``), a dict of the shapes of the
fields that matter, a one-element list for a list of that shape, or a tuple of alternatives.
``None`` (JSON null) fits every shape, since platforms send null for what does not apply, except
in a :class:`Filled` field, one an SDK indexes as soon as it is there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeAlias

Shape: TypeAlias = "type | dict[str, Shape] | list[Shape] | tuple[Shape, ...] | Filled"


@dataclass(frozen=True)
class Filled:
    """A field that, when there (or always, if ``required``), is neither null nor empty."""

    shape: Shape
    required: bool = False


class MalformedBody(ValueError):
    """What is wrong with a body, said without echoing it (it may be large, or someone's text)."""


def utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedBody("the body is not UTF-8") from None


def json_object(text: str, what: str = "the body") -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        raise MalformedBody(f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise MalformedBody(f"{what} is JSON but not an object")
    return value


def check_shape(value: Any, shape: Shape, path: str = "") -> None:
    """Raise :class:`MalformedBody` naming the first field that does not fit ``shape``."""
    where = path or "the body"
    if isinstance(shape, Filled):
        if value is None or value in ("", [], {}):
            raise MalformedBody(f"{where} is empty")
        check_shape(value, shape.shape, path)
    elif value is None:
        return
    elif isinstance(shape, tuple):
        if not any(_fits(value, alternative) for alternative in shape):
            raise MalformedBody(f"{where} is not what the platform sends")
    elif isinstance(shape, dict):
        if not isinstance(value, dict):
            raise MalformedBody(f"{where} should be an object")
        for key, field_shape in shape.items():
            field_path = f"{path}.{key}" if path else key
            if key in value:
                check_shape(value[key], field_shape, field_path)
            elif isinstance(field_shape, Filled) and field_shape.required:
                raise MalformedBody(f"{field_path} is missing")
    elif isinstance(shape, list):
        if not isinstance(value, list):
            raise MalformedBody(f"{where} should be a list")
        for index, item in enumerate(value):
            check_shape(item, shape[0], f"{path}[{index}]")
    elif not isinstance(value, shape) or (shape is int and isinstance(value, bool)):  # JSON has no bool ints
        raise MalformedBody(f"{where} should be {_NAMES.get(shape, shape.__name__)}")


def _fits(value: Any, shape: Shape) -> bool:
    try:
        check_shape(value, shape)
    except MalformedBody:
        return False
    return True


_NAMES: dict[type, str] = {str: "text", int: "a whole number", bool: "true or false", dict: "an object", list: "a list"}
