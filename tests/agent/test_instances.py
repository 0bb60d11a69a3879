"""Which salesagent processes sharing the database are dead: only those that certainly are."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.instances import ThisProcess
from agent.models import Instance, utcnow

STALE = timedelta(seconds=60)


def exited_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


async def test_only_processes_that_certainly_stopped_are_dead(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    me = ThisProcess()
    here_gone = ThisProcess(pid=exited_pid())
    here_running = ThisProcess(pid=os.getppid())
    my_pid_before = ThisProcess()  # the same pid, another id: this container's last life
    elsewhere_quiet = ThisProcess(host="worker-2.internal", pid=os.getpid())
    elsewhere_beating = ThisProcess(host="worker-3.internal", pid=1)
    async with sessions() as session, session.begin():
        for process in (
            me,
            here_gone,
            here_running,
            my_pid_before,
            elsewhere_quiet,
            elsewhere_beating,
        ):
            await process.register(session)
        quiet = await session.get(Instance, elsewhere_quiet.id)
        assert quiet is not None
        quiet.beat_at = utcnow() - timedelta(seconds=90)

    async with sessions() as session, session.begin():
        dead = await me.dead(session, stale=STALE)
    assert set(dead) == {here_gone.id, my_pid_before.id, elsewhere_quiet.id}

    async with sessions() as session, session.begin():
        assert await me.dead(session, stale=STALE) == []  # forgotten once found dead
