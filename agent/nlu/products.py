"""Product mentions and their quantities: "2 extintores de 10 libras" is 2 of a product."""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.nlu.asked import asked_phrase, asked_service
from agent.nlu.lexicon import Lexicon, TermMatch
from agent.nlu.numbers import NUMBER_WORDS, Number, percentages, read_number
from agent.nlu.prices import read_price
from agent.nlu.services import join_serviced
from agent.nlu.tokens import Token, fold
from agent.nlu.types import PriceRequest
from agent.nlu.vocabulary import (
    ARTICLES,
    ATTRIBUTE_MARKERS,
    BREAKERS,
    CONNECTORS,
    COUNT_UNITS,
    ENGLISH_ONE,
    GENERIC_MODIFIERS,
    MEASURE_UNITS,
    MONEY_WORDS,
    ONE,
    PACK_UNITS,
    QUANTITY_CONNECTORS,
)

_MAX_WORDS = 10
_MAX_BARE_QUANTITY = 10_000
# Words between a quantity and its product: "3 de los guantes", "5 pares de", "3 x cascos".
_BETWEEN = ARTICLES | COUNT_UNITS | PACK_UNITS | frozenset(["de", "of", "x", "more", "mas"])
# After these the next word describes the product whatever it is ("tipo A", "talla M").
_DESCRIBED_BY_NEXT = ATTRIBUTE_MARKERS | frozenset(["tipo", "clase", "type", "class"])
# A number after these is not the quantity wanted: the one being replaced ("en vez de 2"),
# or how many a pack holds ("la caja de 100 guantes").
_NOT_WANTED = (
    ("en", "vez", "de"),
    ("en", "lugar", "de"),
    ("instead", "of"),
    ("rather", "than"),
    *((pack, "de") for pack in PACK_UNITS),
    *((pack, "of") for pack in PACK_UNITS),
)
# A number after these is a reference to look up, not a quantity ("pedido #999", "orden 2210").
_REFERENCE_MARKERS = frozenset(
    ["#", "$", "no", "nro", "num", "pedido", "orden", "order", "factura", "guia", "ref", "cc"]
)
# "en 37", "de 42": a size when a count is said apart ("la de cuero en 37, una").
_SIZE_LEADS = frozenset(["en", "de", "del", "in"])
_ATTRIBUTE_LEADS = ATTRIBUTE_MARKERS | frozenset(["de", "del", "of", "#"])
_EACH = frozenset(["cada", "each"])


@dataclass(slots=True)
class Mention:
    """A product the customer named: the words kept, the quantity, the category of its term."""

    words: list[str]
    quantity: int | None
    category: str
    broad: bool
    language: str | None

    @property
    def text(self) -> str:
        """The mention as one normalised string."""
        return " ".join(self.words)


@dataclass(slots=True)
class ProductReading:
    """The product mentions of a message and a quantity said without a product."""

    mentions: list[Mention] = field(default_factory=list)
    bare_quantity: int | None = None
    described: bool = False
    """A product pointed at by what describes it, not named: "los blancos", "the nitrile ones"."""
    price: PriceRequest | None = None
    """Price bounds or an order by price: "por debajo de 50 mil", "el más barato"."""
    asked: str | None = None
    """Something asked for that is no product word of the shop: "¿venden *detectores de humo*?"."""
    unoffered: str | None = None
    """A service asked for that no product of the shop names: "¿me *bordan* el logo?"."""


