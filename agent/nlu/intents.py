"""Choosing the intent of a message from its cues, its products and the conversation's state.

Each rule proposes an intent with a tier and a confidence. The highest tier wins, then the
highest confidence: a handoff request beats everything, what the customer asks about
(price, stock, the company) beats a bare product mention, and a greeting only wins when
nothing else was said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.models import SaleState
from agent.nlu.consent import yes_words
from agent.nlu.contacts import BuyerData
from agent.nlu.cues import Cue, only
from agent.nlu.products import ProductReading
from agent.nlu.types import DialogState, Entities

_BUYING_STATES = (SaleState.CART, SaleState.COLLECTING_DATA, SaleState.READY_TO_CONFIRM)
_DATA_STATES = (SaleState.COLLECTING_DATA, SaleState.READY_TO_CONFIRM)
# Cues that ask for something else than the yes or no the summary is waiting for.
_ACTION_CUES = frozenset(
    [
        Cue.CANCEL,
        Cue.REMOVE,
        Cue.CHANGE,
        Cue.CART,
        Cue.CART_TOTAL,
        Cue.PRICE,
        Cue.STOCK,
        Cue.INFO,
        Cue.SHIPPING,
        Cue.PAYMENT,
        Cue.ADD,
    ]
)
_COMPANY = (
    (Cue.WARRANTY, 0.92),
    (Cue.PAYMENT, 0.91),
    (Cue.SHIPPING, 0.9),
    (Cue.RETURNS, 0.9),
    (Cue.HOURS, 0.9),
    (Cue.LOCATION, 0.9),
    (Cue.CONTACT, 0.9),
    (Cue.ABOUT, 0.88),
)
_VERIFYING = ("customer.lookup", "customer.history")
"""Offers that ask for the phone on file before customer data is shown (agent/identity.py)."""
_ACKNOWLEDGING = frozenset(["ok", "okay", "oki", "okey", "listo", "vale", "perfecto", "bueno"])
_AGREEING = frozenset(
    ["si", "sii", "sip", "dale", "dele", "hagale", "claro", "yes", "yeah", "sure"]
)
_DECLINING = frozenset([Cue.DEFER, Cue.NO, Cue.HOLD, Cue.YES, Cue.THANKS, Cue.GOODBYE])
"""Cues a "not now" may come with ("ok, déjeme lo pienso, gracias"); any other asks for more."""
_STATED_PRICE = re.compile(r"\b(?:price|precio|valor) (?:of|de) \d")
_SMALLTALK = ((Cue.GOODBYE, 0.91), (Cue.THANKS, 0.9), (Cue.GREETING, 0.89))


@dataclass(slots=True)
class Evidence:
    """What the reader found in one message, and the state it was said in."""

    cues: set[Cue]
    words: list[str]
    products: ProductReading
    buyer: BuyerData
    state: DialogState
    only_products: bool
    """The message is nothing but product mentions (and quantities): "cascos", "2 extintores"."""


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    """The rules' intent, how sure they are, and the tier of the rule that chose it (5: a
    handoff, a cancel or the answer to the summary; 4: what the customer asks about; 3: data
    or products to add; 2: a bare product or quantity; 1: small talk; 0: nothing recognised)."""

    intent: str
    confidence: float
    tier: int


@dataclass(slots=True)
class _Ballot:
    proposals: list[tuple[int, float, str]] = field(default_factory=list)

    def propose(self, tier: int, confidence: float, intent: str) -> None:
        self.proposals.append((tier, confidence, intent))

    @property
    def best(self) -> tuple[int, float, str]:
        """The highest tier, then the highest confidence; the first proposed on a tie."""
        return max(self.proposals, key=lambda proposal: proposal[:2])


def decide(evidence: Evidence) -> RuleVerdict:
    """The intent (`top.sub`) of a message, how sure the rules are of it, and the rule's tier."""
    ballot = _Ballot()
    # Nothing recognised: a model should read it (empty of words, it is surely nothing).
    ballot.propose(0, 0.3 if evidence.words else 0.2, "other")
    cues, state = evidence.cues, evidence.state
    mentions = evidence.products.mentions
    quantity = evidence.products.bare_quantity
    buying = state.has_cart or state.sale_state in _BUYING_STATES
    shown = bool(state.last_products)
    broad = bool(mentions) and all(m.broad and m.quantity is None for m in mentions)

    if Cue.HANDOFF in cues:
        ballot.propose(5, 0.95, "handoff")
    if Cue.IDENTITY in cues:
        # "¿hablo con una persona o con una máquina?" asks who answers, not for a person.
        ballot.propose(5, 0.96, "smalltalk.identity")
    if Cue.CANCEL in cues and (buying or not mentions):
        # With nothing being bought, "never mind, do you have orange helmets?" asks anew.
        ballot.propose(5, 0.92, "purchase.cancel")
    if state.sale_state == SaleState.READY_TO_CONFIRM:
        _summary_answer(evidence, ballot)
    elif (state.offer or shown) and _declines(evidence):
        # "por ahora no", "déjame consultarlo", "ok déjeme lo pienso": nothing is added.
        ballot.propose(5, 0.85, "purchase.deny")
    elif (
        state.offer
        and not mentions
        and Cue.GOODBYE not in cues
        and only(Cue.YES, evidence.words[:1])
        and not _acknowledges(evidence)
    ):
        # "sí" or "sí, cotícemelo" to what the last reply offered; a cancel still wins.
        ballot.propose(5, 0.9, state.offer)
    elif state.sale_state == SaleState.CLOSED and only(Cue.YES, evidence.words):
        ballot.propose(4, 0.85, "purchase.confirm")  # the order is placed: it says so
    elif Cue.YES in cues and only(Cue.YES, evidence.words):
        ballot.propose(0, 0.35, "other")  # a yes to a question the reader cannot see

    if Cue.REMOVE in cues and buying and (mentions or Cue.CLITIC in cues or shown):
        ballot.propose(4, 0.92 if mentions else 0.75, "purchase.remove")
    if Cue.CHANGE in cues and buying and (mentions or quantity is not None):
        ballot.propose(4, 0.93, "purchase.change")
    elif Cue.CHANGE in cues and buying and not evidence.buyer.any():
        ballot.propose(4, 0.65, "purchase.change")  # "cambie eso"; "cambie el celular" is data
    if Cue.CART_TOTAL in cues:
        # "¿cuánto me sale todo?" while buying is the cart's total, not a product's price.
        ballot.propose(4, 0.95 if buying else 0.92, "purchase.cart")
    if Cue.BARE_TOTAL in cues and buying:
        ballot.propose(4, 0.93, "purchase.cart")  # "¿cuánto es?" right after adding
    if Cue.CART in cues:
        ballot.propose(4, 0.88 if buying else 0.65, "purchase.cart")
    if Cue.CHECKOUT in cues:
        # While buying, "eso es todo, ¿cómo pago?" closes the cart before it asks how to pay.
        ballot.propose(4, 0.92 if buying else 0.7, "purchase.checkout")
    if Cue.HISTORY in cues:
        ballot.propose(4, 0.9, "customer.history")
    for cue, confidence in _COMPANY:
        if cue in cues:
            ballot.propose(4, confidence, cue.value)
    if Cue.CATALOG in cues:
        ballot.propose(4, 0.92, "inventory.catalog")
    if Cue.CATALOG_WEAK in cues and not mentions:
        ballot.propose(4, 0.85, "inventory.catalog")
    if Cue.PRICE in cues and not _STATED_PRICE.search(" ".join(evidence.words)):
        # "at the special price of $1.000" states a price (never taken), it does not ask one.
        ballot.propose(4, 0.9 if mentions or shown else 0.7, "inventory.price")
    price = evidence.products.price
    if price is not None and price.bounded:
        # "botas talla 41 por menos de 150 mil" asks what there is, even after "necesito".
        ballot.propose(4, 0.89 if mentions or shown else 0.75, "inventory.price")
    elif price is not None and quantity is not None and shown:
        ballot.propose(3, 0.88, "purchase.add")  # "el más barato, 20 pares"
    elif price is not None:
        # "el más barato", "y el más caro?": below a plain "deme 3" of what was shown.
        ballot.propose(3, 0.86 if mentions or shown else 0.6, "inventory.price")
    if Cue.STOCK in cues:
        ballot.propose(4, 0.88 if mentions else 0.8 if shown else 0.6, "inventory.stock")
    elif Cue.HAVE in cues and mentions and not broad:
        ballot.propose(4, 0.85, "inventory.stock")  # "¿hay botas talla 42?"
    if Cue.INFO in cues:
        if mentions or shown:
            ballot.propose(4, 0.86, "inventory.product")
        else:
            ballot.propose(3, 0.55, "inventory.product")

    _buyer_data(evidence, ballot, buying)
    _adding(evidence, ballot, buying, shown)

    if broad and len(mentions) == 1:
        if cues & {Cue.CATEGORY, Cue.HAVE}:
            ballot.propose(3, 0.85, "inventory.category")
        elif evidence.only_products:
            ballot.propose(3, 0.8, "inventory.category")
        elif Cue.STOCK in cues:
            ballot.propose(3, 0.6, "inventory.category")
    if mentions:
        ballot.propose(2, 0.7, "inventory.product")
    elif evidence.products.asked is not None:
        ballot.propose(3, 0.75, "inventory.product")  # "¿venden detectores de humo?"
    if evidence.products.unoffered is not None:
        # "¿me bordan el logo en los overoles?": a service the shop may not do, asked of it.
        ballot.propose(5, 0.9, "inventory.product")
    if quantity is not None and shown:
        ballot.propose(2, 0.6, "purchase.add")
    for cue, confidence in _SMALLTALK:
        if cue in cues:
            ballot.propose(1, confidence, cue.value)
    tier, _, intent = ballot.best
    return RuleVerdict(intent, _honest(ballot), tier)


