"""A buyer's data in a message: cédula, phone, email, name, city and street address."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from agent.nlu.places import CITY_NAMES, LONGEST_CITY
from agent.nlu.tokens import Token, scan
from agent.nlu.types import DialogState, Entities
from agent.nlu.vocabulary import (
    ARTICLES,
    BREAKERS,
    CONNECTORS,
    FIRST_NAMES,
    MONEY_WORDS,
    NAME_PARTICLES,
    NOT_NAMES,
    word_set,
)

_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}")
# Digits with the separators people type in ids and phones: "1.032.456.789", "(606) 333 4455".
_NUMBER_RUN = re.compile(r"\+?\(?\d[\d ().-]*\d\)?")
_NUMBER_CHUNK = re.compile(r"\S+")
_WORD = re.compile(r"[a-zñ]+")
# What comes right before a value the customer takes back: "no 300...", "not Pereira".
_NEGATED = re.compile(r"(?:^|[^a-zñ])(?:no|not|ni)(?: es| era| is)?[\s,:]*$")

_ID_CUES = word_set("cedula cc c ced documento identificacion id nit dni ciudadania identification")
_PHONE_CUES = word_set(
    "cel celular cell telefono tel tels whatsapp wpp wsp movil phone mobile contacto llamar fijo"
)
# "número" comes with both ("número de cédula", "mi número es"): it only decides alone.
_NUMBER_CUES = word_set("numero number nro num")
_NAME_INTROS: tuple[tuple[tuple[str, ...], bool], ...] = (
    # (words, strong): after a strong intro anything name-like is a name; after a weak one
    # ("soy", "I'm") only a capitalised word or a known first name is.
    (("me", "llamo"), True),
    (("mi", "nombre", "es"), True),
    (("mi", "nombre"), True),
    (("a", "nombre", "de"), True),
    (("nombre",), True),
    (("my", "name", "is"), True),
    (("my", "name", "s"), True),
    (("name", "is"), True),
    (("name", "s"), True),
    (("name",), True),
    (("soy",), False),
    (("i", "am"), False),
    (("i", "m"), False),
    (("this", "is"), False),
    (("habla",), False),
    (("escribe",), False),
)
_ADDRESS_STARTS = word_set(
    "calle cll cl clle carrera cra cr kra kr carrea avenida av avda diagonal diag dg "
    "transversal transv tv tr trans manzana mz mza km kilometro autopista circular circunvalar "
    "vereda"
)
_ADDRESS_PARTS = word_set(
    "# - ° º no n nro num numero bis sur norte este oeste occidente oriente apto apartamento "
    "ap casa torre bloque blq int interior local loc oficina of piso barrio br bod bodega "
    "edificio edif ed conjunto conj etapa manzana mz lote sector via vereda finca km "
    "kilometro entrada urbanizacion urb parque centro comercial apt apartment suite unit floor"
)
# After these an address goes on with a proper name ("barrio Los Alpes", "vía Cerritos").
_NAMED_PARTS = word_set(
    "barrio br via vereda finca edificio edif conjunto conj urbanizacion urb sector avenida "
    "av centro comercial parque calle carrera de del"
)
_PLACE_STARTS = word_set("barrio conjunto edificio urbanizacion finca")
_ABBREVIATIONS = word_set("no n nro num cra cl cll av avda kr kra mz mza km tv dg diag")
_CITY_LEAD = word_set("en es de in from")
_ADDRESS_LEAD = word_set("mi direccion es queda en a la al envie envielo enviar my address is")
_MAX_ADDRESS_TOKENS = 18
_DATA_WORDS = _ID_CUES | _PHONE_CUES | word_set("correo email mail direccion address ciudad city")
_NAME_LEAD = word_set("es soy a nombre de mi it s its i m")


@dataclass(slots=True)
class BuyerData:
    """The buyer's data found in a message, as entities, and the text spans it came from."""

    entities: Entities = field(default_factory=Entities)
    spans: list[tuple[int, int]] = field(default_factory=list)
    remainder: str = ""
    """The folded message with those spans blanked out, for the rest of the reader."""

    def any(self) -> bool:
        """Whether anything was found."""
        e = self.entities
        return any((e.national_id, e.phone, e.email, e.name, e.city, e.address))


