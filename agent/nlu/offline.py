"""The offline reader: rules, fuzzy product words, number words, ids and phones, in context."""

from __future__ import annotations

from collections.abc import Callable

from agent.nlu.classifier import IntentClassifier
from agent.nlu.clauses import ANSWERED, several_asks
from agent.nlu.combine import EVEN_ODDS, combine
from agent.nlu.contacts import read_contacts
from agent.nlu.cues import Cue, find_cues
from agent.nlu.ellipsis import COLOURS, another_size, follow_up
from agent.nlu.intents import Evidence, RuleVerdict, decide
from agent.nlu.language import detect_language
from agent.nlu.lexicon import Lexicon
from agent.nlu.numbers import percentages
from agent.nlu.products import ProductReading, read_products
from agent.nlu.tokens import fold, nfc, scan
from agent.nlu.types import DialogState, Entities, ProductMention, Understanding
from agent.nlu.vocabulary import ARTICLES, CONNECTORS, COUNT_UNITS

# What a follow-up may override: a reading that found nothing, or a product question or an
# add that named no product ("y el de 20?" is not 20 more of the last one).
_OPEN_TO_FOLLOW_UP = frozenset(
    [
        "other",
        "purchase.add",
        "inventory.product",
        "inventory.price",
        "inventory.stock",
        "inventory.category",
        "company.hours",
    ]
)
_FOLLOW_UP_CONFIDENCE = 0.8
_STEM = 5  # "amarillos" and "amarillo" name the same thing
_BUYING_CUES = frozenset([Cue.ADD, Cue.MORE, Cue.CLITIC, Cue.SELECT, Cue.YES])
"""Words that put a line in the cart: buying, "otro", "lo", "el primero", a yes."""


class OfflineReader:
    """Understands a message without any language model, in about a millisecond: the rules,
    and the statistical classifier where the rules are not sure (agent/nlu/combine.py)."""

    def __init__(self, lexicon: Lexicon, classifier: IntentClassifier | None = None) -> None:
        self._lexicon = lexicon
        self._classifier = classifier

    def understand(self, text: str, state: DialogState) -> Understanding:
        """Intent, confidence, entities and language of one message, read in its context;
        with its clauses read one by one when it asks several things."""
        whole = self._read(text, state)
        if whole.intent.startswith(ANSWERED):
            whole.parts = several_asks(text, lambda clause: self._read(clause, state))
        return whole

    def _read(self, text: str, state: DialogState) -> Understanding:
        """Intent, confidence, entities and language of one message (or clause)."""
        original = nfc(text)
        evidence, language = self._evidence(original, state)
        verdict = decide(evidence)
        intent, confidence = verdict.intent, verdict.confidence
        if self._classifier is not None:
            intent, confidence = combine(verdict, self._classifier.predict(original, state), state)
            if intent == "purchase.remove" and Cue.REMOVE not in evidence.cues:
                # A line leaves the cart on a word of removal, not on a guess ("y un kit…").
                intent, confidence = verdict.intent, verdict.confidence
            if _asks_not_buys(intent, confidence, verdict, evidence):
                intent, confidence = verdict.intent, min(verdict.confidence, confidence)
        entities = _entities(intent, evidence.products, evidence.buyer.entities)
        intent, confidence = _in_context(
            intent, confidence, entities, evidence, original, self._lexicon.describes
        )
        intent, before = _two_acts(intent, evidence)
        return Understanding(intent, round(confidence, 2), entities, language, before)

    def verdict(self, text: str, state: DialogState) -> RuleVerdict:
        """What the rules alone make of a message (for measuring them against the classifier)."""
        return decide(self._evidence(nfc(text), state)[0])

    def _evidence(self, original: str, state: DialogState) -> tuple[Evidence, str]:
        """What the rules find in a message, and its language."""
        buyer = read_contacts(original, fold(original), state, self._lexicon.knows)
        tokens = scan(buyer.remainder)
        # A percentage ("el 150% de descuento") is no size a follow-up asks for, nor a count.
        percent = percentages([token.text for token in tokens])
        words = [t.text for i, t in enumerate(tokens) if t.is_word and i not in percent]
        guess = detect_language(words, (), state.language)
        products = read_products(tokens, self._lexicon, guess == "en")
        language = detect_language(words, [m.language for m in products.mentions], state.language)
        if language != guess:
            # The product words decided the language: English reads "a kit" as one kit.
            products = read_products(tokens, self._lexicon, language == "en")
        evidence = Evidence(
            cues=find_cues(words),
            words=words,
            products=products,
            buyer=buyer,
            state=state,
            only_products=_only_products(words, products),
        )
        return evidence, language


