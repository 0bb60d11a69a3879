"""The catalogue of the words customers and staff read: one gettext `.po` file per language.

Message ids are stable keys (`sales.cart_empty`), translated in every language; a text names
the values code fills as `{placeholders}` (prices, quantities, order numbers are formatted by
code, never written here). A shop may override any text with its own `words.<language>.po`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Formatter

from babel.messages.pofile import read_po

from agent.errors import ConfigurationError

LANGUAGES = ("es", "en")
"""Spanish first: a language the catalogue does not have reads the Spanish text."""

SHOP_FILE = "words.{language}.po"
"""A shop's overrides in SHOP_WORDS_DIR, one file per language, holding only the ids it changes."""


def placeholders(text: str) -> frozenset[str]:
    """The names a text leaves for code to fill: `{total}` → `total`."""
    return frozenset(name for _, name, _, _ in Formatter().parse(text) if name is not None)


def read_texts(path: Path) -> dict[str, str]:
    """The id → text pairs of one `.po` file (its empty header left out)."""
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {str(m.id): str(m.string) for m in catalog if m.id}


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Every text by language and id."""

    texts: Mapping[str, Mapping[str, str]]

    @classmethod
    def packaged(cls) -> Catalogue:
        """The catalogue shipped with the product (agent/words/locale)."""
        locale = resources.files("agent.words") / "locale"
        texts = {}
        for language in LANGUAGES:
            with resources.as_file(locale / language / "LC_MESSAGES" / "messages.po") as path:
                texts[language] = read_texts(path)
        return cls(texts)

    def text(self, language: str, key: str, values: Mapping[str, str | int]) -> str:
        """The text of `key` in `language` (Spanish if unknown), its placeholders filled."""
        texts = self.texts.get(language) or self.texts[LANGUAGES[0]]
        return texts[key].format_map(values)

    def with_shop_words(self, folder: Path) -> Catalogue:
        """This catalogue with a shop's overrides; an unknown id or placeholder stops it here."""
        texts = {language: dict(by_key) for language, by_key in self.texts.items()}
        for language in LANGUAGES:
            path = folder / SHOP_FILE.format(language=language)
            if not path.is_file():
                continue
            for key, text in read_texts(path).items():
                base = texts[language].get(key)
                if base is None:
                    raise ConfigurationError(f"{path}: unknown message id {key!r}")
                wanted = placeholders(base)
                if placeholders(text) != wanted:
                    names = ", ".join(f"{{{name}}}" for name in sorted(wanted))
                    rule = f"use the placeholders {names}" if wanted else "have no placeholders"
                    raise ConfigurationError(f"{path}: message {key!r} must {rule}")
                texts[language][key] = text
        return Catalogue(texts)
