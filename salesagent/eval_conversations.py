"""Scripted conversations: turns with expected intent, state and reply, and the final order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select

from agent.errors import InvalidInputError
from agent.messages import InboundMessage, TurnResult
from agent.models import Order
from agent.text import normalize
from salesagent.runtime import Runtime


class ExpectedLine(BaseModel):
    """A cart or order line: the product whose name contains `name`, and its quantity."""

    name: str
    quantity: int


class Turn(BaseModel):
    """One customer message and what must be true after it."""

    say: str
    intent: str | None = None
    state: str | None = Field(default=None, description="sale state, or `none`")
    owner: str | None = None
    reply_contains: list[str] = []
    reply_contains_any: list[str] = []
    """At least one of these fragments: for wording that may vary ("agotado", "no hay")."""
    reply_excludes: list[str] = []
    cart: list[ExpectedLine] | None = None


class ExpectedOrder(BaseModel):
    """The order the conversation must end with."""

    lines: list[ExpectedLine]
    total: Decimal | None = None


class Script(BaseModel):
    """A scripted conversation."""

    name: str
    kinds: list[str] = []
    """What the conversation exercises (issue 15's list: `follow_up`, `answer_to_offer`...)."""
    channel: str = "eval"
    turns: list[Turn]
    final_order: ExpectedOrder | None = None
    no_order: bool = False


@dataclass(slots=True)
class ScriptResult:
    """How one scripted conversation went; `failures` is empty when it passed."""

    name: str
    turns: int
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every expectation held."""
        return not self.failures


def load_scripts(path: Path) -> list[Script]:
    """Scripts from a YAML file (one script or a list) or every `*.yaml` in a folder."""
    files = sorted(path.glob("*.y*ml")) if path.is_dir() else [path]
    scripts: list[Script] = []
    for file in files:
        data: Any = yaml.safe_load(file.read_text(encoding="utf-8"))
        items = data if isinstance(data, list) else data.get("conversations", [data])
        for number, item in enumerate(items, 1):
            try:
                scripts.append(Script.model_validate(item))
            except ValidationError as err:
                raise InvalidInputError(f"{file.name}, conversation {number}: {err}") from err
    return scripts


def has_fragment(text: str, fragment: str) -> bool:
    """Whether `text` holds `fragment`, both lowercased without accents."""
    return normalize(fragment) in normalize(text)


def check_lines(
    what: str, actual: list[tuple[str, int]], expected: list[ExpectedLine]
) -> list[str]:
    """What differs between the (name, quantity) lines and the expected ones, none left over."""
    problems = []
    remaining = list(actual)
    for line in expected:
        match = next(
            (a for a in remaining if has_fragment(a[0], line.name) and a[1] == line.quantity), None
        )
        if match is None:
            problems.append(f"{what}: no line '{line.name}' × {line.quantity} in {actual}")
        else:
            remaining.remove(match)
    if remaining and not problems:
        problems.append(f"{what}: unexpected lines {remaining}")
    return problems


def check_turn(turn: Turn, result: TurnResult) -> list[str]:
    """What in `result` contradicts the turn's expectations."""
    problems = []
    if turn.intent is not None:
        same = result.intent == turn.intent or result.intent.split(".")[0] == turn.intent
        if not same:
            problems.append(f"intent {result.intent!r}, expected {turn.intent!r}")
    if turn.state is not None:
        state = result.sale_state.value if result.sale_state else "none"
        if state != turn.state:
            problems.append(f"state {state!r}, expected {turn.state!r}")
    if turn.owner is not None and result.owner.value != turn.owner:
        problems.append(f"owner {result.owner.value!r}, expected {turn.owner!r}")
    reply = result.reply or ""
    problems += [f"reply lacks {f!r}" for f in turn.reply_contains if not has_fragment(reply, f)]
    if turn.reply_contains_any and not any(has_fragment(reply, f) for f in turn.reply_contains_any):
        problems.append(f"reply has none of {turn.reply_contains_any!r}")
    problems += [f"reply has {f!r}" for f in turn.reply_excludes if has_fragment(reply, f)]
    if turn.cart is not None:
        cart = [(line.name, line.quantity) for line in result.cart]
        problems += check_lines("cart", cart, turn.cart)
    return problems


async def run_script(runtime: Runtime, script: Script) -> ScriptResult:
    """Play a script on a new chat and check every turn and the final order."""
    outcome = ScriptResult(script.name, len(script.turns))
    chat_id = f"eval-{uuid.uuid4().hex[:10]}"
    order_id: int | None = None
    for number, turn in enumerate(script.turns, 1):
        result = await runtime.engine.handle(
            InboundMessage(
                channel=script.channel,
                external_message_id=uuid.uuid4().hex,
                external_chat_id=chat_id,
                text=turn.say,
            )
        )
        order_id = result.order_id or order_id
        outcome.failures += [f"turn {number} ({turn.say!r}): {p}" for p in check_turn(turn, result)]
    if script.final_order is not None or script.no_order:
        outcome.failures += await _check_order(runtime, order_id, script)
    return outcome


async def _check_order(runtime: Runtime, order_id: int | None, script: Script) -> list[str]:
    if script.no_order:
        return [] if order_id is None else [f"an order was created (#{order_id})"]
    assert script.final_order is not None
    if order_id is None:
        return ["no order was created"]
    async with runtime.sessions() as session:
        order = (await session.execute(select(Order).where(Order.id == order_id))).scalar_one()
    lines = [(line.name, line.quantity) for line in order.lines]
    problems = check_lines("order", lines, script.final_order.lines)
    expected_total = script.final_order.total
    if expected_total is not None and order.total != expected_total:
        problems.append(f"order total {order.total}, expected {expected_total}")
    return problems


def format_script_results(results: list[ScriptResult]) -> str:
    """A readable report: each conversation, its failures, and the pass rate."""
    lines = []
    for result in results:
        mark = "PASS" if result.passed else "FAIL"
        lines.append(f"{mark}  {result.name} ({result.turns} turns)")
        lines += [f"      {failure}" for failure in result.failures]
    passed = sum(r.passed for r in results)
    rate = passed / len(results) if results else 0.0
    lines.append(f"\nconversations passed: {passed}/{len(results)} ({rate:.1%})")
    return "\n".join(lines)