class _Reader:
    def __init__(self, tokens: list[Token], lexicon: Lexicon, english: bool) -> None:
        self.tokens = tokens
        self.words = [token.text for token in tokens]
        self.lexicon = lexicon
        self.english = english
        self.used: set[int] = set()
        # "entre 10 y 20 mil" are prices, not quantities; "más barato" describes no product.
        self.price = read_price(self.words)
        if self.price is not None:
            self.used.update(self.price.used)
        # "el 150% de descuento": a percentage is no quantity, nor a size of a product.
        percent = percentages(self.words)
        self.used.update(percent)
        self._numbers: dict[int, Number | None] = {}
        self._ends: dict[int, int] = {}
        i = 0
        while i < len(self.words):
            number = None if i in percent else self.number(i)
            if number is None:
                i += 1
                continue
            self._ends[i + number.length - 1] = i
            if any(tuple(self.words[max(0, i - len(p)) : i]) == p for p in _NOT_WANTED):
                self.used.update(range(i, i + number.length))
            i += number.length

    def number(self, i: int) -> Number | None:
        if i >= len(self.words) or not self.tokens[i].is_word:
            return None
        if i not in self._numbers:
            self._numbers[i] = read_number(self.words, i)
        return self._numbers[i]

    def word(self, i: int) -> str:
        return self.words[i] if 0 <= i < len(self.words) else ""

    def term(self, i: int) -> TermMatch | None:
        word = self.word(i)
        if word in BREAKERS and self.tokens[i].is_word:
            # A product named with a function word: "4 no smoking signs" is no denial.
            found = self.lexicon.match(self.words, i)
            return found if found is not None and found.length > 1 else None
        if (
            not word
            or not self.tokens[i].is_word
            or word.isdigit()
            or word in CONNECTORS
            or word in ARTICLES
            or word in NUMBER_WORDS
        ):
            return None
        return self.lexicon.match(self.words, i)

    def read(self) -> ProductReading:
        reading = ProductReading()
        spans: list[tuple[int, int]] = []
        i = 0
        while i < len(self.words):
            found = None if i in self.used else self.term(i)
            if found is None:
                i += 1
                continue
            start = self.premodifiers(i) if self.english else i
            before = self.quantity_before(start)
            mention, end = self.extend(found, start, i, counted=before is not None)
            if mention.quantity is None:
                mention.quantity = before
            self.used.update(range(start, end))
            reading.mentions.append(mention)
            spans.append((start, end))
            i = end
        reading.mentions = join_serviced(reading.mentions, spans, self.tokens, self.lexicon)
        reading.bare_quantity = self.bare_quantity()
        if reading.bare_quantity is not None and self.each() and len(reading.mentions) > 1:
            # "el arnés y la eslinga, 2 de cada uno": the count goes to every product named.
            for mention in reading.mentions:
                mention.quantity = mention.quantity or reading.bare_quantity
            reading.bare_quantity = None
        reading.price = None if self.price is None else self.price.request
        service = asked_service(self.words, english=self.english, known=self.lexicon.names)
        if service is not None and not self.lexicon.knows(fold(service)):
            reading.unoffered = service
        if not reading.mentions:
            asked = asked_phrase(self.words)
            if asked is not None and not all(self.lexicon.knows(w) for w in asked):
                reading.asked = " ".join(asked)
        reading.described = any(
            i not in self.used and self.word(i - 1) in ARTICLES and self.lexicon.describes(word)
            for i, word in enumerate(self.words)
        )
        return reading

    def premodifiers(self, i: int) -> int:
        """Where an English mention starts: "two 10 lb fire extinguishers" → at "10"."""
        start = i
        p = i - 1
        while p >= 0 and p not in self.used and self.tokens[p].is_word:
            word = self.words[p]
            first = self._ends.get(p - 1)
            if word in MEASURE_UNITS and first is not None:
                p = first - 1  # "10 lb"
            elif p in self._ends and self.word(self._ends[p] - 1) in ATTRIBUTE_MARKERS:
                p = self._ends[p] - 2  # "size 10"
            elif (
                word in BREAKERS
                or word in CONNECTORS
                or word in ARTICLES
                or word in ENGLISH_ONE
                or word in ONE
                or (word in NUMBER_WORDS and self.number(p) is not None)
                or p in self._ends
            ):
                break  # "half" alone describes: "2 half mask respirators"
            else:
                p -= 1
            start = p + 1
        return start

    def extend(self, found: TermMatch, start: int, i: int, *, counted: bool) -> tuple[Mention, int]:
        """The mention whose term is at `i`, with what describes it after; and where it ends.

        `counted`: a quantity came before it, so a bare number after it is a size or model.
        """
        words = [w for w in self.words[start:i] if w not in ARTICLES]
        words += found.words
        extra: list[str] = list(words[: len(words) - len(found.words)])
        quantity: int | None = None
        k = i + found.length
        while (
            k < len(self.words)
            and len(words) < _MAX_WORDS
            and self.tokens[k].is_word
            and k not in self.used
        ):
            word, previous = self.words[k], self.word(k - 1)
            number = self.number(k)
            if number is not None and word not in ONE:
                after = k + number.length
                following = self.word(after)
                if (counted or quantity is not None) and self.starts_product(after):
                    break  # "20 cascos de pines 40 pares de guantes": the next item's count
                # "cambia los guantes a 5" is a quantity; "a recharge for a 20 lb one" a size.
                connected = previous in QUANTITY_CONNECTORS and following not in MEASURE_UNITS
                if previous == "x" or following in COUNT_UNITS or connected:
                    quantity = _whole(number.value)
                    if previous == "x" or connected:
                        words.pop()
                    k = after + (1 if following in COUNT_UNITS else 0)
                    continue
                if following in MEASURE_UNITS or previous in _ATTRIBUTE_LEADS:
                    step = after + (1 if following in MEASURE_UNITS else 0)
                    words += self.words[k:step]
                    extra += self.words[k:step]
                    k = step
                    continue
                if self.starts_product(after):
                    break
                if quantity is None and not counted:
                    quantity = _whole(number.value)  # list style: "cascos 5, guantes 10"
                else:
                    words += self.words[k:after]  # a size: "12 pares de botas 40"
                    extra += self.words[k:after]
                k = after
                continue
            if previous in _DESCRIBED_BY_NEXT:
                words.append(word)  # "botiquín tipo A", "clase K"
                extra.append(word)
            elif word == "x" or word in CONNECTORS or word in QUANTITY_CONNECTORS:
                if word in BREAKERS and self.number(k + 1) is None and word not in CONNECTORS:
                    break
                words.append(word)
            elif word in ARTICLES or word in ONE or word in ENGLISH_ONE:
                pass
            elif word in BREAKERS and self.term(k) is None:
                break
            else:
                more = self.term(k)
                # Spanish lists products one after another ("cascos 5 guantes 10"); English
                # stacks nouns into one product ("first aid cabinet").
                if (
                    more is not None
                    and words[-1] not in CONNECTORS
                    and more.term.category != found.term.category
                    and not self.english
                    and not self.lexicon.named_together(found.words[0], more.words[0])
                ):
                    break
                kept_words = (
                    list(more.words) if more is not None else [self.lexicon.fix_descriptive(word)]
                )
                words += kept_words
                extra += kept_words
                k += more.length if more is not None else 1
                continue
            k += 1
        # A trailing "de" or "x" joined nothing; "tipo A" keeps its letter.
        while (
            words[-1] in CONNECTORS or words[-1] in QUANTITY_CONNECTORS or words[-1] == "x"
        ) and not (len(words) > 1 and words[-2] in _DESCRIBED_BY_NEXT):
            words.pop()
        broad = found.term.broad and all(w in GENERIC_MODIFIERS or w in CONNECTORS for w in extra)
        mention = Mention(words, quantity, found.term.category, broad, found.term.language)
        return mention, k

    def starts_product(self, i: int) -> bool:
        """Whether a product term starts at `i`, after articles and "de"."""
        while self.word(i) in _BETWEEN:
            i += 1
        return self.term(i) is not None

    def quantity_before(self, start: int) -> int | None:
        """The quantity said right before a mention: "3 de los guantes", "un par de", "otro"."""
        p = start - 1
        right_before = self.word(p)
        while p >= 0 and self.words[p] in _BETWEEN and p not in self._ends:
            p -= 1
        if p < 0 or p in self.used:
            return None
        number = self.number(self._ends[p]) if p in self._ends else None
        if number is not None:
            self.used.update(range(self._ends[p], p + 1))
            return _whole(number.value)
        if right_before in ONE or (self.english and right_before in ENGLISH_ONE):
            return 1
        return None

    def bare_quantity(self) -> int | None:
        """A quantity that belongs to no product: "dame 3", "agrégame dos de esos"."""
        sized = False
        for end, first in self._ends.items():
            if first in self.used or end in self.used:
                continue
            number = self.number(first)
            if number is None or number.value > _MAX_BARE_QUANTITY:
                continue
            if self.word(end + 1) in MONEY_WORDS or self.word(end + 1) in MEASURE_UNITS:
                continue
            previous = self.word(first - 1)
            if previous in ATTRIBUTE_MARKERS or previous in _REFERENCE_MARKERS:
                continue  # "talla 42", "el pedido #999": a size or a number to look up
            if previous in _SIZE_LEADS and self.counted_after(end + 1):
                sized = True  # "la de cuero en 37, una": 37 is the size, one is the quantity
                continue
            if self.words[first] == "one" and self.word(first - 1) not in BREAKERS | {""}:
                continue  # a pronoun: "the second one", "the white one"
            return _whole(number.value)
        for i, word in enumerate(self.words):
            if word in ("otro", "otra", "another") and i not in self.used:
                return 1
        return 1 if sized else None

    def each(self) -> bool:
        """Whether a count is said for every product: "2 de cada uno", "5 of each"."""
        return any(word in _EACH and i not in self.used for i, word in enumerate(self.words))

    def counted_after(self, i: int) -> bool:
        """Whether a count follows from `i` on: another number, or "una" said alone."""
        return any(
            (self.number(k) is not None and k in self._ends.values()) or self.words[k] in ONE
            for k in range(i, len(self.words))
        )


def _whole(value: float) -> int | None:
    return int(value) if value >= 1 and value == int(value) else None


def read_products(tokens: list[Token], lexicon: Lexicon, english: bool) -> ProductReading:
    """Product mentions (with quantities) and any bare quantity in a tokenised message."""
    return _Reader(tokens, lexicon, english).read()
