"""The offline reading of a staff question: rules map it to one query of the fixed set and its
parameters (the period, a channel, a grouping, a limit, and a product or category found with
the catalog search). A question no rule recognises reads as nothing; the page then says what
the assistant can answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from agent.catalog.search import ProductIndex
from agent.text import normalize, singular
from console.assistant.questions import Ask, Grouping, PeriodName, QueryName

NUMBER_WORDS = {
    "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9,
    "diez": 10, "doce": 12, "quince": 15, "veinte": 20, "treinta": 30, "sesenta": 60,
    "noventa": 90, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "fourteen": 14, "fifteen": 15,
    "twenty": 20, "thirty": 30, "sixty": 60, "ninety": 90,
}  # fmt: skip
_N = r"(\d{1,3}|" + "|".join(NUMBER_WORDS) + r")"
MONTHS = {
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11,
    "diciembre": 12, "january": 1, "february": 2, "march": 3, "april": 4, "june": 6,
    "july": 7, "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}  # fmt: skip
_MONTH = r"(" + "|".join(MONTHS) + r")"


@dataclass(frozen=True, slots=True)
class Rule:
    """A pattern of the normalised question and what it means."""

    pattern: re.Pattern[str]
    value: str


def _rules(table: Iterable[tuple[str, str]]) -> list[Rule]:
    return [Rule(re.compile(rf"\b(?:{pattern})\b"), value) for value, pattern in table]


QUERIES = _rules(
    [
        (
            QueryName.WAITING_HANDOFFS,
            r"esperand\w*|en espera|esperan|espera (?:a )?(?:un |una )?(?:asesor|persona|humano)"
            r"|sin atender|handoffs?|traspasos?|waiting|awaiting"
            r"|unattended|piden (?:un )?asesor|pidieron (?:un )?asesor|quieren (?:un )?asesor"
            r"|asked for (?:a )?(?:person|human|agent)|need (?:a )?human",
        ),
        (
            QueryName.LOW_STOCK,
            r"agot\w*|se (?:esta |estan )?acaba\w*|acabando|por acabarse|poco stock|stock bajo"
            r"|bajo stock|poco inventario|inventario bajo|bajo inventario|existencias bajas"
            r"|quedan? pocos?|reponer|reposicion|reabastecer|restock\w*|reorder"
            r"|low (?:on )?(?:stock|inventory)|running (?:low|out)|run(?:s)? out|selling out"
            r"|sell(?:ing)? out|out of stock|sold out",
        ),
        (
            QueryName.OPEN_ORDERS,
            r"(?:pedidos?|ordenes?|ventas?) (?:pendientes?|abiert[oa]s?|sin (?:entregar|despachar)"
            r"|por (?:entregar|despachar|enviar))|pendientes? de (?:entrega|despacho|envio)"
            r"|pending orders?|open orders?|orders? (?:pending|still open|not (?:yet )?delivered"
            r"|to (?:ship|deliver))|undelivered|unshipped|sin (?:entregar|despachar)"
            r"|por (?:entregar|despachar)|no entregad\w*|pendientes?|pending",
        ),
        (
            QueryName.NEW_CUSTOMERS,
            r"clientes? nuevos?|nuevos? clientes?|new (?:customers?|clients?|buyers)"
            r"|first[- ]time (?:customers|buyers)|se registraron|signed up|primera compra",
        ),
        (
            QueryName.BUYERS,
            r"quien(?:es)? (?:me |nos |)(?:compro|compraron|ha comprado|han comprado|pidio"
            r"|pidieron|ha pedido|han pedido)|who (?:has |have )?(?:bought|purchased|ordered)"
            r"|clientes (?:que|quienes) compraron|compradores|buyers|customers who bought",
        ),
        (
            QueryName.TOP_PRODUCTS,
            r"mas vendid\w*|top|best ?sell\w*|best-sell\w*|lo que mas se vend\w*"
            r"|que mas se vend\w*|se vende mas|mas se venden?|productos estrella"
            r"|mejores productos|most (?:sold|popular)|(?:sold|sell|sells) (?:the )?most"
            r"|mas populares",
        ),
        (
            QueryName.SALES,
            r"ventas?|vendimos|vendido|vendio|vendemos|facturacion|facturamos|facturado|ingresos"
            r"|sales|sold|revenue|income|turnover|how much did we (?:sell|make)"
            r"|cuantos pedidos|how many orders|pedidos|orders|sell",
        ),
    ]
)
PERIODS = _rules(
    [
        ("days", rf"(?:(?:en )?(?:los |las )?ultim[oa]s|(?:the )?(?:last|past)) {_N} dias?"),
        ("days", rf"(?:(?:the )?(?:last|past)) {_N} days?"),
        ("weeks", rf"(?:(?:en )?(?:las )?ultimas|(?:the )?(?:last|past)) {_N} (?:semanas|weeks)"),
        ("months", rf"(?:(?:en )?(?:los )?ultimos|(?:the )?(?:last|past)) {_N} (?:meses|months)"),
        (PeriodName.LAST_WEEK, r"(?:la )?semana (?:pasada|anterior)|last week|previous week"),
        ("week", r"(?:en )?(?:la )?ultima semana|(?:the )?past week|(?:the )?last 7 days"),
        (PeriodName.LAST_MONTH, r"(?:el )?mes (?:pasado|anterior)|last month|previous month"),
        ("month", r"(?:en )?(?:el )?ultimo mes|(?:the )?past month"),
        (PeriodName.THIS_WEEK, r"(?:de |en )?esta semana|this week|(?:la )?semana actual"),
        (PeriodName.THIS_MONTH, r"(?:de |en )?este mes|this month|(?:del |el )?mes actual|del mes"),
        (
            PeriodName.THIS_YEAR,
            r"(?:de |en )?este a(?:ñ|n)o|this year|(?:en )?lo que va del a(?:ñ|n)o"
            r"|del a(?:ñ|n)o(?! pasado| anterior)",
        ),
        (
            PeriodName.LAST_YEAR,
            r"(?:el |del )?a(?:ñ|n)o (?:pasado|anterior)|last year|previous year",
        ),
        (PeriodName.TODAY, r"(?:de )?hoy|today"),
        (PeriodName.YESTERDAY, r"(?:de )?ayer|yesterday"),
        ("named", rf"(?:en|de|durante|in|during|for) {_MONTH}"),
    ]
)
GROUPS = _rules(
    [
        (Grouping.CHANNEL, r"(?:por|by|per|de cada|each) canal(?:es)?|(?:by|per|each) channels?"),
        (
            Grouping.DAY,
            r"(?:por|cada) dias?|(?:by|per) day|diari[oa]s?|daily|dia a dia|day by day|each day",
        ),
        (Grouping.PRODUCT, r"(?:por|by|per|de cada|each) productos?"),
        (
            Grouping.CATEGORY,
            r"(?:por|by|per|de cada|each) (?:categorias?|categor(?:y|ies)|lineas?)",
        ),
    ]
)
CHANNELS = _rules(
    [
        ("whatsapp", r"(?:por |en |on |via |from )?(?:whatsapp|wasap|wsp)"),
        ("telegram", r"(?:por |en |on |via |from )?telegram"),
        (
            "web",
            r"(?:por |en |on |via |from )?(?:el |the )?"
            r"(?:chat web|web chat|pagina web|website|web)",
        ),
        ("odoo", r"(?:por |en |on |via |from )?odoo"),
        ("cli", r"(?:por |en |on |via |from )?(?:la |the )?terminal"),
    ]
)
LIMIT = re.compile(
    rf"\b(?:top|los|las|first|primer[oa]s) {_N}\b"
    rf"|\b{_N} (?:productos|products|clientes|customers)\b"
)

_ENGLISH = (
    "what which who whose how much many the this last past week month year today yesterday "
    "sales sold bought orders customers new products selling running out show me by per of "
    "is are were our we did has have been waiting pending open best most daily days weeks "
    "any around here lately there for with and from got get give all was been your you an "
    "do does lot lots"
)
ENGLISH = frozenset(_ENGLISH.split())
_SPANISH = (
    "que cual quien quienes como cuanto cuantos cuantas la el los las esta este semana mes año "
    "ano hoy ayer ventas vendimos compro compraron pedidos clientes nuevos productos por de del "
    "se estan agotando muestrame dame son fueron nuestros hemos esperando pendientes mas dias "
    "semanas diarias"
)
SPANISH = frozenset(_SPANISH.split())
_FILLER = """
    a al algo alguien algun alguna algunos ante aqui cada como con cual cuales cuando cuanto
    cuanta cuantos cuantas de del desde donde durante el ella en entre es esa ese eso esta este
    esto estos estas estan esten fue fueron ha han hay hasta la las le les lo los me mi mis mas
    muy nos nuestro nuestra nuestros nuestras o para pero por porfa favor que quien quienes se
    sea ser si sin sobre son su sus tambien te tenemos tiene tienen todo todos tu un una unos
    unas y ya yo dame dime muestrame muestra mostrar ver quiero necesito saber puedes podrias
    lista listado cuales informe reporte resumen tienda productos producto articulos clientes
    cliente unidades unidad compras compra comprado pedido pedidos ventas venta vendieron
    vendido total cantidad año ano mes semana dia dias pasado pasada anterior
    about all an and any are as at be been by can could did do does each for from get give
    had has have how i in into is it its list me my of on or our please report show sold
    some tell that the their them there these they this those to us was we were what which
    who whom why will with would you your products product items item customers customer
    orders order units unit sales sale bought purchased
