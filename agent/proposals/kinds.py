"""The kinds of proposal: each checks an effect, says what it does, and applies it.

A kind is a small object in `KINDS` (name → kind), so another (a restock, a price change)
is one more class. An effect is plain JSON kept on the proposal: what changes, from → to,
with the amounts as decimal strings. `apply` is the only way an effect changes a price, stock
or an order: it refuses a proposal without an approval row, and every change is a conditional
UPDATE that finds the row still as the effect says (a cart edited or stock sold since makes
the approval fail, changing nothing).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from agent.errors import ConflictError, InvalidInputError
from agent.i18n import money
from agent.models import (
    Order,
    Product,
    Proposal,
    ProposalAudit,
    ProposalStatus,
    Sale,
    SaleLine,
    SaleState,
)
from agent.words import N_, STAFF_LANGUAGE, t

APPROVED = (ProposalStatus.APPROVED, ProposalStatus.EDITED)
OPEN_SALE = (
    SaleState.STARTED,
    SaleState.CART,
    SaleState.COLLECTING_DATA,
    SaleState.READY_TO_CONFIRM,
)
MAX_DISCOUNT = Decimal(90)
"""No discount above this is proposed or approved (a typo of "100" is not a gift)."""
CENT = Decimal("0.01")
MAX_RESTOCK = 100_000
"""No restock of more units than this is proposed or approved (a typo is not a warehouse)."""


class NotApprovedError(ConflictError):
    """An effect was about to be applied without the approval row that allows it."""


class ProposalKind(Protocol):
    """What one kind of proposal changes, and how."""

    name: str
    edit_field: str
    """The one value a manager may change when approving (`percent`, `quantity`)."""

    def edited(self, effect: dict[str, Any], value: str) -> dict[str, Any]:
        """The effect with the manager's value; InvalidInputError when it cannot be used."""
        ...

    def describe(self, effect: dict[str, Any], language: str) -> str:
        """The effect in words, with its figures (for staff and the customer)."""
        ...

    async def change(self, session: AsyncSession, effect: dict[str, Any]) -> dict[str, Any]:
        """Make the effect's change (called by `apply` only); what changed, from → to."""
        ...


def _percent(value: str) -> Decimal:
    try:
        percent = Decimal(value.strip().rstrip("%").replace(",", "."))
    except InvalidOperation as err:
        raise InvalidInputError(
            t(STAFF_LANGUAGE, "proposals.error.percent"), field="percent"
        ) from err
    if not percent.is_finite() or not 0 < percent <= MAX_DISCOUNT:
        raise InvalidInputError(t(STAFF_LANGUAGE, "proposals.error.percent"), field="percent")
    # One decimal at most, written plainly ("10", "12.5"; normalize() would say "1E+1").
    return Decimal(format(percent.quantize(Decimal("0.1")), "f").rstrip("0").rstrip("."))


