"""What a customer asks the shop to sell or do, even when it is nothing the shop knows.

"¿venden detectores de humo?", "do you sell smoke detectors?": the words after the request
are a product asked for. When the catalog has no such product, the answer is "no manejamos
detectores de humo" (rag_domains/inventory.py), not a greeting or "no te entendí". "¿me
bordan el logo en los overoles?", "do you engrave helmets?" ask for a service: its name
("bordado", "engraving") is what is asked for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from agent.nlu.cues import find_cues
from agent.nlu.vocabulary import ARTICLES, BREAKERS, CONNECTORS, word_set

_REQUESTS = word_set(
    "venden vende vendes manejan maneja manejas tienen tiene tienes consiguen consigo "
    "distribuyen busco buscamos buscando necesito necesitamos necesitaria cotizar cotizan "
    "alquilan alquilar sell sells need needs looking"
)
"""Words after which the customer names what they want ("venden X", "we need X")."""

_ASKED_OF_YOU = word_set("have has carry stock make")
"""Requests only when said to the shop: "do you have X", not "have a good day"."""

_SKIPPED = ARTICLES | word_set(
    "ustedes usted you also tambien alquilar comprar conseguir cotizar for any algo some a an of"
)
"""Words between the request and what is asked: "venden *ustedes* X", "do you *also* sell X"."""

_JOINERS = word_set("de del")
_PRONOUNS = word_set("eso esto aquello ello nada todo algo it them that this those these")
"""What a request may point at without naming a product: "necesito eso pa mañana"."""
_MAX_WORDS = 4


def asked_phrase(words: Sequence[str]) -> list[str] | None:
    """The words naming what is asked for after a request ("detectores de humo"), if any.

    Nothing when the words say something else the shop deals with: "necesito hacer un
    pedido" or "tienen envío" are read by the cues.
    """
    for i, word in enumerate(words):
        if word not in _REQUESTS and not (word in _ASKED_OF_YOU and "you" in words[i - 2 : i]):
            continue
        j = i + 1
        while j < len(words) and words[j] in _SKIPPED:
            j += 1
        phrase: list[str] = []
        while j < len(words) and len(phrase) < _MAX_WORDS:
            current = words[j]
            if current in _JOINERS and phrase and j + 1 < len(words) and _noun(words[j + 1]):
                phrase += [current, words[j + 1]]
                j += 2
                continue
            if not _noun(current):
                break
            phrase.append(current)
            j += 1
        if phrase and not find_cues(phrase):
            return phrase
    return None


def _noun(word: str) -> bool:
    """A word that may be part of a product's name: letters, not a function word nor a verb."""
    return (
        word.isalpha()
        and len(word) > 2
        and word not in BREAKERS
        and word not in CONNECTORS
        and word not in _SKIPPED
        and word not in _REQUESTS
        and word not in _ASKED_OF_YOU
        and word not in _PRONOUNS
        and not word.endswith(("ar", "ir"))  # "alquilar", "pedir"; "-er" ends English nouns
    )


_SERVICES: tuple[tuple[str, str, str], ...] = (
    (r"bord(?:an|ar\w*|en|amos|ad[oa]s?)", "bordado", "embroidery"),
    (r"embroider\w*", "bordado", "embroidery"),
    (r"estamp(?:an|ar\w*|en|amos|ad[oa]s?)", "estampado", "printing"),
    (r"sublim(?:an|ar\w*|en|ad[oa]s?|acion)", "sublimado", "printing"),
    (r"personaliz(?:an|ar\w*|en|ad[oa]s?|acion)", "personalización", "customization"),
    (r"customi[sz]\w*|personali[sz]e\w*", "personalización", "customization"),
    (r"grab(?:an|ar|arle\w*|ado)|engrav\w*", "grabado", "engraving"),
    (r"instal(?:an|ar\w*|en|acion)|install\w*", "instalación", "installation"),
    (r"repar(?:an|ar\w*|en|acion)|repair\w*", "reparación", "repair"),
    (r"arregl(?:an|ar\w*|en|o)", "reparación", "repair"),
    (r"confeccion(?:an|ar\w*|en)|tailor\w*|sew\w*", "confección", "tailoring"),
)
"""Services a customer may ask a shop of this trade to do: a form of the verb (or its noun)
→ what the service is called, in Spanish and in English."""


def asked_service(
    words: Sequence[str], *, english: bool, known: Callable[[str], bool]
) -> str | None:
    """The name of a service the words ask for ("bordado" for "¿me bordan el logo?"); a word
    of the shop's own product names ("Customizable Desk") asks for no service."""
    for word in words:
        if known(word):
            continue
        for pattern, spanish, in_english in _SERVICES:
            if re.fullmatch(pattern, word):
                return in_english if english else spanish
    return None