def _summary_answer(evidence: Evidence, ballot: _Ballot) -> None:
    """A yes or a no to the order summary, which is all that state is waiting for."""
    cues, words = evidence.cues, evidence.words
    if only(Cue.YES, words) or yes_words(words):
        ballot.propose(5, 0.95, "purchase.confirm")
    elif only(Cue.NO, words):
        ballot.propose(5, 0.92, "purchase.deny")
    elif Cue.HOLD in cues and not _acts(evidence, cues - {Cue.ADD}):
        # "espera", "dame un segundo", "sí pero primero…": the summary stays open.
        ballot.propose(5, 0.9, "other")
    elif _acts(evidence, cues):
        return  # "el celular está mal, es 3127654321" corrects the data
    elif Cue.NO in cues:
        ballot.propose(5, 0.7, "purchase.deny")
    # A yes mixed with other words ("sí pero…", "si me hacen descuento") is not a yes: the
    # rest of the message decides, and the summary stays open (agent/nlu/consent.py).


def _acknowledges(evidence: Evidence) -> bool:
    """ "ok gracias", "listo, gracias": thanks that close the exchange, not a yes to the offer
    (an agreeing word, "sí gracias", "dale gracias", still says yes)."""
    words = evidence.words
    return (
        evidence.cues == {Cue.YES, Cue.THANKS}
        and words[0] in _ACKNOWLEDGING
        and not any(word in _AGREEING for word in words)
    )