def read_contacts(
    original: str, folded: str, state: DialogState, is_product: Callable[[str], bool]
) -> BuyerData:
    """Everything in the message that describes the buyer; `folded` is `fold(original)`."""
    found = BuyerData()
    data = found.entities
    blanked = folded
    email = _EMAIL.search(blanked)
    if email:
        data.email = email.group()
        blanked = _blank(blanked, found, email.start(), email.end())
    address = _address(scan(blanked), state)
    if address is not None:
        start, end = address
        data.address = original[start:end]
        blanked = _blank(blanked, found, start, end)
    blanked = _numbers(blanked, found, state)
    tokens = [token for token in scan(blanked) if token.is_word or token.text in ",.:;?!"]
    city = _city(tokens, blanked)
    if city is not None:
        data.city, start, end = city
        blanked = _blank(blanked, found, start, end)
        tokens = [token for token in tokens if token.end <= start or token.start >= end]
    with_data = data.national_id is not None or data.phone is not None
    name = _name(tokens, original, state, is_product, with_data)
    if name is not None:
        start, end = name
        data.name = _proper(original[start:end])
        blanked = _blank(blanked, found, start, end)
    if state.pending_field == "address" and data.address is None:
        rest = _leftover(tokens, found.spans, _ADDRESS_LEAD)
        if len(rest) >= 2 and any(t.text.isdigit() or t.text in _ADDRESS_PARTS for t in rest):
            data.address = original[rest[0].start : rest[-1].end]
            blanked = _blank(blanked, found, rest[0].start, rest[-1].end)
    if state.pending_field == "city" and not found.any():
        rest = _leftover(tokens, found.spans, _CITY_LEAD)
        if 1 <= len(rest) <= 4 and all(t.is_alpha and t.text not in BREAKERS for t in rest):
            data.city = _proper(original[rest[0].start : rest[-1].end])
            blanked = _blank(blanked, found, rest[0].start, rest[-1].end)
    found.remainder = blanked
    return found


def _blank(text: str, found: BuyerData, start: int, end: int) -> str:
    found.spans.append((start, end))
    return text[:start] + " " * (end - start) + text[end:]


def _numbers(text: str, found: BuyerData, state: DialogState) -> str:
    """Find the cédula and the phone among the long numbers; blank what was taken.

    A number named by a word ("cc", "cel") is read first. The bare ones then fill, in the
    order they come, the first still-empty field their shape fits: the field just asked for
    decides only for a lone bare number, so that "3125556677, 1093456789" is a phone and a
    cédula whatever was asked.
    """
    spans = [group for run in _NUMBER_RUN.finditer(text) for group in _groups(run)]
    numbers: list[_Number] = []
    since = 0  # a word names the number after it, not one further on
    for start, end, digits in spans:
        numbers.append(_Number(start, end, digits, _kinds(text, since, start, end, digits)))
        since = end
    bare = [n for n in numbers if not n.cued and n.kinds]
    if len(bare) == 1 and state.pending_field in ("national_id", "phone"):
        lone = bare[0]
        asked = _asked(state.pending_field, lone.digits)
        numbers[numbers.index(lone)] = _Number(
            lone.start, lone.end, lone.digits, tuple(dict.fromkeys((*asked, *lone.kinds)))
        )
    data = found.entities
    taken: list[_Number] = []
    # A cédula named as such wins over a company's NIT named as such.
    for number in sorted((n for n in numbers if n.cued), key=lambda n: "nit" in n.kinds):
        if number.kinds[0] == "cued_id" and data.national_id is None:
            data.national_id = number.digits
        elif number.kinds[0] == "cued_phone" and data.phone is None:
            data.phone = _phone_digits(number.digits)
        else:
            continue
        taken.append(number)
    for number in numbers:
        if number.cued:
            continue
        kind = next((k for k in number.kinds if getattr(data, k) is None), None)
        if kind == "phone":
            data.phone = _phone_digits(number.digits)
        elif kind == "national_id":
            data.national_id = number.digits
        else:
            continue
        taken.append(number)
    for number in taken:
        text = _blank(text, found, number.start, number.end)
    return text


def _asked(field: str, digits: str) -> tuple[str, ...]:
    """The field just asked for, when a bare number of these digits can answer it."""
    if field == "national_id" and 6 <= len(digits) <= 10:
        return ("national_id",)
    if field == "phone" and (len(digits) in (7, 10) or _is_phone(digits)):
        return ("phone",)
    return ()


@dataclass(frozen=True, slots=True)
class _Number:
    """A long number in the message and what it can be, most likely first."""

    start: int
    end: int
    digits: str
    kinds: tuple[str, ...]

    @property
    def cued(self) -> bool:
        """Whether a word before it names it: "cc 1032456789", "cel 3104567890"."""
        return self.kinds[:1] in (("cued_id",), ("cued_phone",))


def _phone_digits(digits: str) -> str:
    """A phone without the country code: "573152223344" → "3152223344"."""
    return digits[-10:] if len(digits) == 12 else digits


