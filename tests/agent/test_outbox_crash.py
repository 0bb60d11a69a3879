"""The crash test: a real `salesagent serve` killed with SIGKILL in the middle of WhatsApp
bursts loses no reply and sends none twice, and the next process delivers what the dead one
left within seconds, not when its 60-second lease runs out (tests/fixtures/crash_burst.py).

Five kills on SQLite; three on PostgreSQL, to keep the suite's time bounded (each round is a
process start). `bench/crash_deliveries.py` runs more."""

from __future__ import annotations

import pytest
from fixtures.crash_burst import crash_run

RESTART_SECONDS = 10.0
"""What the replies left by a killed process may wait after the restart (the lease is 60 s)."""


@pytest.mark.parametrize(
    ("shop_url", "kills"),
    [("sqlite", 5), pytest.param("postgres", 3, marks=pytest.mark.postgres)],
    indirect=["shop_url"],
)
async def test_no_reply_is_lost_or_sent_twice_when_the_server_is_killed_mid_burst(
    shop_url: str, kills: int
) -> None:
    figures = await crash_run(shop_url, kills=kills, chats=8)

    print("\n".join(figures.lines()))
    assert figures.kills == kills and figures.messages == 8 * kills
    assert all(n >= 1 for n in figures.in_flight_at_kill)  # each kill landed mid-send
    assert figures.lost == 0
    assert figures.duplicated == 0
    assert max(figures.settled_after_restart) < RESTART_SECONDS
