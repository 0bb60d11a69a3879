"""What the customer reads during a sale, Spanish first, English too.

The words live here; the numbers in them (quantities, prices, totals, order numbers) are
always filled in by code from the cart and the order rows, never by a model.
"""

from __future__ import annotations

from decimal import Decimal

from agent import order_fields
from agent.i18n import money, say
from agent.models import Product, Sale
from rag_domains.sales.order_placement import sale_total

# -- the cart --------------------------------------------------------------------------------


def which_product(language: str) -> str:
    return say(
        language,
        es='¿Qué producto quieres agregar? Por ejemplo: "2 extintores de 10 libras".',
        en='Which product would you like to add? For example: "2 fire extinguishers 10 lb".',
    )


def not_found(language: str, text: str) -> str:
    return say(
        language,
        es=f'No encontré "{text}" en nuestro catálogo. ¿Lo describes de otra forma?',
        en=f'I couldn\'t find "{text}" in our catalog. Could you describe it another way?',
    )


def added(language: str, quantity: int, product: Product) -> str:
    return say(
        language,
        es=f"Agregué {quantity} × {product.name} ({money(product.price)} c/u).",
        en=f"Added {quantity} × {product.name} ({money(product.price, language='en')} each).",
    )


def change_what(language: str) -> str:
    return say(
        language,
        es='¿De cuál producto y a qué cantidad? Por ejemplo: "que sean 3 cascos".',
        en='Which product, and what quantity? For example: "make it 3 helmets".',
    )


def changed(language: str, quantity: int, product: Product) -> str:
    return say(
        language,
        es=f"Listo, ahora son {quantity} × {product.name}.",
        en=f"Done, it's now {quantity} × {product.name}.",
    )


def remove_what(language: str) -> str:
    return say(language, es="¿Cuál producto quito?", en="Which product should I remove?")


def removed(language: str, product: Product) -> str:
    return say(
        language,
        es=f"Quité {product.name} del carrito.",
        en=f"Removed {product.name} from the cart.",
    )


def now_empty(language: str) -> str:
    return say(language, es="Tu carrito quedó vacío.", en="Your cart is now empty.")


def anything_else(language: str) -> str:
    return say(
        language,
        es="¿Algo más, o finalizamos la compra?",
        en="Anything else, or shall we check out?",
    )


def add_more_or_check_out(language: str) -> str:
    return say(
        language,
        es="¿Agregamos algo más o finalizamos la compra?",
        en="Shall we add something else or check out?",
    )


def cart_is_empty(language: str) -> str:
    return say(
        language,
        es="Tu carrito está vacío. ¿Qué producto te agrego?",
        en="Your cart is empty. Which product shall I add?",
    )


# -- price and stock -------------------------------------------------------------------------


def price_on_request(language: str, product: Product) -> str:
    return say(
        language,
        es=f"{product.name} tiene precio a consultar, así que un asesor te lo cotiza.",
        en=f"{product.name} is priced on request, so a sales advisor will quote it.",
    )


def sold_out(language: str, product: Product) -> str:
    return say(
        language,
        es=f"Lo siento, {product.name} está agotado.",
        en=f"Sorry, {product.name} is out of stock.",
    )


def can_offer(language: str) -> str:
    return say(
        language,
        es=" Te puedo ofrecer (respóndeme con el número):",
        en=" I can offer (reply with the number):",
    )


def only_have(language: str, product: Product) -> str:
    """The start of a sentence: the stock, which the customer's request is more than."""
    return say(
        language,
        es=f"Solo tenemos {_units(product.stock, language)} de {product.name}",
        en=f"We only have {_units(product.stock, language)} of {product.name}",
    )


def all_in_cart(language: str) -> str:
    return say(language, es=" y ya están en tu carrito.", en=" and they are all in your cart.")


def add_the_rest(language: str, in_cart: int, available: int) -> str:
    return say(
        language,
        es=(f" y ya tienes {in_cart} en el carrito." if in_cart else ".")
        + f" ¿Te agrego {available}?",
        en=(f" and you already have {in_cart} in the cart." if in_cart else ".")
        + f" Shall I add {available}?",
    )


def sold_meanwhile(language: str, name: str, available: int) -> str:
    return say(
        language,
        es=f"Lo siento, mientras confirmabas se vendieron unidades de {name}: quedan "
        f"{available}. Ajusté tu carrito.",
        en=f"Sorry, some units of {name} sold while you were confirming: "
        f"{available} left. I adjusted your cart.",
    )


def sold_out_meanwhile(language: str, name: str) -> str:
    return say(
        language,
        es=f"Lo siento, {name} se agotó mientras confirmabas y lo quité del carrito.",
        en=f"Sorry, {name} sold out while you were confirming; I removed it.",
    )


# -- customer data, confirmation, cancellation -----------------------------------------------


