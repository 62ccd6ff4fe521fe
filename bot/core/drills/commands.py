"""The ``/crisis drill`` command: start a drill, or steer the one running (facilitators)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.core.model.errors import UsageError
from bot.core.plan.model import Plan

USAGE = "/crisis drill [scenario] [sev1..sev4] [--script NAME] [--speed N]  |  /crisis drill inject|pause|resume|end"
MAX_SPEED = 600.0


class DrillAction(StrEnum):
    INJECT = "inject"
    PAUSE = "pause"
    RESUME = "resume"
    END = "end"


@dataclass(frozen=True)
class DrillCommand:
    """Start a drill; nothing named: a platform with forms asks (the plan's scripts to choose from)."""

    scenario_id: str | None = None
    severity_id: str | None = None
    script: str | None = None
    speed: float | None = None
    ask: bool = False


@dataclass(frozen=True)
class DrillControlCommand:
    action: DrillAction
    text: str = ""


def parse_drill(
    args: list[str], rest: str, plan: Plan, severity: Callable[[str], str | None]
) -> DrillCommand | DrillControlCommand:
    if not args:
        return DrillCommand(ask=True)
    first = args[0].lower()
    if first in DrillAction.__members__.values():
        action = DrillAction(first)
        text = rest[len(args[0]) :].strip()
        if action is DrillAction.INJECT and not text:
            raise UsageError(
                "Say what happens: `/crisis drill inject <text>`.",
                hint="Example: /crisis drill inject A TV crew is outside the shop",
            )
        if action is not DrillAction.INJECT and text:
            raise UsageError(f"`drill {action.value}` takes nothing after it.", hint=f"Usage: {USAGE}")
        return DrillControlCommand(action, text)
    scenario_id = severity_id = script = None
    speed: float | None = None
    words = iter(args)
    for word in words:
        if word in ("--script", "--speed"):
            value = next(words, None)
            if value is None:
                raise UsageError(f"`{word}` needs a value.", hint=f"Usage: {USAGE}")
            if word == "--script":
                script = value.lower().removesuffix(".yaml")
            else:
                speed = _speed(value)
        elif scenario_id is None and (found := plan.scenario_for(word)) is not None:
            scenario_id = found
        elif severity_id is None and (found_severity := severity(word)) is not None:
            severity_id = found_severity
        else:
            raise UsageError(f"I don't know `{word[:40]}` in a drill command.", hint=f"Usage: {USAGE}")
    return DrillCommand(scenario_id, severity_id, script, speed)


def _speed(value: str) -> float:
    try:
        speed = float(value.lower().removesuffix("x"))
    except ValueError:
        speed = 0
    if not 0 < speed <= MAX_SPEED:
        raise UsageError(
            f"`--speed {value[:20]}` is not a speed I can run.",
            hint=f"Give a number from 1 (real time) to {MAX_SPEED:g}, e.g. --speed 6 runs a 60-minute drill in 10.",
        )
    return speed
