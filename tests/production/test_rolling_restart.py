"""A rolling restart under steady commands loses nothing: two real `serve` replicas on one
PostgreSQL, each stopped by SIGTERM and replaced in turn while commands keep coming through a load
balancer (see bench/rolling_restart.py, which runs the same for 5 minutes and prints figures)."""

from __future__ import annotations

import pytest

from bench.rolling_restart import run
from tests.storage.fixtures import PgServer


@pytest.mark.postgres
async def test_a_rolling_restart_fails_no_ack_loses_no_timer_and_duplicates_nothing(pg_server: PgServer) -> None:
    # 66 s: the first pages (1-minute timeouts) come due after both replicas were replaced
    outcome = await run(minutes=1.1, rate=2.0, pg_url=pg_server.base.render_as_string(hide_password=False))
    tally = outcome.tally
    assert tally.restarts >= 2, "both replicas were replaced"
    assert tally.failed == []
    assert len(tally.acks) > 100
    assert outcome.unanswered == 0
    assert outcome.found["crises"] == len(tally.declared)
    assert outcome.found["steps not done"] == 0
    assert outcome.found["page climbs"] > 0, "pages came due during the run"
    assert outcome.found["timers lost"] == 0
    assert outcome.found["leases left"] == 0
    assert outcome.duplicated == {}
