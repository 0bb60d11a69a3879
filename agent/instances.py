"""The salesagent processes sharing a database, and which of them are dead.

Each process registers a row (random id, host, pid) and beats it while it runs. A lease (an
outbox row being delivered) names its process, so the next process can take back a dead one's
leases at once instead of waiting for them to expire. A process is dead when it ran on this host
and its pid no longer runs (or is this very process's pid: a restarted container), or when its
beat is older than `stale` (another host, or a pid reused since). A process that runs beats
every few seconds, so it is not taken for dead.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from agent.models import Instance, utcnow


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    return True


@dataclass(frozen=True, slots=True)
class ThisProcess:
    """The running process as the `instances` table knows it."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)

    async def register(self, session: AsyncSession) -> None:
        """Add this process's row (once)."""
        if await session.get(Instance, self.id) is None:
            session.add(Instance(id=self.id, host=self.host, pid=self.pid))
            await session.flush()

    async def beat(self, session: AsyncSession) -> None:
        """Show that this process still runs."""
        await session.execute(
            update(Instance).where(Instance.id == self.id).values(beat_at=utcnow())
        )

    def sees_dead(self, row: Instance, *, stale: timedelta) -> bool:
        """True when the process of `row` certainly no longer runs."""
        if row.id == self.id:
            return False
        if utcnow() - row.beat_at > stale:
            return True
        return row.host == self.host and (row.pid == self.pid or not _running(row.pid))

    async def dead(self, session: AsyncSession, *, stale: timedelta) -> list[str]:
        """The ids of the registered processes that are dead, forgotten from now on."""
        rows = (await session.execute(select(Instance))).scalars()
        ids = [row.id for row in rows if self.sees_dead(row, stale=stale)]
        if ids:
            await session.execute(delete(Instance).where(Instance.id.in_(ids)))
        return ids
