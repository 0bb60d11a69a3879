"""When a conversation should go to a person: each trigger configurable, each with its reason.

The engine asks twice per bot turn: `before` the domain handler (the customer asked for a
person, complains, is frustrated or insulting, or the model is down while the offline reading
is unsure) and `after` it (the handler cannot serve the request, the same misunderstanding
came twice in a row, or the cart went above the set amount). The reason returned is what the
handoffs table stores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from agent.models import Sale, SaleState
from agent.nlu.cues import Cue, find_cues
from agent.nlu.tokens import fold, nfc, scan
from agent.nlu.types import Understanding
from agent.settings import Settings
from agent.text import normalize

REQUEST = "request"
MISUNDERSTANDING = "misunderstanding"
FRUSTRATION = "frustration"
COMPLAINT = "complaint"
ORDER_AMOUNT = "order_amount"
UNSERVABLE = "unservable"
MODEL_DOWN = "model_down"
TRIGGERS = (REQUEST, MISUNDERSTANDING, FRUSTRATION, COMPLAINT, ORDER_AMOUNT, UNSERVABLE, MODEL_DOWN)
"""Every trigger `HANDOFF_TRIGGERS` may name."""

# The reasons stored in the handoffs table (handlers add their own: price_on_request...).
CUSTOMER_REQUEST = "customer_request"
REPEATED_MISUNDERSTANDING = "repeated_misunderstanding"
CUSTOMER_FRUSTRATED = "frustration"
CUSTOMER_COMPLAINT = "complaint"
ORDER_ABOVE_AMOUNT = "order_above_amount"
MODEL_UNAVAILABLE = "model_unavailable"

STREAK_KEY = "misunderstood"
"""Where the conversation's context keeps the current run of misunderstandings."""
UNREAD = "other"
"""The streak's key for a message the bot could not read."""
AMOUNT_KEY = "order_amount_handoff"
"""Where the context remembers the sale already handed over for its amount (once per sale)."""

_OPEN_SALE = (
    SaleState.STARTED,
    SaleState.CART,
    SaleState.COLLECTING_DATA,
    SaleState.READY_TO_CONFIRM,
)


def _patterns(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"(?:^| )(?:" + "|".join(phrases) + r")(?= |$)")


# Over the normalised words of the message (lowercase, no accents, single spaces).
_FRUSTRATION = _patterns(
    # insults
    r"estupid[oa]s?",
    r"idiotas?",
    r"imbecil(?:es)?",
    r"inutil(?:es)?",
    r"bruto",
    r"tarad[oa]s?",
    r"hijueputas?",
    r"hp",
    r"malparid[oa]s?",
    r"gonorreas?",
    r"mierdas?",
    r"porqueria",
    r"maldit[oa] (?:bot|robot|maquina)",
    # frustration
    r"no (?:me )?sirves?(?: para nada)?",
    r"no (?:me )?entiendes?(?: nada)?",
    r"no me estas? entendiendo",
    r"(?:estoy|ya estoy|me tienen?) (?:muy )?(?:hart[oa]|cansad[oa]|aburrid[oa])",
    r"ya me canse",
    r"que (?:fastidio|pereza|desespero|rabia|mal servicio|servicio tan malo)",
    r"pesim[oa](?: servicio| atencion)?",
    r"(?:es )?el colmo",
    r"ridicul[oa]",
    r"ladron(?:es)?",
    r"ratas",
    r"(?:es|eso es|esto es) (?:un )?(?:robo|abuso|una burla|una falta de respeto)",
    r"q(?:ue)? (?:verguenza|rabia|falta de seriedad)",
    r"q(?:ue)? pasa con ustedes",
    r"otra vez lo mismo",
    r"(?:bot|robot|maquina) (?:bobo|tonto|inutil)",
    r"useless",
    r"stupid",
    r"idiots?",
    r"dumb (?:bot|robot|machine)",
    r"wtf",
    r"what the (?:hell|heck|fuck)",
    r"fuck(?:ing)?",
    r"shit",
    r"ridiculous",
    r"terrible service",
    r"(?:you|u) (?:don t|do not|dont) (?:understand|get it)",
    r"(?:you re|you are|youre) not helping",
    r"(?:i m|i am|im) (?:fed up|sick of this|so done)",
    r"this is (?:a joke|pointless|useless)",
)

