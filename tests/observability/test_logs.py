"""JSON and readable log lines, and the context that follows a request into its tasks."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.observability.logs import FORMAT_ENV, configure, current_context, log_context


@pytest.fixture
def root_handlers() -> Iterator[None]:
    """``configure`` replaces the root handlers (pytest's capture included): put them back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    """Every line must be one JSON object: a collector reads them one line at a time."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_the_context_inside_it_and_not_outside(root_handlers: None) -> None:
    out = io.StringIO()
    configure("json", level="INFO", stream=out)
    log = logging.getLogger("bot.test")
    log.info("before")
    with log_context(platform="slack", request_id="r-1"):
        with log_context(crisis=42, command="start"):
            log.info("declaring %s", "CRISIS-0042")
        log.warning("after the inner block", extra={"attempt": 2})
    log.info("after")
    before, inner, outer, after = lines(out)
    assert set(before) == {"time", "level", "logger", "message"}
    assert inner == {
        "time": inner["time"],
        "level": "INFO",
        "logger": "bot.test",
        "message": "declaring CRISIS-0042",
        "platform": "slack",
        "request_id": "r-1",
        "crisis": 42,
        "command": "start",
    }
    assert str(inner["time"]).endswith("+00:00")
    assert (outer["platform"], outer["attempt"], "crisis" in outer) == ("slack", 2, False)
    assert set(after) == {"time", "level", "logger", "message"}


def test_an_exception_stays_inside_its_json_line(root_handlers: None) -> None:
    out = io.StringIO()
    configure("json", stream=out)
    with log_context(crisis=7):
        try:
            raise KeyError("multi\nline")
        except KeyError:
            logging.getLogger("bot.test").exception("step failed\nbadly")
    assert len(out.getvalue().splitlines()) == 1
    [line] = lines(out)
    assert line["message"] == "step failed\nbadly"
    assert line["exc_type"] == "KeyError"
    assert "Traceback (most recent call last)" in str(line["exception"])
    assert line["crisis"] == 7


def test_readable_stays_the_default_and_shows_the_context(root_handlers: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(FORMAT_ENV, raising=False)
    out = io.StringIO()
    configure(stream=out)
    log = logging.getLogger("bot.test")
    log.warning("plain")
    with log_context(platform="teams", crisis=3):
        log.warning("about a crisis")
    plain, about = out.getvalue().splitlines()
    assert plain.endswith(" WARNING bot.test: plain")
    assert about.endswith(" WARNING bot.test: about a crisis [crisis=3 platform=teams]")


def test_the_environment_chooses_and_a_typo_is_refused(root_handlers: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FORMAT_ENV, "JSON")
    out = io.StringIO()
    configure(stream=out)
    logging.getLogger("bot.test").warning("hello")
    assert lines(out)[0]["message"] == "hello"
    with pytest.raises(ValueError, match=f"{FORMAT_ENV} must be one of readable, json, not 'jsonl'"):
        configure("jsonl")


def test_configure_twice_prints_each_line_once(root_handlers: None) -> None:
    first, second = io.StringIO(), io.StringIO()
    configure("json", stream=first)
    configure("json", stream=second)
    logging.getLogger("bot.test").warning("once")
    assert (first.getvalue(), len(lines(second))) == ("", 1)


async def test_tasks_started_in_a_context_keep_it_and_others_do_not_see_it(root_handlers: None) -> None:
    """The work after Slack's ack runs in a task: its lines must still name the request."""
    out = io.StringIO()
    configure("json", level="INFO", stream=out)
    log = logging.getLogger("bot.test")
    started = asyncio.Event()

    async def after_the_ack() -> None:
        await started.wait()
        log.info("background step")

    async def unrelated() -> None:
        await started.wait()
        log.info("unrelated")

    other = asyncio.create_task(unrelated())
    with log_context(request_id="r-9", platform="teams"):
        work = asyncio.create_task(after_the_ack())
    assert current_context() == {}
    started.set()
    await asyncio.gather(work, other)
    by_message = {str(line["message"]): line for line in lines(out)}
    assert by_message["background step"]["request_id"] == "r-9"
    assert "request_id" not in by_message["unrelated"]
