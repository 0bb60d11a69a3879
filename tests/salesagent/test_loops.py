"""The background loops: a crash is logged and the loop starts again; the block's end stops all."""

from __future__ import annotations

import asyncio
import logging

import pytest

from salesagent.loops import background_loops


async def test_a_crashed_loop_is_logged_and_started_again_and_the_others_keep_running(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs: list[str] = []
    stopped: list[str] = []
    healthy = asyncio.Event()

    async def flaky() -> None:
        runs.append("flaky")
        if len(runs) < 3:
            raise RuntimeError(f"crash number {len(runs)}")
        healthy.set()
        try:
            await asyncio.Event().wait()
        finally:
            stopped.append("flaky")

    async def steady() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            stopped.append("steady")

    with caplog.at_level(logging.INFO, logger="salesagent.loops"):
        async with background_loops(first_backoff=0.01, max_backoff=0.05) as loops:
            loops.start("flaky", flaky)
            loops.start("steady", steady)
            await asyncio.wait_for(healthy.wait(), 5)
            assert loops.running == ["flaky", "steady"]

    crashes = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in crashes] == [
        "background loop 'flaky' crashed; restarting it in 0.01 s",
        "background loop 'flaky' crashed; restarting it in 0.02 s",
    ]
    assert [str(r.exc_info[1]) for r in crashes if r.exc_info] == [
        "crash number 1",
        "crash number 2",
    ]
    assert sorted(stopped) == ["flaky", "steady"]  # the block's end cancelled both
    assert loops.running == []


async def test_a_loop_that_finishes_is_not_started_again() -> None:
    runs = 0

    async def once() -> None:
        nonlocal runs
        runs += 1

    async with background_loops(first_backoff=0.01) as loops:
        loops.start("once", once)
        await asyncio.sleep(0.1)
        assert loops.running == []

    assert runs == 1
