"""What a product the shop does not sell is for, said as what the shop sells for it.

"¿venden detectores de humo?" is answered "no manejamos detectores de humo" and, because
smoke means fire, with the extinguishers (rag_domains/inventory.py). Words are folded and
singular, as agent/catalog/search.py reads them.
"""

from __future__ import annotations

from agent.text import singular

_PURPOSES = {
    "extintor": (
        "humo smoke incendio fire fuego llama flame rociador sprinkler detector alarma alarm "
        "manta blanket"
    ),
    "arnes": "andamio scaffold scaffolding escalera ladder altura height",
}
_BY_WORD = {word: query for query, words in _PURPOSES.items() for word in words.split()}


def purpose_query(words: list[str]) -> str | None:
    """The search for what serves the same purpose as the words, if one of them says it."""
    for word in words:
        query = _BY_WORD.get(word) or _BY_WORD.get(singular(word))
        if query is not None:
            return query
    return None
