"""`salesagent export finetune`: conversations as chat tuning files, cleaned and split.

A conversation is one example. Its messages become turns (the customer's inbound messages;
the shop's outbound ones, bot or staff), consecutive messages of one side joined. It is cut
where it stops being the bot's to learn from (with `uncorrected_only`): at the first bot reply
that staff corrected, that is a bot reply followed, before the customer wrote again, by a
staff member's message to the customer or by a staff member taking the conversation.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.errors import InvalidInputError
from agent.models import Conversation, Customer, Direction, Handoff, Message, Order, Sale
from exports.filters import ExportFilters
from exports.finetune.formats import Speaker, Turn, gemini_line, openai_line
from exports.finetune.personal_data import PersonRecord, Redactor
from exports.queries import CANCELLED_ORDER

FORMATS = {"gemini": gemini_line, "openai": openai_line}
"""Each format's folder name and how it writes one conversation."""
SPLITS = ("train", "valid")


@dataclass(frozen=True, slots=True)
class FinetuneOptions:
    """What goes into the files and how they are split."""

    filters: ExportFilters = field(default_factory=ExportFilters)
    """Its channel and dates (a conversation's last activity, as the conversations report)."""
    closed_only: bool = False
    """Only conversations with an order that was not cancelled."""
    uncorrected_only: bool = False
    """Cut each conversation before its first bot reply that staff corrected."""
    valid_ratio: float = 0.1
    seed: int = 0
    system: str | None = None
    """The system instruction of every example (none when None)."""

    def check(self) -> None:
        """Refuse options that cannot be used, naming the option."""
        if not 0 <= self.valid_ratio < 1:
            raise InvalidInputError(
                "the share of conversations for validation must be at least 0 and below 1",
                field="--valid-ratio",
            )
        if self.filters.state is not None:
            raise InvalidInputError(
                "finetune has no state filter (see --closed-only)", field="state"
            )
        start, end = self.filters.date_from, self.filters.date_to
        if start and end and start > end:
            raise InvalidInputError("from is after to", field="from")


@dataclass(slots=True)
class FinetuneReport:
    """What was written and what was left out, and why."""

    conversations_seen: int = 0
    written: Counter[str] = field(default_factory=Counter)
    """Conversations per split."""
    turns_written: int = 0
    conversations_left_out: Counter[str] = field(default_factory=Counter)
    messages_left_out: Counter[str] = field(default_factory=Counter)
    replaced: Counter[str] = field(default_factory=Counter)
    """Personal data replaced, per placeholder."""
    files: list[str] = field(default_factory=list)

    def as_json(self, options: FinetuneOptions) -> dict[str, Any]:
        """The report as written to `report.json`."""
        return {
            "options": {
                "filters": options.filters.as_json(),
                "closed_only": options.closed_only,
                "uncorrected_only": options.uncorrected_only,
                "valid_ratio": options.valid_ratio,
                "seed": options.seed,
                "system": options.system,
            },
            "conversations_seen": self.conversations_seen,
            "conversations_written": {split: self.written[split] for split in SPLITS},
            "turns_written": self.turns_written,
            "left_out": {
                "conversations": dict(sorted(self.conversations_left_out.items())),
                "messages": dict(sorted(self.messages_left_out.items())),
            },
            "personal_data_replaced": dict(sorted(self.replaced.items())),
            "files": self.files,
        }


async def export_finetune(
    sessions: async_sessionmaker[AsyncSession],
    options: FinetuneOptions,
    folder: Path,
    *,
    timezone: str,
) -> FinetuneReport:
    """Write `<format>/train.jsonl`, `<format>/valid.jsonl` and `report.json` into `folder`."""
    options.check()
    report = FinetuneReport()
    async with sessions() as session:
        chosen = await _choose(session, options, timezone, report)
        valid = _validation_ids(chosen, options.valid_ratio, options.seed)
        with ExitStack() as stack:
            files = _open_files(stack, folder, report)
            for conversation in chosen:
                turns = await _turns(session, conversation, options, report)
                if not any(turn.speaker == "shop" for turn in turns):
                    report.conversations_left_out["no_bot_reply_left"] += 1
                    continue
                split = "valid" if conversation.id in valid else "train"
                for name, line in FORMATS.items():
                    files[name, split].write(line(turns, options.system) + "\n")
                report.written[split] += 1
                report.turns_written += len(turns)
    report.files.append("report.json")
    _write_report(folder / "report.json", report.as_json(options))
    return report


def _write_report(path: Path, report: dict[str, Any]) -> None:
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


async def _choose(
    session: AsyncSession, options: FinetuneOptions, timezone: str, report: FinetuneReport
) -> list[Conversation]:
    """The conversations the filters keep, oldest first; the others counted by reason."""
    start, end = options.filters.utc_range(timezone)
    closed = set(
        await session.scalars(
            select(Order.conversation_id).where(
                Order.conversation_id.is_not(None), Order.status != CANCELLED_ORDER
            )
        )
    )
    kept = []
    for conversation in await session.scalars(select(Conversation).order_by(Conversation.id)):
        report.conversations_seen += 1
        reason = _left_out_because(conversation, options, start, end, closed)
        if reason is None:
            kept.append(conversation)
        else:
            report.conversations_left_out[reason] += 1
    return kept


