"""Fakes of external services that tests run in-process instead of reaching the network."""

from tests.fakes.slack_api import Call, FakeSlack, ThreadedFakeSlack
from tests.fakes.slack_state import SlackError, Workspace
from tests.fakes.waits import record

__all__ = ["Call", "FakeSlack", "SlackError", "ThreadedFakeSlack", "Workspace", "record"]