def _in_context(
    intent: str,
    confidence: float,
    entities: Entities,
    evidence: Evidence,
    original: str,
    describes: Callable[[str], bool],
) -> tuple[str, float]:
    """The reading completed by what was just discussed: another size of the product named
    ("… talla 40 y 1 par talla 42"), or a follow-up on the product or topic in focus
    ("¿y el de 20?", "¿y el domingo?"), whose products the entities then name in full."""
    mentions = evidence.products.mentions
    more = another_size(fold(original), mentions[-1].text) if mentions else None
    if more is not None and intent.startswith("purchase."):
        entities.products.append(ProductMention(*more))
        entities.quantity = None
    # "deme 3 del más barato en amarillo" picks by price among those shown, not the focus.
    asked = mentions or entities.price is not None
    said = None if asked else follow_up(evidence.words, evidence.cues, evidence.state)
    # A new quantity without a word of change ("y 2 de la 42") is a guess a follow-up beats.
    guessed_change = intent == "purchase.change" and Cue.CHANGE not in evidence.cues
    if said is None or (intent not in _OPEN_TO_FOLLOW_UP and not guessed_change):
        return intent, confidence
    if said.products and _named_apart(evidence, said.products, describes):
        # "and one of the CO2 20 lb" after a PQS refill names another kind than the focus:
        # which product it is comes from those discussed (rag_domains/sales).
        entities.quantity = said.products[0][1] if len(said.products) == 1 else None
    elif said.products:
        entities.products = [ProductMention(text, qty) for text, qty in said.products]
        entities.quantity = said.products[0][1] if len(said.products) == 1 else None
    return said.intent, _FOLLOW_UP_CONFIDENCE


def _named_apart(
    evidence: Evidence,
    products: tuple[tuple[str, int | None], ...],
    describes: Callable[[str], bool],
) -> bool:
    """Whether the message describes a product with a word none of the follow-up's names
    has ("co2" when the focus is a PQS refill); a colour is the follow-up's own attribute."""
    named = {word[:_STEM] for text, _ in products for word in text.split()}
    return evidence.products.described and any(
        word[:_STEM] not in named and word not in COLOURS and describes(word)
        for word in evidence.words
    )


def _two_acts(intent: str, evidence: Evidence) -> tuple[str, str | None]:
    """The intent of a message that edits the cart and asks for more in the same breath, and
    the edit made before it."""
    cues, mentions = evidence.cues, evidence.products.mentions
    if intent == "purchase.remove" and Cue.ADD in cues and len(mentions) >= 2:
        return "purchase.add", intent  # "quite las gafas y ponga 3 monogafas"
    if intent in ("purchase.add", "purchase.remove", "purchase.change") and Cue.CHECKOUT in cues:
        return "purchase.checkout", intent  # "sin las gorras, solo eso"
    if intent == "purchase.checkout" and mentions:
        if Cue.REMOVE in cues:
            return intent, "purchase.remove"
        if Cue.ADD in cues or any(m.quantity is not None for m in mentions):
            return intent, "purchase.add"  # "agregue 2 cascos y eso es todo"
    return intent, None


def _asks_not_buys(
    intent: str, confidence: float, verdict: RuleVerdict, evidence: Evidence
) -> bool:
    """Whether the classifier's add is a guess against a question the rules read: about a
    price ("el más barato de esos", "¿y de menos de 20 mil?") or, below even odds and with
    nothing in the cart yet, about a product named alone ("¿y señales de prohibido fumar?";
    "y unas botas talla 38" while buying adds one more). A line enters the cart on a word of
    buying, a choice or a quantity, not on a superlative, a bound or a name alone."""
    products = evidence.products
    if intent != "purchase.add" or not verdict.intent.startswith("inventory."):
        return False
    counted = products.bare_quantity is not None or any(
        m.quantity is not None for m in products.mentions
    )
    unsure = confidence < EVEN_ODDS and not evidence.state.has_cart
    guessed = products.price is not None or unsure
    return guessed and not counted and not evidence.cues & _BUYING_CUES


def _only_products(words: list[str], products: ProductReading) -> bool:
    """Whether every word of the message is part of a product mention or its quantity."""
    mentioned = {word for mention in products.mentions for word in mention.words}
    filler = ARTICLES | CONNECTORS | COUNT_UNITS
    return bool(products.mentions) and all(
        word in mentioned or word in filler or word[0].isdigit() for word in words
    )


def _entities(intent: str, products: ProductReading, buyer: Entities) -> Entities:
    """The buyer's data plus the products, the quantity and the category asked about."""
    counted = [m.quantity for m in products.mentions if m.quantity is not None]
    buyer.quantity = products.bare_quantity
    if buyer.quantity is None and len(counted) == 1:
        buyer.quantity = counted[0]
    mentions = products.mentions
    if intent == "inventory.category" and mentions:
        # The words name a category, not a product to search for; with a price bound they are
        # what to filter ("botas talla 41 por menos de 150 mil" keeps the size).
        # A precise product word ("archivadores" is the storage box) stays a product to find.
        buyer.category = mentions[0].category
        precise = not all(m.broad for m in mentions)
        mentions = mentions if products.price is not None or precise else []
    buyer.products = [ProductMention(m.text, m.quantity) for m in mentions]
    if intent.startswith("inventory") and not buyer.products and products.asked is not None:
        buyer.products = [ProductMention(products.asked)]
    if intent.startswith("inventory") and products.unoffered is not None:
        buyer.products = [ProductMention(products.unoffered)]  # what is asked is the service
    buyer.price = products.price
    return buyer