"""
FILLER = frozenset(_FILLER.split())


@dataclass(frozen=True, slots=True)
class Reading:
    """What the rules made of a question: the query and its parameters (None: no rule knew
    it), and the question's language."""

    ask: Ask | None
    language: str


def language_of(text: str) -> str:
    """`en` when the question has more English words than Spanish ones, else `es`."""
    words = re.findall(r"[a-zñ]+", normalize(text))
    english = sum(word in ENGLISH for word in words)
    spanish = sum(word in SPANISH for word in words)
    return "en" if english > spanish else "es"


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


class Reader:
    """Reads staff questions with rules; products and categories through the catalog search."""

    def __init__(self, index: ProductIndex) -> None:
        self.index = index

    def read(self, question: str) -> Reading:
        """The query and parameters the question asks for, as far as the rules tell."""
        text = normalize(question)
        text = re.sub(r"[^\w\s-]", " ", text)
        text = re.sub(r"\s+", " ", text).strip()
        language = language_of(question)
        query = next((rule for rule in QUERIES if rule.pattern.search(text)), None)
        if query is None:
            return Reading(None, language)
        name = QueryName(query.value)
        rest = query.pattern.sub(" ", text)
        values: dict[str, object] = {"query": name}
        rest = self._period(rest, values)
        if name == QueryName.SALES:
            for rule in GROUPS:
                if rule.pattern.search(rest):
                    values["group"] = Grouping(rule.value)
                    rest = rule.pattern.sub(" ", rest)
                    break
        if name != QueryName.NEW_CUSTOMERS:  # a customer has no channel of their own
            for rule in CHANNELS:
                if rule.pattern.search(rest):
                    values["channel"] = rule.value
                    rest = rule.pattern.sub(" ", rest)
                    break
        found = LIMIT.search(text)  # "top 5": the query's own word may be part of it
        if found is not None:
            values["limit"] = min(_number(found.group(1) or found.group(2)), 50)
            rest = LIMIT.sub(" ", rest)
        if name in (
            QueryName.LOW_STOCK,
            QueryName.SALES,
            QueryName.TOP_PRODUCTS,
            QueryName.BUYERS,
        ):
            values.update(self._products(rest))
        return Reading(Ask.model_validate(values), language)

    @staticmethod
    def _period(text: str, values: dict[str, object]) -> str:
        for rule in PERIODS:
            found = rule.pattern.search(text)
            if found is None:
                continue
            if rule.value in ("days", "weeks", "months"):
                scale = {"days": 1, "weeks": 7, "months": 30}[rule.value]
                values["period"] = PeriodName.LAST_DAYS
                values["days"] = min(_number(found.group(1)) * scale, 366)
            elif rule.value in ("week", "month"):
                values["period"] = PeriodName.LAST_DAYS
                values["days"] = 7 if rule.value == "week" else 30
            elif rule.value == "named":
                values["period"] = PeriodName.MONTH
                values["month"] = MONTHS[found.group(1)]
            else:
                values["period"] = PeriodName(rule.value)
            return rule.pattern.sub(" ", text, count=1)
        return text

    def _products(self, text: str) -> dict[str, str]:
        """A category the words name, or the words the catalog search knows as a product."""
        words = [
            word
            for word in text.split()
            if word not in FILLER and (word.isdigit() or self.index.search(word, limit=1))
        ]
        if all(word.isdigit() for word in words):
            return {}
        said = {singular(word) for word in words}
        for category, _count in self.index.categories():
            if said <= {singular(word) for word in normalize(category).split()}:
                return {"category": category}
        return {"product": " ".join(words)}
