"""What the customer reads during a sale, Spanish first, English too.

The words live here; the numbers in them (quantities, prices, totals, order numbers) are
always filled in by code from the cart and the order rows, never by a model.
"""

from __future__ import annotations

from decimal import Decimal

from agent import order_fields
from agent.i18n import money
from agent.models import Product, Sale, SaleLine
from agent.words import t
from rag_domains.sales.order_placement import sale_total

# -- the cart --------------------------------------------------------------------------------


def which_product(language: str) -> str:
    return t(language, "sales.which_product")


def not_found(language: str, text: str) -> str:
    return t(language, "sales.not_found", text=text)


def added(language: str, quantity: int, product: Product) -> str:
    return t(
        language,
        "sales.added",
        quantity=quantity,
        name=product.name,
        price=money(product.price, product.currency, language),
    )


def change_what(language: str) -> str:
    return t(language, "sales.change_what")


def changed(language: str, quantity: int, product: Product) -> str:
    return t(language, "sales.changed", quantity=quantity, name=product.name)


def swapped(language: str, old: Product, quantity: int, new: Product) -> str:
    return t(language, "sales.swapped", old=old.name, quantity=quantity, name=new.name)


def remove_what(language: str) -> str:
    return t(language, "sales.remove_what")


def removed(language: str, product: Product) -> str:
    return t(language, "sales.removed", name=product.name)


def now_empty(language: str) -> str:
    return t(language, "sales.now_empty")


def anything_else(language: str) -> str:
    return t(language, "sales.anything_else")


def add_more_or_check_out(language: str) -> str:
    return t(language, "sales.add_more_or_check_out")


def data_kept(language: str) -> str:
    return t(language, "sales.data_kept")


def cart_is_empty(language: str) -> str:
    return t(language, "sales.cart_is_empty")


# -- price and stock -------------------------------------------------------------------------


def price_on_request(language: str, product: Product) -> str:
    return t(language, "sales.price_on_request", name=product.name)


def sold_out(language: str, product: Product) -> str:
    return t(language, "sales.sold_out", name=product.name)


def can_offer(language: str) -> str:
    return t(language, "sales.can_offer")


def only_have(language: str, product: Product) -> str:
    """The start of a sentence: the stock, which the customer's request is more than."""
    return t(language, "sales.only_have", units=_units(product.stock, language), name=product.name)


def all_in_cart(language: str) -> str:
    return t(language, "sales.all_in_cart")


def add_the_rest(language: str, in_cart: int, available: int) -> str:
    so_far = t(language, "sales.add_the_rest.in_cart", in_cart=in_cart) if in_cart else "."
    return so_far + t(language, "sales.add_the_rest", available=available)


def quote_possible(language: str, quantity: int) -> str:
    """After the units there are: the full count can be quoted by a manager (README
    "Proposals")."""
    return t(language, "sales.quote_possible", quantity=quantity)


def quoted_line(language: str, line: SaleLine) -> str:
    """A manager's quote holds for its quantity: the cart line is not resized."""
    return t(language, "sales.quoted_line", name=line.product.name, quantity=line.quantity)


def sold_meanwhile(language: str, name: str, available: int) -> str:
    return t(language, "sales.sold_meanwhile", name=name, available=available)


def sold_out_meanwhile(language: str, name: str) -> str:
    return t(language, "sales.sold_out_meanwhile", name=name)


# -- customer data, confirmation, cancellation -----------------------------------------------


def welcome_back(language: str, first_name: str) -> str:
    return t(language, "sales.welcome_back", first_name=first_name)


def need_details(language: str) -> str:
    return t(language, "sales.need_details")


def confirmed(
    language: str,
    order_id: int,
    total: Decimal,
    currency: str,
    phone: str | None,
    shipping_note: str,
) -> str:
    """The order number and total, then what shipping costs (`shipping`), then who calls."""
    return t(
        language,
        "sales.confirmed",
        order_id=order_id,
        total=money(total, currency, language),
        shipping=f" {shipping_note}" if shipping_note else "",
        phone=phone or "",
    )


def shipping(
    language: str, city: str, charge: Decimal | None, free_from: Decimal | None, currency: str
) -> str:
    """What delivery to `city` costs, on top of the products' total, from the shop's zones."""
    limit = money(free_from, currency, language) if free_from is not None else ""
    if charge is None:
        return t(language, "sales.shipping.quoted", city=city)
    if charge == 0:
        if free_from is None:
            return t(language, "sales.shipping.free", city=city)
        return t(language, "sales.shipping.free_from", city=city, limit=limit)
    cost = money(charge, currency, language)
    if free_from is None:
        return t(language, "sales.shipping.cost", city=city, cost=cost)
    return t(language, "sales.shipping.cost_until", city=city, cost=cost, limit=limit)


def not_confirmed_yet(language: str) -> str:
    return t(language, "sales.not_confirmed_yet")


def what_to_change(language: str) -> str:
    return t(language, "sales.what_to_change")


def cancelled(language: str) -> str:
    return t(language, "sales.cancelled")


def advisor_cancels(language: str, order_id: int) -> str:
    return t(language, "sales.advisor_cancels", order_id=order_id)


def advisor_changes(language: str, order_id: int) -> str:
    return t(language, "sales.advisor_changes", order_id=order_id)


def already_confirmed(language: str, order_id: int, total: Decimal, currency: str) -> str:
    return t(
        language,
        "sales.already_confirmed",
        order_id=order_id,
        total=money(total, currency, language),
    )


def nothing_added(language: str) -> str:
    return t(language, "sales.nothing_added")


def no_sale(language: str) -> str:
    return t(language, "sales.no_sale")


# -- lists, the cart and the summary ---------------------------------------------------------


def choices(language: str, options: list[Product], intro: str | None) -> str:
    """The options numbered, so that "el 2" picks the second."""
    lines = "".join(
        f"\n{i}. {p.name}: {money(p.price, p.currency, language)}"
        + (t(language, "sales.choices.out_of_stock") if p.stock <= 0 else "")
        for i, p in enumerate(options, 1)
    )
    question = intro or t(language, "sales.choices.which")
    return f"{question}{lines}"


def cart(language: str, sale: Sale, currency: str) -> str:
    lines = "".join(
        f"\n• {line.quantity} × {line.product.name}: "
        f"{money(line.unit_price * line.quantity, currency, language)}"
        + (t(language, "sales.cart.backorder", backorder=line.backorder) if line.backorder else "")
        for line in sale.lines
    )
    total = money(sale_total(sale), currency, language)
    return t(language, "sales.cart") + f"{lines}\n*Total: {total}*"


def summary(language: str, sale: Sale, currency: str, shipping_note: str) -> str:
    """The cart, what shipping costs (`shipping`), the customer's data, and the question only
    a plain yes answers."""
    fields: dict[str, str] = sale.data.get("customer", {})
    data = "".join(
        f"\n{order_fields.label(f, language)}: {fields[f]}"
        for f in (*order_fields.REQUIRED, *order_fields.OPTIONAL)
        if fields.get(f)
    )
    heading = t(language, "sales.summary.heading")
    question = t(language, "sales.summary.confirm")
    items = cart(language, sale, currency).split("\n", 1)[1]
    if shipping_note:
        items = f"{items}\n{shipping_note}"
    return f"{heading}\n{items}\n{data.strip()}\n\n{question}"


def _units(count: int, language: str) -> str:
    if count == 1:
        return t(language, "sales.units.one", count=count)
    return t(language, "sales.units.many", count=count)
