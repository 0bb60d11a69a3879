"""Scoring a holdout folder in the v2 format (tests/eval/holdout_v2/README.md): single messages
with their language, and conversations whose turns state what a careful reviewer would check.

Utterances: top-level macro-F1, top-level and sub-intent accuracy, per language and overall.
They carry no state; the format's README says the `purchase.confirm` and `purchase.deny` lines
answer an order summary and the `purchase.data` lines answer while the order's data is being
collected, so those lines are read in that state (a cart, and the summary shown or the data
asked for); every other line is read with no conversation behind it.
Conversations: the share of turns whose every expectation held, and the conversations where
every turn and the final order did.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select

from agent.errors import InvalidInputError
from agent.evaluation import LabelledUtterance, UtteranceReport, evaluate_utterances
from agent.messages import InboundMessage, TurnResult
from agent.models import Order, Owner, SaleState
from agent.nlu.types import INTENT_LABELS, DialogState, Entities, Understanding
from salesagent.eval_conversations import ExpectedLine, check_lines, has_fragment
from salesagent.runtime import Runtime

UTTERANCES = "utterances.jsonl"
CONVERSATIONS = "conversations.yaml"
TARGETS = {"es": 0.90, "en": 0.85}
"""Issue 15's goals: top-level macro-F1 per language, and the share of turns right."""
TURNS_TARGET = 0.90

# A numbered list of options ("1. …", "2. …" on their own lines) asks the customer to choose.
_CHOICE_LIST = re.compile(r"^\s*1\.\s.*\n\s*2\.\s", re.MULTILINE)
_PRICE = re.compile(r"\$\d{1,3}(?:\.\d{3})+")
_SAID_IN = {
    "purchase.confirm": SaleState.READY_TO_CONFIRM,
    "purchase.deny": SaleState.READY_TO_CONFIRM,
    "purchase.data": SaleState.COLLECTING_DATA,
}
"""The state the format's README says these lines answer in."""


class _Utterance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    lang: str
    intent: str


class LineExpected(BaseModel):
    """A cart or order line: a fragment of the product's name, and its quantity."""

    model_config = ConfigDict(extra="forbid")

    name_contains: str
    quantity: int


class Expect(BaseModel):
    """What must hold after one turn; every key is optional."""

    model_config = ConfigDict(extra="forbid")

    intent: str | None = None
    state: str | None = None
    cart: list[LineExpected] | None = None
    mentions_any: list[str] = []
    mentions_all: list[str] = []
    mentions_none: list[str] = []
    handoff: bool | None = None
    order_created: bool | None = None
    no_choice_list: bool = False


class HoldoutTurn(BaseModel):
    """One customer message and its expectations."""

    model_config = ConfigDict(extra="forbid")

    say: str
    expect: Expect = Expect()


class FinalOrder(BaseModel):
    """The order a conversation ends with."""

    model_config = ConfigDict(extra="forbid")

    lines: list[LineExpected]
    total: Decimal | None = None


class HoldoutConversation(BaseModel):
    """A conversation of the holdout."""

    model_config = ConfigDict(extra="forbid")

    name: str
    lang: str
    kinds: list[str] = []
    turns: list[HoldoutTurn]
    final_order: FinalOrder | None = None


@dataclass(slots=True)
class ConversationScore:
    """How one conversation went: the turns right, and every problem seen."""

    name: str
    lang: str
    kinds: list[str]
    turns: int
    turns_right: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def fully_right(self) -> bool:
        """Every turn and the final order held."""
        return not self.problems


def load_holdout_utterances(path: Path) -> list[LabelledUtterance]:
    """The labelled messages of a v2 `utterances.jsonl`; a bad line names its number."""
    items = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = _Utterance.model_validate(json.loads(raw))
        except (json.JSONDecodeError, ValidationError) as err:
            raise InvalidInputError(f"{path}:{number}: {err}", field=f"line {number}") from err
        if line.intent not in INTENT_LABELS:
            raise InvalidInputError(f"{path}:{number}: unknown intent {line.intent!r}")
        said_in = _SAID_IN.get(line.intent)
        state = DialogState(sale_state=said_in, has_cart=said_in is not None, language=line.lang)
        items.append(
            LabelledUtterance(line.text, line.intent, Entities(), frozenset(), state, line.lang)
        )
    return items


def load_holdout_conversations(path: Path) -> list[HoldoutConversation]:
    """The conversations of a v2 `conversations.yaml`."""
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    conversations = []
    for number, item in enumerate(data, start=1):
        try:
            conversations.append(HoldoutConversation.model_validate(item))
        except ValidationError as err:
            raise InvalidInputError(f"{path.name}, conversation {number}: {err}") from err
    return conversations


def score_utterances(
    items: list[LabelledUtterance], readings: list[Understanding]
) -> dict[str, UtteranceReport]:
    """The report per language and over all (`all`), from the readings of `items` in order."""
    by_text = dict(zip((id(item) for item in items), readings, strict=True))

    def report(subset: list[LabelledUtterance]) -> UtteranceReport:
        given = iter([by_text[id(item)] for item in subset])
        return evaluate_utterances(subset, lambda _text, _state: next(given))

    reports = {"all": report(items)}
    for language in sorted({item.language or "" for item in items}):
        reports[language] = report([i for i in items if i.language == language])
    return reports