_COMPLAINT = _patterns(
    r"quejas?",
    r"quejarme",
    r"me quiero quejar",
    r"reclamos?",
    r"reclamar",
    r"reclamacion(?:es)?",
    r"pqrs?f?",
    r"denuncia",
    r"(?:llego|llegaron|vino|vinieron|salio|salieron)(?: [a-zñ0-9]+){0,6}"
    r" (?:dañad[oa]s?|rot[oa]s?|defectuos[oa]s?|vencid[oa]s?|incomplet[oa]s?|malos?|malas?"
    r"|descargad[oa]s?|golpead[oa]s?|abollad[oa]s?|partid[oa]s?|despegad[oa]s?)",
    r"(?:esta|estan) (?:dañad[oa]s?|rot[oa]s?|defectuos[oa]s?|vencid[oa]s?|incomplet[oa]s?)",
    r"se (?:rompio|rompieron|daño|dañaron|despego|despegaron|partio|partieron|descosio"
    r"|descosieron|desbarato|desbarataron|pelo|pelaron)",
    r"(?:me )?(?:mandaron|enviaron|despacharon|trajeron|llego|llegaron)(?: [a-zñ0-9]+){1,6}"
    r" (?:y )?(?:yo )?(?:pedi|habia pedido|encargue|ordene)",
    r"no (?:es|era|son|eran) (?:lo|los|las) q(?:ue)? (?:pedi|encargue|compre)",
    r"(?:llevo|llevamos|tengo) (?:[a-zñ0-9]+ ){0,3}(?:dias|semanas|horas|meses) esperando",
    r"esperando (?:el|mi|los|mis) (?:pedido|pedidos|orden|envio|domicilio)(?: y nada)?",
    r"(?:me )?(?:cobraron|cobran)(?: [a-zñ0-9]+){0,4} (?:doble|dos veces|de mas|mas de lo)",
    r"(?:devuelvan|devuelven|quiero) (?:mi|la) plata",
    r"(?:quiero|necesito) (?:q|que) me (?:lo|la|los|las) cambien",
    r"(?:no|nunca) (?:me )?(?:ha|han)? ?llegado",
    r"(?:nunca|todavia no|aun no) (?:me )?llego",
    r"me (?:cobraron|cobran) (?:doble|dos veces|de mas|mas de lo)",
    r"cobro doble",
    r"me (?:estafaron|robaron)",
    r"estafa",
    r"complaints?",
    r"complain(?:ing)?",
    r"file a claim",
    r"(?:arrived|came)(?: [a-z0-9]+){0,6} (?:broken|damaged|defective|faulty|incomplete"
    r"|dented|leaking|cracked|torn|expired)",
    r"(?:is|was|are|were) (?:all )?(?:broken|damaged|defective|faulty|incomplete|dented"
    r"|leaking|cracked|torn|expired)(?! proof)",
    r"(?:been|still) waiting (?:[a-z0-9]+ ){0,4}(?:for )?(?:my|the|our) (?:order|package|delivery)",
    r"(?:wrong|not what i) (?:item|items|product|order|color|colour|size|ordered)",
    r"charged (?:[a-z0-9]+ ){0,4}(?:twice|double|two times)",
    r"(?:want|need|give me) my money back",
    r"(?:i want|i need|give me|get) (?:a |my )?refund",
    r"(?:never|hasn t|has not|didn t|did not|still hasn t) (?:arrived|come)",
    r"charged (?:me )?(?:twice|double|too much)",
    r"overcharged",
    r"scam(?:med)?",
)


_NOT_WORD = re.compile(r"[^\w]+")


def _words(text: str) -> str:
    # Punctuation splits words ("ridiculous," "i've"), so "don t" and "q pasa" still match.
    return _NOT_WORD.sub(" ", normalize(text)).strip()


def frustrated(text: str) -> bool:
    """Whether the message is frustrated with the shop or the bot, or insults it."""
    return bool(_FRUSTRATION.search(_words(text)))


def asks_for_person(text: str) -> bool:
    """Whether the message says in words that it wants a person ("quiero hablar con alguien")."""
    words = [token.text for token in scan(fold(nfc(text))) if token.is_word]
    return Cue.HANDOFF in find_cues(words)


def complains(text: str) -> bool:
    """Whether the message is a complaint (a damaged or missing order, a wrong charge...)."""
    return bool(_COMPLAINT.search(_words(text)))