def _declines(evidence: Evidence) -> bool:
    """A no, or a "not yet", to what the last reply offered, asking for nothing else."""
    cues, words = evidence.cues, evidence.words
    if evidence.products.mentions or evidence.products.bare_quantity is not None:
        return False
    if cues - _DECLINING:
        return False  # "¿y más tarde abren?" asks something
    return Cue.DEFER in cues or only(Cue.NO, words)


def _acts(evidence: Evidence, cues: set[Cue]) -> bool:
    """Whether the message asks for something (a change, a question) or gives data."""
    return bool(cues & _ACTION_CUES) or evidence.buyer.any() or bool(evidence.products.mentions)


def _buyer_data(evidence: Evidence, ballot: _Ballot, buying: bool) -> None:
    """The buyer giving their data: asked for, offered while buying, or to be looked up."""
    buyer, state, cues = evidence.buyer, evidence.state, evidence.cues
    data, pending = buyer.entities, state.pending_field
    if pending is not None and getattr(data, pending, None) is not None:
        ballot.propose(4, 0.93, "purchase.data")
    elif state.sale_state in _DATA_STATES and (data.national_id or data.phone or data.address):
        # "wait, the phone is wrong, it's 3001112233" corrects the data, it asks nothing.
        ballot.propose(4, 0.94, "purchase.data")
    elif state.offer in _VERIFYING and data.phone is not None and not buying:
        ballot.propose(4, 0.93, state.offer)  # the phone on file, asked to prove who they are
    elif buyer.any() and (buying or pending is not None):
        ballot.propose(3, 0.85, "purchase.data")
    if Cue.LOOKUP in cues:
        known = data.national_id is not None or data.name is not None
        ballot.propose(3, 0.9 if known else 0.85, "customer.lookup")
    elif _contact_block(data) and not buying:
        # "Ana Ruiz, cc 43123456, cel 3112223344, Cra 7 # 12-30": data for an order, not a
        # question about the customer on file; sure enough that the classifier keeps it.
        ballot.propose(3, 0.86, "purchase.data")
    elif data.national_id is not None and not buying and pending is None:
        ballot.propose(3, 0.8, "customer.lookup")
    elif buyer.any() and not buying and pending is None and Cue.GREETING not in cues:
        ballot.propose(3, 0.55, "purchase.data")