def check_expect(expect: Expect, result: TurnResult, language: str, ordered: bool) -> list[str]:
    """What in the turn's result contradicts its expectations."""
    problems = []
    if expect.intent is not None and result.intent != expect.intent:
        problems.append(f"intent {result.intent!r}, expected {expect.intent!r}")
    if expect.state is not None:
        state = result.sale_state.value if result.sale_state else "started"
        if state != expect.state:
            problems.append(f"state {state!r}, expected {expect.state!r}")
    if expect.cart is not None:
        cart = [(line.name, line.quantity) for line in result.cart]
        problems += check_lines("cart", cart, _lines(expect.cart))
    reply = result.reply or ""
    if expect.mentions_any and not any(_mentions(reply, f, language) for f in expect.mentions_any):
        problems.append(f"reply has none of {expect.mentions_any!r}")
    problems += [
        f"reply lacks {f!r}" for f in expect.mentions_all if not _mentions(reply, f, language)
    ]
    problems += [f"reply has {f!r}" for f in expect.mentions_none if _mentions(reply, f, language)]
    if expect.handoff is not None and (result.owner != Owner.BOT) != expect.handoff:
        problems.append(f"owner {result.owner.value!r}, handoff expected {expect.handoff}")
    if expect.order_created is not None and ordered != expect.order_created:
        problems.append(f"order created: {ordered}, expected {expect.order_created}")
    if expect.no_choice_list and _CHOICE_LIST.search(reply):
        problems.append("reply asks to choose from a list")
    return problems


async def run_conversation(
    runtime: Runtime, conversation: HoldoutConversation
) -> ConversationScore:
    """Play one conversation on a new chat and score every turn and the final order."""
    score = ConversationScore(
        conversation.name, conversation.lang, conversation.kinds, len(conversation.turns)
    )
    chat_id = f"holdout-{uuid.uuid4().hex[:10]}"
    order_id: int | None = None
    for number, turn in enumerate(conversation.turns, start=1):
        result = await runtime.engine.handle(
            InboundMessage(
                channel="eval",
                external_message_id=uuid.uuid4().hex,
                external_chat_id=chat_id,
                text=turn.say,
            )
        )
        order_id = result.order_id or order_id
        problems = check_expect(turn.expect, result, conversation.lang, order_id is not None)
        score.turns_right += not problems
        score.problems += [f"turn {number} ({turn.say!r}): {p}" for p in problems]
    score.problems += await _check_final_order(runtime, order_id, conversation.final_order)
    return score


def format_holdout(
    utterances: dict[str, UtteranceReport] | None, conversations: list[ConversationScore] | None
) -> tuple[str, bool]:
    """The report, and whether issue 15's goals were met."""
    lines: list[str] = []
    met = True
    if utterances is not None:
        header = f"{'utterances':<10} {'count':>6} {'macro-F1':>9} {'top acc':>8} {'sub acc':>8}"
        lines.append(header)
        for language, report in utterances.items():
            lines.append(
                f"{language:<10} {report.total:>6} {report.macro_f1:>9.3f}"
                f" {report.accuracy:>8.3f} {report.sub_intent_accuracy:>8.3f}"
            )
            target = TARGETS.get(language)
            if target is not None and report.macro_f1 < target:
                met = False
    if conversations is not None:
        turns = sum(c.turns for c in conversations)
        right = sum(c.turns_right for c in conversations)
        full = sum(c.fully_right for c in conversations)
        share = right / turns if turns else 0.0
        met = met and share >= TURNS_TARGET
        lines += [
            "",
            f"conversation turns right   {right}/{turns} ({share:.1%})",
            f"conversations fully right  {full}/{len(conversations)}",
        ]
        for conversation in conversations:
            if conversation.fully_right:
                continue
            lines.append(f"FAIL  {conversation.name} ({', '.join(conversation.kinds)})")
            lines += [f"      {problem}" for problem in conversation.problems]
    return "\n".join(lines), met


def _lines(expected: list[LineExpected]) -> list[ExpectedLine]:
    return [ExpectedLine(name=line.name_contains, quantity=line.quantity) for line in expected]


def _mentions(reply: str, fragment: str, language: str) -> bool:
    """Whether the reply holds the fragment; in English a price may use commas ($85,000)."""
    if has_fragment(reply, fragment):
        return True
    if language == "en" and _PRICE.search(fragment):
        return has_fragment(reply, fragment.replace(".", ","))
    return False


async def _check_final_order(
    runtime: Runtime, order_id: int | None, expected: FinalOrder | None
) -> list[str]:
    if expected is None:
        return []
    if order_id is None:
        return ["no order was created"]
    async with runtime.sessions() as session:
        order = (await session.execute(select(Order).where(Order.id == order_id))).scalar_one()
    problems = check_lines(
        "order", [(line.name, line.quantity) for line in order.lines], _lines(expected.lines)
    )
    if expected.total is not None and order.total != expected.total:
        problems.append(f"order total {order.total}, expected {expected.total}")
    return problems