def _groups(run: re.Match[str]) -> list[tuple[int, int, str]]:
    """Split a run of digit chunks into numbers: "1032456789 3104567890" is two."""
    out: list[tuple[int, int, str]] = []
    start = end = 0
    digits = ""
    for chunk in _NUMBER_CHUNK.finditer(run.group()):
        chunk_digits = re.sub(r"\D", "", chunk.group())
        limit = 12 if digits.startswith("57") or chunk.group().startswith("+") else 10
        if digits and len(digits) + len(chunk_digits) > limit:
            out.append((start, end, digits))
            digits = ""
        if not digits:
            start = run.start() + chunk.start()
        digits += chunk_digits
        end = run.start() + chunk.end()
    if digits:
        out.append((start, end, digits))
    return out


def _kinds(text: str, since: int, start: int, end: int, digits: str) -> tuple[str, ...]:
    """What a number can be from its shape and the words since `since`, most likely first:
    `phone` or `national_id`; or, when a word names it, `cued_id` (then `nit` when the word
    is "NIT") or `cued_phone`; nothing for a price."""
    before = _WORD.findall(text[max(since, start - 40) : start])[-6:]
    after = _WORD.findall(text[end : end + 12])[:1]
    if text[max(0, start - 2) : start].strip().endswith("$") or set(after) & MONEY_WORDS:
        return ()
    cue = next((w for w in reversed(before) if w in _ID_CUES or w in _PHONE_CUES), None)
    if cue is None and since and _NEGATED.search(text[since:start]):
        return ()  # "el teléfono es 3001234567, no 3001234568"; but "cel no 3001234567"
    # A cédula of 10 digits starts with 1; a 3xx or 60x number of 10 digits is a phone.
    is_id = 6 <= len(digits) <= 10 and not (len(digits) == 10 and _is_phone(digits))
    if cue in _ID_CUES:
        if not 5 <= len(digits) <= 11:
            return ()
        return ("cued_id", "nit") if cue == "nit" else ("cued_id",)
    said_phone = cue is not None or bool(set(before) & _NUMBER_CUES) or text[start] == "+"
    if _is_phone(digits) and (said_phone or len(digits) == 12):
        return ("cued_phone",)
    kinds: list[str] = []
    if _is_phone(digits) and len(digits) == 10:
        kinds.append("phone")
    # A round number is a price ("menos de 100.000"), not somebody's id; a cédula of 10
    # digits ("1088999000") is too long for a price here.
    if is_id and not (digits.endswith("000") and len(digits) < 10):
        kinds.append("national_id")
    return tuple(kinds)


def _is_phone(digits: str) -> bool:
    """Colombian phones: mobiles 3xx and landlines 60x (10 digits, or 12 with 57), old
    landlines (7 digits)."""
    if len(digits) == 12:
        return digits.startswith("57")
    return len(digits) == 7 or (len(digits) == 10 and digits.startswith(("3", "60")))


def _address(tokens: list[Token], state: DialogState) -> tuple[int, int] | None:
    """The span of a street address ("Cra 7 No. 12-45 apto 301"), if there is one."""
    # When the address was asked for, a neighbourhood or building can start it too.
    starts = _ADDRESS_STARTS | (_PLACE_STARTS if state.pending_field == "address" else set())
    for i, token in enumerate(tokens):
        if token.text not in starts:
            continue
        j = i + 1
        if j < len(tokens) and tokens[j].text == "." and token.text in _ABBREVIATIONS:
            j += 1
        if j >= len(tokens) or not (tokens[j].text.isdigit() or tokens[j].is_alpha):
            continue
        end = _address_end(tokens, j)
        span = tokens[i : end + 1]
        if end > i and (any(t.text[0].isdigit() for t in span) or state.pending_field == "address"):
            return token.start, tokens[end].end
    return None


def _address_end(tokens: list[Token], j: int) -> int:
    """Index of the last token of an address whose first part starts at `j`."""
    last = j - 1
    named = tokens[j - 1].text in _NAMED_PARTS or tokens[j - 1].text in _ADDRESS_STARTS
    k = j
    while k < len(tokens) and k - j < _MAX_ADDRESS_TOKENS:
        text = tokens[k].text
        nxt = tokens[k + 1].text if k + 1 < len(tokens) else ""
        if _city_at(tokens, k) is not None:
            break
        if text.isdigit() and len(text) <= 4:
            named = False
        elif len(text) <= 3 and text.isalnum() and any(c.isdigit() for c in text):
            named = False  # "8a", "12b"
        elif text in _ADDRESS_PARTS:
            named = text in _NAMED_PARTS
        elif (text == "." and tokens[k - 1].text in _ABBREVIATIONS) or (
            text == "," and nxt in _ADDRESS_PARTS
        ):
            pass  # "No. 12", "..., barrio Centro"
        elif text.isalpha() and (named or len(text) == 1) and text not in BREAKERS - ARTICLES:
            pass  # a street or neighbourhood name, or a letter ("calle 8 a")
        elif text in ("de", "del") and tokens[k - 1].text.isdigit() and nxt.isalpha():
            named = True  # "Avenida 30 de Agosto"
        else:
            break
        if text not in ARTICLES and text not in (",", "de", "del"):
            last = k
        k += 1
    return last


