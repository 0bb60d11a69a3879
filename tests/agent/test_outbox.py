"""Outbox delivery: retries with backoff, the vendor's Retry-After, giving up clearly, and no
reply sent twice (or left waiting) after the process delivering it was killed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from fixtures.live_server import eventually
from fixtures.telegram_server import TOKEN as TELEGRAM_TOKEN
from fixtures.telegram_server import bot_api
from fixtures.twilio_server import ACCOUNT_SID, AUTH_TOKEN, SENDER, TwilioServer
from fixtures.whatsapp_setup import CUSTOMER, PUBLIC, whatsapp_settings
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from twilio.rest import Client

from agent.channel import CollectingOutput, OutputChannel
from agent.errors import RetryableError
from agent.instances import ThisProcess
from agent.models import (
    AttemptOutcome,
    Conversation,
    Delivery,
    Direction,
    InboxItem,
    Instance,
    Message,
    OutboxItem,
    OutboxStatus,
    SendAttempt,
    utcnow,
)
from agent.outbox import GivenUp, OutboxDispatcher, queue
from agent.settings import Settings
from channels.telegram.adapter import TelegramChannel
from channels.whatsapp.adapter import STATUS_PATH, WhatsAppChannel
from channels.whatsapp.output import WhatsAppOutput
from channels.whatsapp.twilio_http import TwilioHttp
from console.queries import conversation_view


class Flaky(CollectingOutput):
    """Fails the first `failures` sends, then delivers."""

    def __init__(self, failures: int, error: Exception) -> None:
        super().__init__("flaky")
        self.failures = failures
        self.error = error

    async def send_text(self, external_chat_id: str, text: str) -> str | None:
        if self.failures:
            self.failures -= 1
            raise self.error
        return await super().send_text(external_chat_id, text)


async def queued(
    sessions: async_sessionmaker[AsyncSession], text: str = "hola", chat: str = "c1"
) -> int:
    async with sessions() as session, session.begin():
        conversation = await session.scalar(
            select(Conversation).where(Conversation.external_chat_id == chat)
        )
        if conversation is None:
            conversation = Conversation(channel="flaky", external_chat_id=chat, context={})
            session.add(conversation)
            await session.flush()
        message = Message(conversation_id=conversation.id, direction=Direction.OUTBOUND, text=text)
        return (await queue(session, conversation, message)).id


async def reload(sessions: async_sessionmaker[AsyncSession], outbox_id: int) -> OutboxItem:
    async with sessions() as session:
        return (
            await session.execute(select(OutboxItem).where(OutboxItem.id == outbox_id))
        ).scalar_one()


async def make_due(sessions: async_sessionmaker[AsyncSession], outbox_id: int) -> None:
    async with sessions() as session, session.begin():
        row = await session.get(OutboxItem, outbox_id)
        assert row is not None
        row.next_attempt_at = utcnow()


async def test_a_failed_send_is_retried_later_and_then_delivered(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    output = Flaky(2, ConnectionError("channel down"))
    dispatcher = OutboxDispatcher(sessions, {"flaky": output}, base_delay=10, jitter=0)
    outbox_id = await queued(sessions)

    assert await dispatcher.deliver(outbox_id) is False
    row = await reload(sessions, outbox_id)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    assert "channel down" in (row.last_error or "")
    assert 9 <= (row.next_attempt_at - utcnow()).total_seconds() <= 10
    assert await dispatcher.deliver(outbox_id) is False  # not due yet: nothing is attempted
    assert (await reload(sessions, outbox_id)).attempts == 1

    await make_due(sessions, outbox_id)
    assert await dispatcher.deliver(outbox_id) is False
    row = await reload(sessions, outbox_id)
    assert 19 <= (row.next_attempt_at - utcnow()).total_seconds() <= 20  # backoff doubled

    await make_due(sessions, outbox_id)
    assert await dispatcher.deliver(outbox_id) is True
    row = await reload(sessions, outbox_id)
    assert row.status == OutboxStatus.SENT and row.sent_at is not None and row.last_error is None
    assert list(output.sent["c1"]) == ["hola"]


async def test_the_vendors_retry_after_is_honoured(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    output = Flaky(1, RetryableError("429 too many requests", retry_after=42))
    dispatcher = OutboxDispatcher(sessions, {"flaky": output})
    outbox_id = await queued(sessions)

    await dispatcher.deliver(outbox_id)

    row = await reload(sessions, outbox_id)
    assert 41 <= (row.next_attempt_at - utcnow()).total_seconds() <= 42


async def test_after_the_last_attempt_the_row_is_failed_for_good(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    output = Flaky(10, ConnectionError("gone"))
    dispatcher = OutboxDispatcher(sessions, {"flaky": output}, max_attempts=3)
    outbox_id = await queued(sessions)

    for _ in range(3):
        await make_due(sessions, outbox_id)
        await dispatcher.deliver_due()

    row = await reload(sessions, outbox_id)
    assert row.status == OutboxStatus.FAILED and row.attempts == 3
    assert output.sent == {}


async def test_a_channel_that_is_down_keeps_its_replies_until_the_horizon_then_staff_are_told(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    output = Flaky(10_000, RetryableError("503 Service Unavailable"))
    dispatcher = OutboxDispatcher(sessions, {"flaky": output}, horizon=timedelta(hours=2))
    told: list[GivenUp] = []

    async def tell(given_up: GivenUp) -> None:
        told.append(given_up)

    dispatcher.on_given_up = tell
    with time_machine.travel(utcnow(), tick=False) as clock:
        outbox_id = await queued(sessions, "Su pedido 42 quedó confirmado.")
        for _ in range(60):  # an hour, a minute at a time: far more than six attempts
            await dispatcher.deliver_due()
            clock.shift(timedelta(minutes=1))
        row = await reload(sessions, outbox_id)
        assert row.status == OutboxStatus.PENDING and row.attempts > 6
        assert (row.next_attempt_at - utcnow()) <= timedelta(minutes=5)  # never waits longer
        assert told == []

        clock.shift(timedelta(hours=1, minutes=1))
        await dispatcher.deliver_due()

    row = await reload(sessions, outbox_id)
    assert row.status == OutboxStatus.FAILED
    assert "given up after" in (row.last_error or "") and "in 2 h" in (row.last_error or "")
    assert [(t.outbox_id, t.channel) for t in told] == [(outbox_id, "flaky")]
    assert output.sent == {}
    async with sessions() as session:
        view = await conversation_view(session, row.conversation_id)
    assert view is not None
    assert "given up" in (view.messages[0].undelivered or "")  # marked for staff


async def test_a_chats_replies_leave_in_order_once_the_channel_is_back(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    output = Flaky(2, RetryableError("connection refused"))
    dispatcher = OutboxDispatcher(sessions, {"flaky": output})
    first = await queued(sessions, "uno")
    assert await dispatcher.deliver(first) is False
    second = await queued(sessions, "dos")
    other_chat = await queued(sessions, "otro chat", chat="c2")

    assert await dispatcher.deliver(second) is False  # the first one goes first
    assert (await reload(sessions, second)).attempts == 0
    assert await dispatcher.deliver_due() == 0  # only "otro chat" is due: it fails, then sends
    assert await dispatcher.deliver(other_chat) is False
    await make_due(sessions, other_chat)
    assert await dispatcher.deliver_due() == 1
    assert list(output.sent["c2"]) == ["otro chat"]
    assert "c1" not in output.sent

    await make_due(sessions, first)
    assert await dispatcher.deliver_due() == 2
    assert list(output.sent["c1"]) == ["uno", "dos"]


def test_the_backoff_doubles_up_to_its_ceiling_and_is_spread_by_jitter(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    dispatcher = OutboxDispatcher(sessions, {}, base_delay=2, max_delay=300, jitter=0.2)
    delays = [dispatcher.backoff(3) for _ in range(50)]
    assert all(6.4 <= delay <= 8 for delay in delays) and len(set(delays)) > 40
    assert all(240 <= dispatcher.backoff(20) <= 300 for _ in range(50))
    assert dispatcher.backoff(3, retry_after=42) == 42


# After a crash: a reply's fate at the vendor is settled before it is sent again.


async def a_whatsapp_reply(sessions: async_sessionmaker[AsyncSession], text: str) -> int:
    """A reply to a customer who wrote a minute ago (inside WhatsApp's window), due now."""
    async with sessions() as session, session.begin():
        conversation = Conversation(channel="whatsapp", external_chat_id=CUSTOMER, context={})
        session.add(conversation)
        session.add(
            InboxItem(channel="whatsapp", external_message_id="SM1", external_chat_id=CUSTOMER)
        )
        await session.flush()
        row = OutboxItem(
            conversation_id=conversation.id,
            channel="whatsapp",
            external_chat_id=CUSTOMER,
            text=text,
        )
        session.add(row)
        await session.flush()
        return row.id


def exited_pid() -> int:
    """The pid of a process that ran on this host and is gone."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


async def killed_mid_send(dispatcher: OutboxDispatcher, outbox_id: int, accepted: Any) -> None:
    """Deliver `outbox_id` and stop dead (as SIGKILL would) once the vendor accepted it, before
    its answer arrives: nothing of the dispatcher runs after that moment."""
    task = asyncio.create_task(dispatcher.deliver(outbox_id))
    await eventually(accepted, within=10)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest.fixture
async def whatsapp(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], fake_twilio: TwilioServer
) -> AsyncIterator[OutputChannel]:
    channel = WhatsAppChannel.from_settings(whatsapp_settings(settings, fake_twilio), sessions)
    assert channel is not None
    yield channel.output
    await channel.close()


async def test_a_reply_twilio_accepted_before_a_crash_is_not_sent_again(
    sessions: async_sessionmaker[AsyncSession],
    fake_twilio: TwilioServer,
    whatsapp: OutputChannel,
) -> None:
    fake_twilio.answer_delay = 1.0
    outbox_id = await a_whatsapp_reply(sessions, "Tenemos 12 cascos dieléctricos.")
    before = OutboxDispatcher(sessions, {"whatsapp": whatsapp})
    await killed_mid_send(before, outbox_id, lambda: len(fake_twilio.created) == 1)
    await make_due(sessions, outbox_id)  # its lease ran out

    after = OutboxDispatcher(sessions, {"whatsapp": whatsapp})
    assert await after.deliver(outbox_id) is True

    assert fake_twilio.bodies(CUSTOMER) == ["Tenemos 12 cascos dieléctricos."]
    assert fake_twilio.lists == 1  # Twilio's records were asked, once
    row = await reload(sessions, outbox_id)
    assert row.status == OutboxStatus.SENT
    async with sessions() as session:
        recorded = list((await session.execute(select(Delivery))).scalars())
        attempts = list((await session.execute(select(SendAttempt))).scalars())
    assert [(d.outbox_id, d.part, d.vendor_message_id) for d in recorded] == [
        (outbox_id, 0, fake_twilio.created[0]["Sid"])
    ]
    assert [a.outcome for a in attempts] == [AttemptOutcome.FOUND]


async def test_a_reply_twilio_never_got_is_sent_after_a_crash(
    sessions: async_sessionmaker[AsyncSession],
    fake_twilio: TwilioServer,
    whatsapp: OutputChannel,
) -> None:
    fake_twilio.answer_delay = 1.0
    outbox_id = await a_whatsapp_reply(sessions, "Sí, hacemos envíos a Medellín.")
    before = OutboxDispatcher(sessions, {"whatsapp": whatsapp})
    await killed_mid_send(before, outbox_id, lambda: len(fake_twilio.created) == 1)
    fake_twilio.created.clear()  # as if the request had died on the way to Twilio
    fake_twilio.answer_delay = 0.0
    await make_due(sessions, outbox_id)

    assert await OutboxDispatcher(sessions, {"whatsapp": whatsapp}).deliver(outbox_id) is True

    assert fake_twilio.bodies(CUSTOMER) == ["Sí, hacemos envíos a Medellín."]
    async with sessions() as session:
        outcomes = list((await session.execute(select(SendAttempt.outcome))).scalars())
    assert outcomes == [AttemptOutcome.ABSENT, AttemptOutcome.ACCEPTED]


async def test_a_send_whose_answer_timed_out_is_not_sent_again_when_twilio_has_it(
    sessions: async_sessionmaker[AsyncSession], fake_twilio: TwilioServer
) -> None:
    http = TwilioHttp(base_url=fake_twilio.url, deadline=0.3)
    output = WhatsAppOutput(
        Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http),
        sessions,
        sender=SENDER,
        status_callback=PUBLIC + STATUS_PATH,
    )
    dispatcher = OutboxDispatcher(sessions, {"whatsapp": output})
    fake_twilio.answer_delay = 1.0  # accepted, answered after the client gave up
    outbox_id = await a_whatsapp_reply(sessions, "Le enviamos la cotización.")

    assert await dispatcher.deliver(outbox_id) is False
    assert "answer did not come" in ((await reload(sessions, outbox_id)).last_error or "")
    fake_twilio.answer_delay = 0.0
    await make_due(sessions, outbox_id)
    assert await dispatcher.deliver(outbox_id) is True

    assert fake_twilio.bodies(CUSTOMER) == ["Le enviamos la cotización."]
    await http.close()


async def test_a_dead_processs_leases_are_taken_back_at_start_not_after_they_expire(
    sessions: async_sessionmaker[AsyncSession],
    fake_twilio: TwilioServer,
    whatsapp: OutputChannel,
) -> None:
    dead = ThisProcess(pid=exited_pid())
    fake_twilio.answer_delay = 1.0
    outbox_id = await a_whatsapp_reply(sessions, "Su pedido quedó registrado.")
    before = OutboxDispatcher(sessions, {"whatsapp": whatsapp}, process=dead)
    await before.recover()
    await killed_mid_send(before, outbox_id, lambda: len(fake_twilio.created) == 1)
    fake_twilio.answer_delay = 0.0
    alive = ThisProcess(pid=os.getppid())  # another process that still runs, on this host
    async with sessions() as session, session.begin():
        await alive.register(session)

    after = OutboxDispatcher(sessions, {"whatsapp": whatsapp})
    assert await after.recover() == 1
    assert await after.deliver_due() == 1  # at once, not 60 s later

    assert fake_twilio.bodies(CUSTOMER) == ["Su pedido quedó registrado."]
    async with sessions() as session:
        processes = set((await session.execute(select(Instance.id))).scalars())
    assert processes == {alive.id, after.process.id}  # the live one is left alone


async def test_a_telegram_part_whose_fate_is_unknown_is_not_sent_twice_and_says_why(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with bot_api() as fake:
        channel = TelegramChannel.from_settings(
            settings.model_copy(
                update={
                    "telegram_bot_token": SecretStr(TELEGRAM_TOKEN),
                    "telegram_api_base_url": fake.url,
                }
            ),
            sessions,
        )
        assert channel is not None
        await channel.bot.initialize()
        async with sessions() as session, session.begin():
            conversation = Conversation(channel="telegram", external_chat_id="5550001", context={})
            session.add(conversation)
            await session.flush()
            reply = Message(
                conversation_id=conversation.id,
                direction=Direction.OUTBOUND,
                text="Le confirmo el pedido 42.",
            )
            outbox_id = (await queue(session, conversation, reply)).id
        fake.answer_delay = 1.0
        outputs = {"telegram": channel.output}
        await killed_mid_send(
            OutboxDispatcher(sessions, outputs), outbox_id, lambda: bool(fake.sent)
        )
        await make_due(sessions, outbox_id)

        assert await OutboxDispatcher(sessions, outputs).deliver(outbox_id) is False

        assert fake.texts() == ["Le confirmo el pedido 42."]
        row = await reload(sessions, outbox_id)
        assert row.status == OutboxStatus.FAILED
        assert "at most once" in (row.last_error or "")
        async with sessions() as session:
            view = await conversation_view(session, conversation.id)
        assert view is not None
        (shown,) = view.messages
        assert shown.text == "Le confirmo el pedido 42."
        assert "at most once" in (shown.undelivered or "")  # staff see it and why
        await channel.bot.shutdown()
