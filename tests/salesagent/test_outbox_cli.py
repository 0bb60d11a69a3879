"""`salesagent outbox list|retry|give-up` run as processes on the test's database."""

from __future__ import annotations

import asyncio

from fixtures.cli_process import cli_env, salesagent
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.models import Conversation, Direction, Message, OutboxItem, OutboxStatus
from agent.outbox import queue
from agent.settings import Settings


async def replies(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """A delivered reply, one retried after Telegram failed, one given up; their ids by text."""
    async with sessions() as session, session.begin():
        conversation = Conversation(channel="telegram", external_chat_id="5550001", context={})
        session.add(conversation)
        await session.flush()
        ids = {}
        for text, status, error in [
            ("Entregada.", OutboxStatus.SENT, None),
            ("Su pedido 42 quedó confirmado.", OutboxStatus.PENDING, "Bad Gateway"),
            ("Le enviamos la cotización.", OutboxStatus.FAILED, "given up after 30 attempts"),
        ]:
            message = Message(
                conversation_id=conversation.id, direction=Direction.OUTBOUND, text=text
            )
            row = await queue(session, conversation, message)
            row.status, row.last_error, row.attempts = status, error, 0 if error is None else 3
            ids[text] = row.id
        return ids


async def states(sessions: async_sessionmaker[AsyncSession]) -> dict[int, tuple[str, int]]:
    async with sessions() as session:
        rows = (await session.scalars(select(OutboxItem))).all()
        return {row.id: (row.status.value, row.attempts) for row in rows}


def test_staff_list_retry_and_give_up_replies_from_the_command_line(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    ids = asyncio.run(replies(sessions))
    sent, pending, failed = ids.values()
    env = cli_env(settings.database_url, COLUMNS="200")

    listed = salesagent(env, "outbox", "list")
    assert listed.returncode == 0, listed.stderr
    assert "Su pedido 42" not in listed.stdout  # the texts stay private: ids and errors only
    lines = {line.split()[1]: line for line in listed.stdout.splitlines() if line.split()[1:2]}
    assert "retrying" in lines[str(pending)] and "Bad Gateway" in lines[str(pending)]
    assert "given up" in lines[str(failed)] and "30 attempts" in lines[str(failed)]
    assert str(sent) not in lines

    gave_up = salesagent(env, "outbox", "give-up", str(pending))
    assert gave_up.returncode == 0 and f"{pending}: given up" in gave_up.stdout
    retried = salesagent(env, "outbox", "retry", str(failed))
    assert retried.returncode == 0 and f"{failed}: due again" in retried.stdout
    assert asyncio.run(states(sessions)) == {
        sent: ("sent", 0),
        pending: ("failed", 3),
        failed: ("pending", 0),
    }

    refused = salesagent(env, "outbox", "retry", str(sent), "9999")
    assert refused.returncode == 1
    assert f"{sent}, 9999: not changed" in refused.stderr