@dataclass(frozen=True, slots=True)
class HandoffTriggers:
    """Which triggers are on, and their thresholds."""

    enabled: frozenset[str] = frozenset(TRIGGERS)
    order_amount: Decimal | None = Decimal(5_000_000)
    """A cart above this goes to a person (None: never)."""
    misunderstandings: int = 2
    """How many of the same misunderstanding in a row hand the conversation over."""

    @classmethod
    def from_settings(cls, settings: Settings) -> HandoffTriggers:
        """The triggers `HANDOFF_TRIGGERS` turns on, with their settings."""
        names = {n.strip().lower() for n in settings.handoff_triggers.split(",") if n.strip()}
        amount = settings.handoff_order_amount
        return cls(
            enabled=frozenset(names),
            order_amount=amount if amount > 0 else None,
            misunderstandings=settings.handoff_misunderstandings,
        )

    def on(self, trigger: str) -> bool:
        """Whether `trigger` is enabled."""
        return trigger in self.enabled

    def requested(self, text: str) -> bool:
        """Whether a message read as wanting a person counts as asking for one: not when it
        is only frustration or a complaint whose own trigger the shop turned off."""
        if asks_for_person(text):
            return True
        angry = frustrated(text) and not self.on(FRUSTRATION)
        return not (angry or (complains(text) and not self.on(COMPLAINT)))

    def before(
        self, text: str, understanding: Understanding, *, model_down: bool, unsure: bool
    ) -> str | None:
        """The reason to hand over before any handler runs, or None.

        An explicit request (intent `handoff`) is the engine's: it may carry an offered reason.
        """
        if self.on(COMPLAINT) and complains(text):
            return CUSTOMER_COMPLAINT
        if self.on(FRUSTRATION) and frustrated(text):
            return CUSTOMER_FRUSTRATED
        if self.on(MODEL_DOWN) and model_down and unsure:
            return MODEL_UNAVAILABLE
        return None

    def streak(
        self,
        context: dict[str, Any],
        *,
        understanding: Understanding,
        handler: str,
        sale_before: dict[str, Any] | None,
        sale_after: Sale | None,
    ) -> tuple[dict[str, Any], bool]:
        """The context with this turn's misunderstanding counted (or the run ended), and
        whether the run reached the threshold.

        A misunderstanding is a message the bot could not read (intent `other`) or a checkout
        answer that gave nothing usable (the same field is asked again); "the same" means the
        same kind in a row (an unreadable message gets one more turn: a specific question).
        `sale_before` is the sale's data before the handler ran.
        """
        key = _misunderstanding(understanding, handler, sale_before, sale_after)
        rest = {k: v for k, v in context.items() if k != STREAK_KEY}
        if key is None:
            return rest, False
        previous = context.get(STREAK_KEY) or {}
        count = int(previous.get("count", 0)) + 1 if previous.get("key") == key else 1
        # An unreadable message first gets a specific question (rag_domains/smalltalk.py),
        # so the customer is asked once more before the run goes to a person.
        threshold = self.misunderstandings + (1 if key == UNREAD else 0)
        if self.on(MISUNDERSTANDING) and count >= threshold:
            return rest, True
        return {**rest, STREAK_KEY: {"key": key, "count": count}}, False

    def above_amount(self, context: dict[str, Any], sale: Sale | None) -> bool:
        """Whether the open cart just went above the set amount (once per sale)."""
        if not self.on(ORDER_AMOUNT) or self.order_amount is None or sale is None:
            return False
        if sale.state not in _OPEN_SALE or context.get(AMOUNT_KEY) == sale.id:
            return False
        total = sum((line.unit_price * line.quantity for line in sale.lines), Decimal(0))
        return total > self.order_amount


def _misunderstanding(
    understanding: Understanding,
    handler: str,
    before: dict[str, Any] | None,
    sale: Sale | None,
) -> str | None:
    if understanding.top == "other" and handler == "smalltalk":
        return UNREAD
    if handler != "sales" or before is None or sale is None:
        return None
    pending = before.get("pending_field")
    unchanged = before.get("customer", {}) == sale.data.get("customer", {})
    if (
        pending is not None
        and sale.state == SaleState.COLLECTING_DATA
        and sale.data.get("pending_field") == pending
        and unchanged
    ):
        return f"field:{pending}"
    return None