def _city_at(tokens: list[Token], i: int) -> tuple[str, int] | None:
    """The city whose name starts at token `i` and how many tokens it takes."""
    for size in range(min(LONGEST_CITY, len(tokens) - i), 0, -1):
        words = tuple(t.text for t in tokens[i : i + size])
        if words in CITY_NAMES:
            return CITY_NAMES[words], size
    return None


def _city(tokens: list[Token], text: str) -> tuple[str, int, int] | None:
    """The first city named, or the first not taken back ("no es Pereira, es Dosquebradas")."""
    cities: list[tuple[str, int, int]] = []
    for i in range(len(tokens)):
        city = _city_at(tokens, i)
        if city is not None:
            name, size = city
            cities.append((name, tokens[i].start, tokens[i + size - 1].end))
    kept = [c for c in cities if not _NEGATED.search(text[max(0, c[1] - 12) : c[1]])]
    chosen = kept or cities
    return chosen[0] if chosen else None


def _name(
    tokens: list[Token],
    original: str,
    state: DialogState,
    is_product: Callable[[str], bool],
    with_data: bool,
) -> tuple[int, int] | None:
    """The span of the buyer's name: after "me llamo"/"soy"..., bare when it was asked for,
    capitalised, or starting with a known first name next to a cédula or a phone."""

    def name_word(token: Token) -> bool:
        text = token.text
        return (
            token.is_alpha
            and len(text) >= 2
            and text not in BREAKERS
            and text not in CONNECTORS
            and text not in ARTICLES
            and text not in _DATA_WORDS
            and not is_product(text)
        )

    def run(i: int) -> int:
        """Index after the last name word of the name that starts at `i`."""
        j = i
        while j < len(tokens) and j - i < 6:
            if name_word(tokens[j]):
                j += 1
            elif tokens[j].text in NAME_PARTICLES and j > i and j + 1 < len(tokens):
                k = j
                while k < len(tokens) and tokens[k].text in NAME_PARTICLES:
                    k += 1
                if k < len(tokens) and name_word(tokens[k]):
                    j = k
                else:
                    break
            else:
                break
        return j

    def capitalised(token: Token) -> bool:
        return original[token.start].isupper()

    for i in range(len(tokens)):
        for intro, strong in _NAME_INTROS:
            end = i + len(intro)
            if tuple(t.text for t in tokens[i:end]) != intro:
                continue
            while end < len(tokens) and tokens[end].text in (":", "es", "is"):
                end += 1
            stop = run(end)
            if stop == end or tokens[end].text in NOT_NAMES:
                continue
            first = tokens[end]
            if strong or capitalised(first) or first.text in FIRST_NAMES:
                return first.start, tokens[stop - 1].end
            if state.pending_field == "name":
                return first.start, tokens[stop - 1].end
    if state.pending_field == "name":
        start = 0
        while start < len(tokens) and tokens[start].text in _NAME_LEAD:
            start += 1
        stop = run(start)
        # Only a name, or a name with the other data: "Juan Pérez, cc 1032456789".
        rest = [t.text for t in tokens[stop:] if t.is_alpha]
        if stop > start and all(w in BREAKERS or w in _DATA_WORDS for w in rest):
            return tokens[start].start, tokens[stop - 1].end
    shouting = original.upper() == original
    for i in range(len(tokens) - 1):
        stop = run(i)
        if stop - i >= 2 and not shouting and all(capitalised(t) for t in tokens[i:stop]):
            return tokens[i].start, tokens[stop - 1].end
    if with_data:
        # A voice note's run-on: "le doy los datos andrea lopez cedula 1093456789 ...".
        for i in range(len(tokens) - 1):
            stop = run(i)
            if tokens[i].text in FIRST_NAMES and stop - i >= 2:
                return tokens[i].start, tokens[stop - 1].end
    return None


def _leftover(
    tokens: list[Token], spans: list[tuple[int, int]], lead: frozenset[str]
) -> list[Token]:
    """The words not taken by another entity, without leading filler, trailing punctuation."""
    rest = [t for t in tokens if t.is_word and not any(s <= t.start < e for s, e in spans)]
    while rest and rest[0].text in lead:
        rest.pop(0)
    return rest


def _proper(text: str) -> str:
    """A name as people write it: "juan perez" → "Juan Perez"; "María del Pilar" unchanged."""
    text = " ".join(text.split()).strip(" ,.;:")
    if text.lower() != text and text.upper() != text:
        return text
    return " ".join(
        word if word in NAME_PARTICLES else word.capitalize() for word in text.lower().split()
    )
