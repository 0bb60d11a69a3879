"""The words the keyword index holds and a question is searched by, the same on both databases.

Normalised in Python (lowercase, no accents but ñ, a cheap singular) so that SQLite's FTS5 and
PostgreSQL's 'simple' full-text configuration match exactly the same words.
"""

from __future__ import annotations

import re

from agent.text import singular, tokens

_DECIMAL = re.compile(r"[.,]")

_STOPWORDS = """
    a al algo algun alguna algunas alguno algunos ante antes aqui asi aun como con contra cual
    cuales cuando de del desde donde dónde e el ella ellas ellos en entre era es esa esas ese eso
    esos esta estan estas este esto estos fue ha hay han hasta la las le les lo los mas me mi mis
    mucho muy nada ni no nos nuestra nuestro nuestros o os otra otro para pero poco por porque
    puede pueden puedo que quien quienes se sea ser si sin sobre son su sus tambien te tengo tiene
    tienen tu tus un una uno unos unas usted ustedes y ya yo hola buenas dias favor gracias quiero
    saber necesito dime digame podria podrian cuanto cuanta cuantos cuantas hacer hace tienda
    dura duran durar cuesta cuestan vale valen puedo podemos debo debe deben hago hacen ofrecen
    manejan tener tienes sirve sirven funciona explicar explica vende venden vendes mandan manda
    mandar
    a an and any are as at be been but by can could do does did for from had has have how i if in
    into is it its me my of on or our please should so tell than that the their them then there
    these they this to us was we what when where which who why will with would you your hello hi
    thanks thank know need want shop store much many long last lasts cost costs get give offer
"""
STOPWORDS = frozenset(_STOPWORDS.split())
"""Words too common in questions and documents to say what a passage is about."""


def _words(text: str) -> list[str]:
    # `10,5` is two words: FTS5 and PostgreSQL's parser would split it differently otherwise.
    return [part for word in tokens(text) for part in _DECIMAL.split(word) if part]


def index_terms(text: str) -> list[str]:
    """The words of a passage as the keyword index holds them (stop words too: cheap, harmless)."""
    return [singular(word) for word in _words(text)]


def query_terms(text: str) -> list[str]:
    """The distinct words of a question worth searching for, in order."""
    seen: dict[str, None] = {}
    for word in _words(text):
        if word in STOPWORDS or len(word) < 2:
            continue
        seen.setdefault(singular(word), None)
    return list(seen)
