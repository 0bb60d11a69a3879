"""A customer's request for what the agent may not grant alone, read by rules.

A discount is asked with its percentage ("¿me dejan el 15% de descuento?", "can I get 15%
off?"); a request without a number is left to the handlers as before. A reservation asks to
set the cart aside ("¿me los pueden apartar hasta el viernes?", "can you hold them for me?").
A special quote asks for a wholesale price or a quantity above the stock ("precio por mayor de
200 cascos", "bulk price for 300", "cotícenme las 40").
A return or refund asks to give back an order or its products, or for the money back
("quiero devolver el pedido 1234", "devuélvanme la plata", "refund please"); a question about
the returns policy ("¿cómo hago una devolución?", "can I return it if it doesn't fit?") is not
one, and the company handler answers it as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from agent.nlu.numbers import read_number
from agent.nlu.trade_terms import TRADE_GROUPS
from agent.quantities import NUMBER_VALUES, ONES
from agent.text import normalize, singular, tokens

_SPELLED_WORD = "|".join(sorted(NUMBER_VALUES, key=len, reverse=True))
# Any number, whatever its size: "150%" is a discount asked (and refused), never 150 units.
_NUMBER = (
    rf"(?<![\d.,])(\d{{1,6}}(?:[.,]\d{{1,2}})?"
    rf"|\b(?:{_SPELLED_WORD})(?: (?:y |and )?(?:{_SPELLED_WORD}))*)"
)
_PERCENT = rf"{_NUMBER} ?(?:%|por ?ciento|porciento|percent|per cent|pct)"
_DISCOUNT = r"(?:descuentos?|rebajas?|descontar|descuenten|discounts?|off)"
_ASK = re.compile(
    rf"{_PERCENT}(?: [a-z]+){{0,3}} {_DISCOUNT}\b|\b{_DISCOUNT}(?: [a-z]+){{0,3}} {_PERCENT}"
)
_NOT_WORD = re.compile(r"[^\w%.,]+")


def discount_asked(text: str) -> Decimal | None:
    """The percentage of discount the message asks for, or None when it asks for none; above
    100 too ("¿me dejan el 150%?"): the caller refuses it, it is no quantity."""
    words = _NOT_WORD.sub(" ", normalize(text)).strip()
    found = _ASK.search(words)
    if found is None:
        return None
    number = found.group(1) or found.group(2)
    if number[0].isdigit():
        percent = Decimal(number.replace(",", "."))
    else:
        spelled = read_number(number.split(), 0)  # whole: spelled numbers have no decimals
        percent = Decimal(0) if spelled is None else Decimal(int(spelled.value))
    return percent if percent > 0 else None


# Verb forms only: "apartamento" (an address) and "por separado" are not a reservation.
_RESERVE = re.compile(
    r"\b(?:apart|reserv|separ)(?:ar|a|e|en|an|ad)(?:me|nos|se)?(?:lo|la|los|las)?\b"
    r"|\breserv(?:e|ar|ame|arme)\b|\bhacer una reserva\b"
    r"|\b(?:put|set) (?:them |it |those |these )?aside\b"
    r"|\bhold (?:them|it|those|these|the \w+) for (?:me|us)\b"
)


def reservation_asked(text: str) -> bool:
    """Whether the message asks to set products aside for the customer."""
    return _RESERVE.search(_NOT_WORD.sub(" ", normalize(text))) is not None


@dataclass(frozen=True, slots=True)
class QuoteAsk:
    """A request for a special quote: its quantity (the largest count said, if any), and
    whether it names a wholesale price ("por mayor") rather than asking for a quote or what
    price they would get ("cotícenme las 300", "¿cuánto me dejan si llevo 200?")."""

    quantity: int | None
    wholesale: bool
    insists: bool
    """It asks for a quote, or for all or the full count ("las 300 completas", "all 300")."""


_WHOLESALE = re.compile(
    r"\b(?:al |por )mayor\b|\bmayorist[ae]s?\b|\bmayoreo\b|\bwholesale\b|\bbulk\b"
    r"|\bprecio (?:especial|por volumen|por cantidad)\b|\bvolume (?:price|pricing)\b"
)
_HAGGLE = re.compile(
    r"\bcuanto me (?:deja|dejan|dejas|dejarian|sale|salen|hace|hacen|das|dan)\b"
    r"|\bque precio me (?:da|dan|das|deja|dejan|hace|hacen)\b"
    r"|\bhow much (?:would|will|can|could) you (?:do|charge|give|sell)\b"
    r"|\bwhat price (?:can|could|would|will) you\b|\bbest price\b"
)
_QUOTE = re.compile(
    r"\bcotiz\w*|\bcotic\w*|\bcotizacion\w*|\bquote\b|\bquotation\b"
    r"|\bcomplet[ao]s\b|\btod[ao]s las?\b|\ball (?:the )?\d|\bthe full\b|\bthe whole\b"
)
_COUNT = re.compile(r"(?<![\d.,$])(\d{1,3}(?:\.\d{3})+|\d{1,6})(?![\d%]|[.,]\d| ?%| ?por ?ciento)")


def quote_asked(text: str) -> QuoteAsk | None:
    """The special quote the message asks for, or None when it asks for none."""
    words = normalize(text)
    wholesale = _WHOLESALE.search(words) is not None
    insists = _QUOTE.search(words) is not None
    if not (wholesale or insists or _HAGGLE.search(words)):
        return None
    counts = [int(found.replace(".", "")) for found in _COUNT.findall(words)]
    quantity = max(counts) if counts else None
    return QuoteAsk(quantity if quantity else None, wholesale, insists)


_RETURN_VERB = (
    r"(?:devolver(?:l[oa]s?|les)?|regresar(?:l[oa]s?)?|retornar(?:l[oa]s?)?"
    r"|hacer (?:la |una )?devolucion|la devolucion|una devolucion|el reembolso|un reembolso"
    r"|(?:mi |la |el )?(?:plata|dinero) de vuelta)"
)
_REFUND = re.compile(
    r"\b(?:quiero|quisiera|queremos|necesito|necesitamos|deseo|deseamos|vengo a|voy a|vamos a"
    r"|me gustaria|solicito|pido|pedimos)(?: (?:que me|que nos|hacer|pedir|solicitar))?"
    rf"(?: {_RETURN_VERB}\b| que (?:me|nos) (?:devuelvan|reembolsen|regresen)\b)"
    r"|\b(?:devuelvan|devuelve|devuelva|reembolsen|reembolsa|reintegren)(?:me|nos)\b"
    r"|\bme (?:devuelven|reembolsan) (?:la plata|el dinero|mi dinero|lo que pague)\b(?!.* si )"
    r"|\b(?:want|need|like|would like|wanna|request|requesting|get|give me|issue)"
    r" (?:a |my |the |to get (?:a |my )?)?(?:refund|money back)\b"
    r"|\b(?:want|need|like|wanna) to (?:return|send back|get a refund)\b"
    r"|\brefund (?:please|me|my|the|this|order|for|it|them)\b|\bplease refund\b"
    r"|\breturn (?:my |the |this )?order\b"
)
_POLICY = re.compile(
    r"\b(?:politica|policy|como (?:hago|es|funciona|se hace)|how (?:do|does|can|long|much)"
    r"|cuanto tiempo|cuantos dias|plazo|si no (?:me|le|les|nos|lo|la|los|las)|if (?:it|they|i)"
    r"|se puede|aceptan|do you accept)\b"
)
_ORDER = re.compile(
    r"(?:\b(?:pedido|orden|order|compra)(?: (?:numero|number|nro|no|n))?\.? ?#? ?|#)(\d{1,9})\b"
)
_DAMAGED = re.compile(
    r"\b(?:da[nñ]ad[oa]s?|rot[oa]s?|quebrad[oa]s?|defectuos[oa]s?|defecto|averiad[oa]s?"
    r"|damaged|broken|defective|faulty)\b"
)
_HEAD_WORDS = {
    singular(normalize(english)): singular(normalize(spanish[0]).split()[0])
    for _, spanish, english_terms in TRADE_GROUPS
    for english in english_terms
    if " " not in english
}
"""English product words → the Spanish head word of a catalog name ("gloves" → "guante")."""


@dataclass(frozen=True, slots=True)
class RefundAsk:
    """A return or refund asked: the order named (None: not said) and whether the goods came
    damaged (then they do not go back to the stock others buy from)."""

    order_id: int | None
    damaged: bool


def refund_asked(text: str) -> RefundAsk | None:
    """The return or refund the message asks for, or None when it asks for none."""
    words = normalize(text)
    if _REFUND.search(words) is None or _POLICY.search(words) is not None:
        return None
    return RefundAsk(order_named(text), _DAMAGED.search(words) is not None)


def order_named(text: str) -> int | None:
    """The order number a message names ("el pedido 1234", "order #1234", "#1234")."""
    found = _ORDER.search(normalize(text))
    return int(found.group(1)) if found else None


_ORDER_ALONE = re.compile(r"(?:(?:el|la|del|the|pedido|orden|order|numero|number) |#)*#?(\d{1,9})")


def order_answered(text: str) -> int | None:
    """The order number of an answer to "which order?": "el 1234", "#1234", "pedido 1234"."""
    found = _ORDER_ALONE.fullmatch(normalize(text).strip(" .!?¿¡"))
    return int(found.group(1)) if found else order_named(text)


def lines_named(text: str, names: list[str]) -> dict[int, int | None]:
    """Which of an order's lines (by position in `names`) the message names, with the units
    said before the product ("2 cascos"), None when it gives none. A word several names start
    with ("extintor") is narrowed by the words after it ("extintor PQS")."""
    words = [_HEAD_WORDS.get(word, word) for word in map(singular, tokens(text))]
    named_words = [[singular(word) for word in tokens(name)] for name in names]
    named: dict[int, int | None] = {}
    for i, word in enumerate(words):
        if len(word) < 4:
            continue
        found = [p for p, name in enumerate(named_words) if name[:1] == [word]]
        after = set(words[i + 1 : i + 4])
        overlap = {p: len(after & set(named_words[p][1:])) for p in found}
        best = max(overlap.values(), default=0)
        for position in found:
            if overlap[position] == best and position not in named:
                named[position] = _units_before(words, i)
    return named


_ONE = frozenset({"un", "una", "uno", "one", "an", "a"})


def _units_before(words: list[str], i: int) -> int | None:
    before = words[i - 1] if i > 0 else ""
    if before.isdigit() and 0 < int(before) < 10_000:
        return int(before)
    if before in _ONE:
        return 1
    return ONES.get(before) or None