def _left_out_because(
    conversation: Conversation,
    options: FinetuneOptions,
    start: datetime | None,
    end: datetime | None,
    closed: set[int | None],
) -> str | None:
    if options.filters.channel and conversation.channel != options.filters.channel:
        return "other_channel"
    moment = conversation.last_activity_at
    if (start and moment < start) or (end and moment >= end):
        return "outside_dates"
    if options.closed_only and conversation.id not in closed:
        return "no_confirmed_order"
    return None


def _validation_ids(chosen: Sequence[Conversation], ratio: float, seed: int) -> set[int]:
    """The conversations of the validation file: a seeded shuffle's first share (at least
    one when the share is above 0 and there are two conversations)."""
    ids = [conversation.id for conversation in chosen]
    random.Random(seed).shuffle(ids)
    size = round(len(ids) * ratio)
    if ratio > 0 and size == 0 and len(ids) >= 2:
        size = 1
    return set(ids[:size])


def _open_files(
    stack: ExitStack, folder: Path, report: FinetuneReport
) -> dict[tuple[str, str], IO[str]]:
    files: dict[tuple[str, str], IO[str]] = {}
    for name in FORMATS:
        (folder / name).mkdir(parents=True, exist_ok=True)
        for split in SPLITS:
            path = folder / name / f"{split}.jsonl"
            files[name, split] = stack.enter_context(path.open("w", encoding="utf-8"))
            report.files.append(f"{name}/{split}.jsonl")
    return files


async def _turns(
    session: AsyncSession,
    conversation: Conversation,
    options: FinetuneOptions,
    report: FinetuneReport,
) -> list[Turn]:
    """The conversation's turns, cleaned of personal data, starting with the customer and
    ending with the shop; what is left out is counted by reason."""
    messages = list(
        await session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id)
            .order_by(Message.created_at, Message.id)
        )
    )
    if options.uncorrected_only:
        takeovers = list(
            await session.scalars(
                select(Handoff.created_at).where(
                    Handoff.conversation_id == conversation.id, Handoff.staff_id.is_not(None)
                )
            )
        )
        messages = _before_first_correction(messages, takeovers, report)
    redactor = Redactor(await _records(session, conversation))
    said: list[tuple[Speaker, str]] = []
    for message in messages:
        if not message.text.strip():
            report.messages_left_out["no_text"] += 1
            continue
        speaker: Speaker = "customer" if message.direction == Direction.INBOUND else "shop"
        said.append((speaker, redactor.clean(message.text.strip())))
    report.replaced.update(redactor.replaced)
    return _alternating(said, report)


def _before_first_correction(
    messages: list[Message], takeovers: list[datetime], report: FinetuneReport
) -> list[Message]:
    """The messages before the first bot reply staff corrected (the rest counted)."""
    for index, message in enumerate(messages):
        if not _is_bot_reply(message):
            continue
        following = next(
            (later for later in messages[index + 1 :] if not _is_bot_reply(later)), None
        )
        until = following.created_at if following is not None else None
        staff_wrote = following is not None and following.staff_id is not None
        staff_took = any(
            moment >= message.created_at and (until is None or moment <= until)
            for moment in takeovers
        )
        if staff_wrote or staff_took:
            report.messages_left_out["corrected_by_staff"] += 1
            report.messages_left_out["after_a_correction"] += len(messages) - index - 1
            return messages[:index]
    return messages


def _is_bot_reply(message: Message) -> bool:
    return message.direction == Direction.OUTBOUND and message.staff_id is None


def _alternating(said: list[tuple[Speaker, str]], report: FinetuneReport) -> list[Turn]:
    """Consecutive messages of one side as one turn; from the customer's first message to the
    shop's last reply."""
    while said and said[0][0] == "shop":
        report.messages_left_out["before_the_customer_wrote"] += 1
        said.pop(0)
    while said and said[-1][0] == "customer":
        report.messages_left_out["not_answered"] += 1
        said.pop()
    turns: list[Turn] = []
    for speaker, text in said:
        if turns and turns[-1].speaker == speaker:
            turns[-1] = Turn(speaker, f"{turns[-1].text}\n{text}")
        else:
            turns.append(Turn(speaker, text))
    return turns


async def _records(session: AsyncSession, conversation: Conversation) -> list[PersonRecord]:
    """Everything on file about the people of the conversation."""
    records = [PersonRecord(name=conversation.contact_name, phone=_chat_phone(conversation))]
    customers = select(Customer).where(
        Customer.id.in_(select(Order.customer_id).where(Order.conversation_id == conversation.id))
        | (Customer.id == conversation.customer_id)
    )
    records += [_record(customer) for customer in await session.scalars(customers)]
    for data in await session.scalars(
        select(Sale.data).where(Sale.conversation_id == conversation.id)
    ):
        given = data.get("customer") or {}
        records.append(PersonRecord(**{f.name: given.get(f.name) for f in fields(PersonRecord)}))
    return records


def _record(customer: Customer) -> PersonRecord:
    return PersonRecord(
        name=customer.name,
        national_id=customer.national_id,
        phone=customer.phone,
        email=customer.email,
        address=customer.address,
    )


def _chat_phone(conversation: Conversation) -> str | None:
    """The chat's id when it is a phone number (WhatsApp's `whatsapp:+57…`)."""
    digits = "".join(ch for ch in conversation.external_chat_id if ch.isdigit())
    return digits if len(digits) >= 10 and conversation.channel == "whatsapp" else None
