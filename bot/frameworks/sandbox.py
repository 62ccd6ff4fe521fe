"""The Jinja2 environment that framework templates run in, and the static checks made on them.

Templates are edited by the comms team, not by developers, and values come from chat, so two
walls are kept. Values are only ever *inserted* (never parsed as template code), and templates
run in Jinja's sandbox with no globals, so a template cannot reach Python internals. The static
check reports the obvious attempts (``x.__class__``) when the library loads, on a quiet day,
instead of as a failed draft mid-crisis; the sandbox catches the rest at render time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

# Plenty for a social post; stops `{{ 'x' * 10**9 }}` from eating the bot's memory.
MAX_REPEAT = 10_000
MAX_EXPONENT = 100


class FrameworkSandbox(SandboxedEnvironment):
    """Jinja's sandbox, also refusing huge string repeats and powers (a denial of service)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is too large for a message template")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(count, int) and count * len(seq) > MAX_REPEAT:
                    raise SecurityError("a repeated value this long has no place in a message")
        return super().call_binop(context, operator, left, right)


def make_environment() -> FrameworkSandbox:
    """The environment every framework template is compiled in.

    Plain text, so no autoescape (HTML entities would show up in a tweet). StrictUndefined, so a
    variable the renderer did not supply fails loudly instead of leaving a silent blank. No
    globals (range, cycler, lipsum...): templates only need the framework's variables.
    """
    env = FrameworkSandbox(
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.clear()
    return env


def unsafe_lookups(ast: nodes.Template) -> Iterator[tuple[str, int]]:
    """Attribute or item lookups of private names (``x.__class__``, ``x['_y']``), with their line."""
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        name: object = None
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value
        if isinstance(name, str) and name.startswith("_"):
            yield name, node.lineno


def variable_line(ast: nodes.Template, name: str) -> int | None:
    """The first line where the template reads ``name``, to point the reader at it."""
    for node in ast.find_all(nodes.Name):
        if node.name == name and node.ctx == "load":
            return node.lineno
    return None