def welcome_back(language: str, first_name: str) -> str:
    return say(
        language,
        es=f"¡Qué bueno tenerte de nuevo, {first_name}! Ya tengo tus datos.",
        en=f"Great to have you back, {first_name}! I have your details.",
    )


def need_details(language: str) -> str:
    return say(
        language,
        es="¡Perfecto! Para el pedido necesito unos datos.",
        en="Great! I need a few details for the order.",
    )


def confirmed(
    language: str, order_id: int, total: Decimal, currency: str, phone: str | None
) -> str:
    return say(
        language,
        es=f"¡Listo! Tu pedido *#{order_id}* quedó confirmado por "
        f"{money(total, currency)}. Te contactaremos al {phone} "
        "para coordinar el pago y la entrega. ¡Gracias por tu compra!",
        en=f"Done! Your order *#{order_id}* is confirmed for "
        f"{money(total, currency, 'en')}. We'll contact you at "
        f"{phone} to arrange payment and delivery. Thank you!",
    )


def not_confirmed_yet(language: str) -> str:
    return say(
        language,
        es="Tu pedido aún no está confirmado, lo dejo pendiente.",
        en="Your order is not confirmed yet; I'll keep it open.",
    )


def what_to_change(language: str) -> str:
    return say(
        language,
        es="Sin problema. ¿Qué quieres cambiar? Puedes cambiar cantidades, quitar o "
        "agregar productos, corregir tus datos, o escribir *cancelar*.",
        en="No problem. What would you like to change? You can change quantities, "
        "add or remove products, correct your details, or type *cancel*.",
    )


def cancelled(language: str) -> str:
    return say(
        language,
        es="Listo, cancelé tu pedido. Si quieres empezar de nuevo, dime qué necesitas.",
        en="Done, I cancelled your order. If you want to start again, tell me what you need.",
    )


def advisor_cancels(language: str, order_id: int) -> str:
    return say(
        language,
        es=f"Tu pedido #{order_id} ya fue confirmado; para cancelarlo te atiende un asesor.",
        en=f"Your order #{order_id} is already confirmed; a sales advisor will help you cancel it.",
    )


def already_confirmed(language: str, order_id: int, total: Decimal, currency: str) -> str:
    return say(
        language,
        es=f"Tu pedido #{order_id} ya quedó confirmado por "
        f"{money(total, currency)}. ¿Te ayudo con algo más?",
        en=f"Your order #{order_id} is already confirmed for "
        f"{money(total, currency, 'en')}. Anything else?",
    )


def nothing_added(language: str) -> str:
    return say(
        language,
        es="Listo, no agrego nada por ahora. Aquí estoy cuando lo decidas.",
        en="Sure, I won't add anything for now. I'm here when you decide.",
    )


def no_sale(language: str) -> str:
    return say(
        language,
        es="No tienes un pedido en curso. ¿Qué producto te interesa?",
        en="You don't have an order in progress. Which product are you interested in?",
    )


# -- lists, the cart and the summary ---------------------------------------------------------


def choices(language: str, options: list[Product], intro: str | None) -> str:
    """The options numbered, so that "el 2" picks the second."""
    lines = "".join(
        f"\n{i}. {p.name}: {money(p.price, language=language)}"
        + (say(language, es=" (agotado)", en=" (out of stock)") if p.stock <= 0 else "")
        for i, p in enumerate(options, 1)
    )
    question = intro or say(
        language,
        es="¿Cuál de estos quieres? Respóndeme con el número.",
        en="Which of these would you like? Reply with the number.",
    )
    return f"{question}{lines}"


def cart(language: str, sale: Sale, currency: str) -> str:
    lines = "".join(
        f"\n• {line.quantity} × {line.product.name}: "
        f"{money(line.unit_price * line.quantity, currency, language)}"
        for line in sale.lines
    )
    total = money(sale_total(sale), currency, language)
    return say(language, es="*Tu carrito*", en="*Your cart*") + f"{lines}\n*Total: {total}*"


def summary(language: str, sale: Sale, currency: str) -> str:
    """The cart and the customer's data, and the question only a plain yes answers."""
    fields: dict[str, str] = sale.data.get("customer", {})
    data = "".join(
        f"\n{order_fields.label(f, language)}: {fields[f]}"
        for f in (*order_fields.REQUIRED, *order_fields.OPTIONAL)
        if fields.get(f)
    )
    heading = say(language, es="*Resumen de tu pedido*", en="*Your order summary*")
    question = say(
        language,
        es="¿Confirmas el pedido? Responde *sí* para confirmar o *no* para cambiar algo.",
        en="Do you confirm the order? Reply *yes* to confirm or *no* to change something.",
    )
    items = cart(language, sale, currency).split("\n", 1)[1]
    return f"{heading}\n{items}\n{data.strip()}\n\n{question}"


def _units(count: int, language: str) -> str:
    if language == "en":
        return f"{count} unit" if count == 1 else f"{count} units"
    return f"{count} unidad" if count == 1 else f"{count} unidades"