class Discount:
    """A discount of a percentage on every line of an open cart: its unit prices go down (but
    a quoted line's, whose price a manager fixed: `Quote`)."""

    name = "discount"
    edit_field = "percent"

    @staticmethod
    def effect(sale: Sale, percent: Decimal, currency: str) -> dict[str, Any]:
        """The effect of `percent` off the sale's lines as they are now."""
        lines = [
            {
                "line_id": line.id,
                "product_id": line.product_id,
                "name": line.product.name,
                "quantity": line.quantity,
                "from": str(line.unit_price),
            }
            for line in sale.lines
            if line.quoted_price is None
        ]
        return Discount._priced(
            {"sale_id": sale.id, "currency": currency, "lines": lines}, _percent(str(percent))
        )

    @staticmethod
    def _priced(effect: dict[str, Any], percent: Decimal) -> dict[str, Any]:
        factor = (100 - percent) / 100
        lines = [
            {**line, "to": str((Decimal(line["from"]) * factor).quantize(CENT, ROUND_HALF_UP))}
            for line in effect["lines"]
        ]
        total_from = sum((Decimal(x["from"]) * x["quantity"] for x in lines), Decimal(0))
        total_to = sum((Decimal(x["to"]) * x["quantity"] for x in lines), Decimal(0))
        return {
            **effect,
            "percent": str(percent),
            "lines": lines,
            "total_from": str(total_from),
            "total_to": str(total_to),
        }

    def edited(self, effect: dict[str, Any], value: str) -> dict[str, Any]:
        """The same cart with the manager's percentage."""
        return self._priced(effect, _percent(value))

    def describe(self, effect: dict[str, Any], language: str) -> str:
        """`10% off: $200.000 → $180.000`."""
        currency = effect["currency"]
        return t(
            language,
            "proposals.discount.effect",
            percent=effect["percent"],
            before=money(Decimal(effect["total_from"]), currency, language),
            after=money(Decimal(effect["total_to"]), currency, language),
        )

    async def change(self, session: AsyncSession, effect: dict[str, Any]) -> dict[str, Any]:
        """Lower each line's unit price, only if the sale is open and the line unchanged."""
        sale = await session.get(Sale, effect["sale_id"], with_for_update=True)
        if sale is None or sale.abandoned or sale.state not in OPEN_SALE:
            raise ConflictError(t(STAFF_LANGUAGE, "proposals.error.sale_closed"))
        current = await session.scalar(
            select(func.count())
            .select_from(SaleLine)
            .where(SaleLine.sale_id == sale.id, SaleLine.quoted_price.is_(None))
        )
        if current != len(effect["lines"]):
            raise ConflictError(t(STAFF_LANGUAGE, "proposals.error.cart_changed"))
        for line in effect["lines"]:
            done = await session.execute(
                update(SaleLine)
                .where(
                    SaleLine.id == line["line_id"],
                    SaleLine.sale_id == sale.id,
                    SaleLine.quantity == line["quantity"],
                    SaleLine.unit_price == Decimal(line["from"]),
                    SaleLine.quoted_price.is_(None),
                )
                .values(unit_price=Decimal(line["to"]))
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise ConflictError(t(STAFF_LANGUAGE, "proposals.error.cart_changed"))
        for loaded in sale.lines:  # the UPDATEs bypassed the rows this session holds
            await session.refresh(loaded)
        return {
            "sale_lines": {
                str(x["line_id"]): {"from": x["from"], "to": x["to"]} for x in effect["lines"]
            },
            "total": {"from": effect["total_from"], "to": effect["total_to"]},
        }


class ReserveStock:
    """Units of a product set aside for a customer: they leave the stock others can buy."""

    name = "reserve_stock"
    edit_field = "quantity"

    @staticmethod
    def effect(product: Product, quantity: int) -> dict[str, Any]:
        """The effect of reserving `quantity` units of `product` out of its stock now."""
        return {
            "product_id": product.id,
            "sku": product.sku,
            "name": product.name,
            "quantity": quantity,
            "stock_from": product.stock,
            "stock_to": product.stock - quantity,
        }

    def edited(self, effect: dict[str, Any], value: str) -> dict[str, Any]:
        """The same product with the manager's quantity."""
        if not value.strip().isdigit() or not 0 < int(value) <= int(effect["stock_from"]):
            raise InvalidInputError(
                t(STAFF_LANGUAGE, "proposals.error.quantity", stock=int(effect["stock_from"])),
                field="quantity",
            )
        quantity = int(value)
        return {**effect, "quantity": quantity, "stock_to": int(effect["stock_from"]) - quantity}

    def describe(self, effect: dict[str, Any], language: str) -> str:
        """`Reserve 5 × Casco: stock 12 → 7`."""
        return t(
            language,
            "proposals.reserve_stock.effect",
            quantity=int(effect["quantity"]),
            name=effect["name"],
            before=int(effect["stock_from"]),
            after=int(effect["stock_to"]),
        )

    async def change(self, session: AsyncSession, effect: dict[str, Any]) -> dict[str, Any]:
        """Take the units out of stock, only if the stock is still what the manager saw."""
        done = await session.execute(
            update(Product)
            .where(
                Product.id == effect["product_id"],
                Product.stock == int(effect["stock_from"]),
                Product.stock >= int(effect["quantity"]),
            )
            .values(stock=int(effect["stock_to"]), updated_at=Product.updated_at)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(t(STAFF_LANGUAGE, "proposals.error.stock_changed"))
        return {"stock": {effect["sku"]: {"from": effect["stock_from"], "to": effect["stock_to"]}}}


class Restock:
    """Units received for a product (the staff assistant proposes it): they join its stock."""

    name = "restock"
    edit_field = "quantity"

    @staticmethod
    def effect(product: Product, quantity: int) -> dict[str, Any]:
        """The effect of adding `quantity` units to `product`'s stock as it is now."""
        return {
            "product_id": product.id,
            "sku": product.sku,
            "name": product.name,
            "quantity": quantity,
            "stock_from": product.stock,
            "stock_to": product.stock + quantity,
        }

    def edited(self, effect: dict[str, Any], value: str) -> dict[str, Any]:
        """The same product with the manager's quantity."""
        if not value.strip().isdigit() or not 0 < int(value) <= MAX_RESTOCK:
            raise InvalidInputError(
                t(STAFF_LANGUAGE, "proposals.error.quantity", stock=MAX_RESTOCK), field="quantity"
            )
        quantity = int(value)
        return {**effect, "quantity": quantity, "stock_to": int(effect["stock_from"]) + quantity}

    def describe(self, effect: dict[str, Any], language: str) -> str:
        """`Restock 50 × Casco: stock 12 → 62`."""
        return t(
            language,
            "proposals.restock.effect",
            quantity=int(effect["quantity"]),
            name=effect["name"],
            before=int(effect["stock_from"]),
            after=int(effect["stock_to"]),
        )

    async def change(self, session: AsyncSession, effect: dict[str, Any]) -> dict[str, Any]:
        """Add the units to whatever the stock is now (sales meanwhile took theirs)."""
        quantity = int(effect["quantity"])
        now = await _add_stock(session, effect["product_id"], quantity)
        return {"stock": {effect["sku"]: {"from": now - quantity, "to": now}}}


class PriceChange:
    """A product's new list price (the staff assistant proposes it); carts keep their prices."""

    name = "price_change"
    edit_field = "price"

    @staticmethod
    def effect(product: Product, price: Decimal, currency: str) -> dict[str, Any]:
        """The effect of `product`'s price becoming `price`."""
        return {
            "product_id": product.id,
            "sku": product.sku,
            "name": product.name,
            "currency": currency,
            "price_from": None if product.price is None else str(product.price),
            "price": str(_price(str(price))),
        }

    def edited(self, effect: dict[str, Any], value: str) -> dict[str, Any]:
        """The same product with the manager's price."""
        return {**effect, "price": str(_price(value))}

    def describe(self, effect: dict[str, Any], language: str) -> str:
        """`Price of Casco: $38.000 → $40.000`."""
        before = effect["price_from"]
        currency = effect["currency"]
        return t(
            language,
            "proposals.price_change.effect",
            name=effect["name"],
            before=money(None if before is None else Decimal(before), currency, language),
            after=money(Decimal(effect["price"]), currency, language),
        )

    async def change(self, session: AsyncSession, effect: dict[str, Any]) -> dict[str, Any]:
        """Set the price, only if it is still the one the manager saw."""
        before = effect["price_from"]
        still = Product.price.is_(None) if before is None else Product.price == Decimal(before)
        done = await session.execute(
            update(Product)
            .where(Product.id == effect["product_id"], still)
            .values(price=Decimal(effect["price"]))
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(t(STAFF_LANGUAGE, "proposals.error.price_changed"))
        return {"price": {effect["sku"]: {"from": before, "to": effect["price"]}}}


class Quote:
    """A special quote: a quantity above the stock, or a wholesale unit price, for one product.

    Approved, the customer's cart holds the product at the quoted quantity and unit price (a
    price fixed on the line: the order keeps it, and the database refuses any lower one), with
    the units short of stock recorded on the line; the order takes from stock only what exists
    then and records the rest on backorder (`order_placement`).
    """

    name = "quote"
    edit_field = "unit_price"

    @staticmethod
    def effect(
        sale: Sale, product: Product, quantity: int, unit_price: Decimal, currency: str
    ) -> dict[str, Any]:
        """The effect of quoting `quantity` units of `product` at `unit_price` into `sale`,
        against the stock and the cart as they are now."""
        assert product.price is not None
        line = next((x for x in sale.lines if x.product_id == product.id), None)
        return Quote._priced(
            {
                "sale_id": sale.id,
                "product_id": product.id,
                "sku": product.sku,
                "name": product.name,
                "currency": currency,
                "quantity": quantity,
                "stock": product.stock,
                "short": max(0, quantity - max(product.stock, 0)),
                "list_price": str(product.price),
                "in_cart": None
                if line is None
                else {
                    "line_id": line.id,
                    "quantity": line.quantity,
                    "unit_price": str(line.unit_price),
                },
            },
            _price(str(unit_price)),
        )

    @staticmethod
    def _priced(effect: dict[str, Any], unit_price: Decimal) -> dict[str, Any]:
        total = unit_price * int(effect["quantity"])
        return {**effect, "unit_price": str(unit_price), "total": str(total)}

    def edited(self, effect: dict[str, Any], value: str) -> dict[str, Any]:
        """The same quantity with the manager's unit price."""
        return self._priced(effect, _price(value))

    def describe(self, effect: dict[str, Any], language: str) -> str:
        """`Special quote: 40 × Casco at $35.000 each (list $38.000), total $1.400.000; 24
        on backorder (16 in stock)`."""
        currency = effect["currency"]
        said = t(
            language,
            "proposals.quote.effect",
            quantity=int(effect["quantity"]),
            name=effect["name"],
            price=money(Decimal(effect["unit_price"]), currency, language),
            list_price=money(Decimal(effect["list_price"]), currency, language),
            total=money(Decimal(effect["total"]), currency, language),
        )
        if int(effect["short"]) <= 0:
            return said
        short = t(
            language, "proposals.quote.short", short=int(effect["short"]), stock=effect["stock"]
        )
        return f"{said}; {short}"

    async def change(self, session: AsyncSession, effect: dict[str, Any]) -> dict[str, Any]:
        """Put the quoted line in the cart, only if the sale is open, its line of the product
        as it was, and the stock still gives the same shortfall."""
        sale = await session.get(Sale, effect["sale_id"], with_for_update=True)
        if sale is None or sale.abandoned or sale.state not in OPEN_SALE:
            raise ConflictError(t(STAFF_LANGUAGE, "proposals.error.sale_closed"))
        stock = await session.scalar(
            select(Product.stock).where(Product.id == effect["product_id"]).with_for_update()
        )
        quantity, short = int(effect["quantity"]), int(effect["short"])
        if stock is None or max(0, quantity - max(stock, 0)) != short:
            raise ConflictError(t(STAFF_LANGUAGE, "proposals.error.stock_changed"))
        price = Decimal(effect["unit_price"])
        quoted = {"quantity": quantity, "unit_price": price, "quoted_price": price}
        before = effect["in_cart"]
        if before is None:
            line_id = await self._insert(session, sale, effect, {**quoted, "backorder": short})
        else:
            line_id = before["line_id"]
            done = await session.execute(
                update(SaleLine)
                .where(
                    SaleLine.id == line_id,
                    SaleLine.sale_id == sale.id,
                    SaleLine.product_id == effect["product_id"],
                    SaleLine.quantity == int(before["quantity"]),
                    SaleLine.unit_price == Decimal(before["unit_price"]),
                )
                .values(**quoted, backorder=short)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise ConflictError(t(STAFF_LANGUAGE, "proposals.error.cart_changed"))
        if sale.state == SaleState.STARTED:
            sale.state = SaleState.CART
        await session.flush()
        await session.refresh(sale, ["lines"])  # the statements bypassed the rows it holds
        for loaded in sale.lines:
            await session.refresh(loaded)
        return {
            "sale_lines": {
                str(line_id): {
                    "from": before,
                    "to": {"quantity": quantity, "unit_price": str(price), "backorder": short},
                }
            },
            "total": effect["total"],
        }

    @staticmethod
    async def _insert(
        session: AsyncSession, sale: Sale, effect: dict[str, Any], values: dict[str, Any]
    ) -> int:
        """A new line of the product, only if the cart still has none (else it changed)."""
        held = await session.scalar(
            select(func.count())
            .select_from(SaleLine)
            .where(SaleLine.sale_id == sale.id, SaleLine.product_id == effect["product_id"])
        )
        if held:
            raise ConflictError(t(STAFF_LANGUAGE, "proposals.error.cart_changed"))
        line_id = await session.scalar(
            insert(SaleLine)
            .values(sale_id=sale.id, product_id=effect["product_id"], **values)
            .returning(SaleLine.id)
        )
        assert line_id is not None
        return int(line_id)


_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?")


def _price(value: str) -> Decimal:
    """A price as staff write it: `40.000`, `40.000,50`, `40000,5` or `40000.50`."""
    text = value.strip().lstrip("$").strip()
    if _THOUSANDS.fullmatch(text):
        text = text.replace(".", "")
    try:
        price = Decimal(text.replace(",", "."))
    except InvalidOperation as err:
        raise InvalidInputError(t(STAFF_LANGUAGE, "proposals.error.price"), field="price") from err
    if not price.is_finite() or price <= 0 or price >= Decimal("1e12"):
        raise InvalidInputError(t(STAFF_LANGUAGE, "proposals.error.price"), field="price")
    return price.quantize(CENT)


RETURNABLE_ORDER = ("confirmed", "delivered")
"""The order statuses a return can start from (not cancelled, not refunded already)."""
REFUNDED_ORDER = "refunded"
"""An order whose every unit came back."""
PARTLY_REFUNDED_ORDER = "partially_refunded"
"""An order some of whose units came back."""


class Refund:
    """A return of an order's units (all of them, or the lines named) with their money paid
    back: the order is marked refunded (once, never above its total), the units rejoin the
    stock unless they came damaged."""

    name = "refund"
    edit_field = "amount"

    @staticmethod
    def effect(order: Order, returned: dict[int, int], *, restock: bool) -> dict[str, Any]:
        """The effect of returning `returned` (order line id → units; empty: the whole order),
        its refund computed from the unit prices charged, at most the order's total."""
        wanted = returned or {line.id: line.quantity for line in order.lines}
        lines: list[dict[str, Any]] = [
            {
                "line_id": line.id,
                "product_id": line.product_id,
                "sku": line.sku,
                "name": line.name,
                "quantity": min(wanted[line.id], line.quantity),
                "unit_price": str(line.unit_price),
            }
            for line in order.lines
            if line.id in wanted and wanted[line.id] > 0
        ]
        computed = sum((Decimal(x["unit_price"]) * x["quantity"] for x in lines), Decimal(0))
        computed = min(computed, order.total).quantize(CENT)
        whole = {x["line_id"]: x["quantity"] for x in lines} == {
            line.id: line.quantity for line in order.lines
        }
        return {
            "order_id": order.id,
            "order_date": order.created_at.date().isoformat(),
            "currency": order.currency,
            "paid": str(order.total),
            "lines": lines,
            "whole": whole,
            "restock": restock,
            "computed": str(computed),
            "amount": str(computed),
        }

    def edited(self, effect: dict[str, Any], value: str) -> dict[str, Any]:
        """The same return with the manager's refund: more than 0, at most the computed one."""
        most = Decimal(effect["computed"])
        refused = InvalidInputError(
            t(STAFF_LANGUAGE, "proposals.error.amount", most=money(most, effect["currency"])),
            field="amount",
        )
        try:
            amount = _price(value)
        except InvalidInputError as err:
            raise refused from err
        if amount > most:
            raise refused
        return {**effect, "amount": str(amount)}

    def describe(self, effect: dict[str, Any], language: str) -> str:
        """`return of order #12 (2 × Casco at $38.000): refund of $76.000, and the units go
        back to stock`."""
        currency = effect["currency"]
        lines = ", ".join(
            t(
                language,
                "proposals.refund.line",
                quantity=int(x["quantity"]),
                name=x["name"],
                price=money(Decimal(x["unit_price"]), currency, language),
            )
            for x in effect["lines"]
        )
        stock = (
            N_("proposals.refund.restock")
            if effect["restock"]
            else N_("proposals.refund.no_restock")
        )
        return t(
            language,
            "proposals.refund.effect",
            order=int(effect["order_id"]),
            lines=lines,
            amount=money(Decimal(effect["amount"]), currency, language),
            stock=t(language, stock),
        )

    async def change(self, session: AsyncSession, effect: dict[str, Any]) -> dict[str, Any]:
        """Mark the order refunded, only if it is still returnable and nothing was refunded on
        it (the database also refuses a refund above its total); put the units back."""
        amount = Decimal(effect["amount"])
        status = REFUNDED_ORDER if effect["whole"] else PARTLY_REFUNDED_ORDER
        before = await session.scalar(select(Order.status).where(Order.id == effect["order_id"]))
        done = await session.execute(
            update(Order)
            .where(
                Order.id == effect["order_id"],
                Order.status.in_(RETURNABLE_ORDER),
                Order.refunded == 0,
                Order.total >= amount,
            )
            .values(status=status, refunded=amount)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(t(STAFF_LANGUAGE, "proposals.error.order_refunded"))
        stock: dict[str, dict[str, int]] = {}
        for line in effect["lines"] if effect["restock"] else []:
            quantity = int(line["quantity"])
            now = await _add_stock(session, line["product_id"], quantity)
            stock[line["sku"]] = {"from": now - quantity, "to": now}
        order = {
            "status": {"from": before, "to": status},
            "refunded": {"from": "0", "to": str(amount)},
        }
        return {"order": {str(effect["order_id"]): order}, "stock": stock}


KINDS: dict[str, ProposalKind] = {
    kind.name: kind
    for kind in (Discount(), ReserveStock(), Restock(), PriceChange(), Quote(), Refund())
}
"""Every kind of proposal, by name."""


async def _add_stock(session: AsyncSession, product_id: int, quantity: int) -> int:
    """Add `quantity` units to whatever the product's stock is now; the stock after."""
    now = await session.scalar(
        update(Product)
        .where(Product.id == product_id)
        .values(stock=Product.stock + quantity, updated_at=Product.updated_at)
        .returning(Product.stock)
        .execution_options(synchronize_session=False)
    )
    if now is None:
        raise ConflictError(t(STAFF_LANGUAGE, "proposals.error.stock_changed"))
    return now


def kind_of(proposal: Proposal) -> ProposalKind:
    """The kind a proposal names."""
    return KINDS[proposal.kind]


async def apply(session: AsyncSession, proposal: Proposal) -> dict[str, Any]:
    """Apply an approved proposal's effect in the caller's transaction; what changed.

    Refuses (NotApprovedError, changing nothing) unless the proposal is approved and its
    approval row is in the database: no price, stock or order moves on a proposal alone.
    """
    approval = await session.scalar(
        select(ProposalAudit.id).where(
            ProposalAudit.proposal_id == proposal.id,
            ProposalAudit.decision.in_(APPROVED),
        )
    )
    if approval is None or proposal.status not in APPROVED:
        raise NotApprovedError(f"proposal {proposal.id} has no approval")
    return await kind_of(proposal).change(session, proposal.effect)