def _contact_block(data: Entities) -> bool:
    """Whether the message gives the data an order needs, more than who the customer is."""
    extra = (data.name, data.phone, data.city, data.address, data.email)
    return data.address is not None or sum(value is not None for value in extra) >= 3


def _adding(evidence: Evidence, ballot: _Ballot, buying: bool, shown: bool) -> None:
    """Putting products in the cart: named, counted, or "those" the customer was just shown."""
    cues, mentions = evidence.cues, evidence.products.mentions
    quantity = evidence.products.bare_quantity
    wants = Cue.ADD in cues
    if wants and mentions:
        ballot.propose(3, 0.9, "purchase.add")
    elif wants and quantity is not None:
        ballot.propose(3, 0.88 if shown or buying else 0.7, "purchase.add")
    elif (wants or Cue.CLITIC in cues) and (shown or buying):
        ballot.propose(3, 0.8, "purchase.add")
    if Cue.MORE in cues and (mentions or quantity is not None or shown):
        ballot.propose(3, 0.85, "purchase.add")
    if shown and not mentions and (Cue.SELECT in cues or evidence.products.described):
        ballot.propose(3, 0.75, "purchase.add")  # "el primero", "los blancos"
    if any(m.quantity is not None for m in mentions):
        ballot.propose(3, 0.82, "purchase.add")


def _honest(ballot: _Ballot) -> float:
    """The winner's confidence, lowered when a different kind of intent came close."""
    tier, confidence, intent = ballot.best
    top = intent.split(".", 1)[0]
    contested = any(
        t == tier and i.split(".", 1)[0] != top and confidence - c < 0.03
        for t, c, i in ballot.proposals
    )
    return max(0.0, confidence - 0.1) if contested else confidence
