"""The words customers and staff read, from one catalogue per language (agent/words/locale).

`t(language, "sales.now_empty")` is the text of an id; `N_("…")` marks an id that code picks at
run time, so that `pybabel extract` (pyproject.toml) still sees it; `Labels` is a table of such
ids read as texts. SHOP_WORDS_DIR overrides texts (README "Words").
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from pathlib import Path
from typing import TypeVar

from agent.words.catalogue import Catalogue

STAFF_LANGUAGE = "es"
"""The language of the staff's pages (the console, the dashboard, the reports)."""

K = TypeVar("K", bound=Hashable)

_catalogue = Catalogue.packaged()


def t(language: str, key: str, /, **values: str | int) -> str:
    """The text of message `key` in `language`, with the values code formatted filled in."""
    return _catalogue.text(language, key, values)


def N_(key: str) -> str:
    """Mark a message id kept in a table, for extraction; the text comes from `t` later."""
    return key


def use_shop_words(folder: Path | None) -> None:
    """Read a shop's overrides (SHOP_WORDS_DIR) over the packaged texts; None keeps those."""
    global _catalogue
    packaged = Catalogue.packaged()
    _catalogue = packaged if folder is None else packaged.with_shop_words(folder)


class Labels(Mapping[K, str]):
    """A table of names (`{"active": N_("console.state.active")}`) read as texts in a language."""

    def __init__(self, language: str, ids: Mapping[K, str]) -> None:
        self.language = language
        self.ids = ids

    def __getitem__(self, key: K) -> str:
        return t(self.language, self.ids[key])

    def __iter__(self) -> Iterator[K]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)
