"""The background loops: a crash is logged and the loop starts again; the block's end stops all."""

from __future__ import annotations

import asyncio
import logging
import time

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


async def test_a_loop_that_does_not_stop_is_named_and_not_waited_for(
    caplog: pytest.LogCaptureFixture,
) -> None:
    released = asyncio.Event()
    stopped: list[str] = []

    async def stubborn() -> None:
        try:
            await asyncio.Event().wait()
        finally:  # as a close that waits on a connection that never answers
            await released.wait()

    async def polite() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            stopped.append("polite")

    asyncio.get_running_loop().call_later(5, released.set)  # the test's loop must end, later
    began = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="agent.stopping"):
        async with background_loops(stop_seconds=0.5) as loops:
            loops.start("stubborn", stubborn)
            loops.start("polite", polite)
            await asyncio.sleep(0.05)
    took = time.monotonic() - began

    assert took < 3, took  # not the 5 s the stubborn loop would hold the shutdown
    assert stopped == ["polite"]
    assert [r.getMessage() for r in caplog.records] == [
        "background loops did not stop within 0.5 s of being cancelled, left running: stubborn"
    ]
    await released.wait()
