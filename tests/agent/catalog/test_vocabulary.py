"""The bilingual vocabulary and the shop's own synonyms file."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.catalog.vocabulary import Vocabulary
from agent.errors import ConfigurationError


def test_a_name_finds_its_group_in_the_other_language() -> None:
    vocabulary = Vocabulary.load(None)
    assert ("escritorio", "desk") in vocabulary.groups_in("Customizable Desk (Steel, White)")
    assert ("escritorio", "desk") in vocabulary.groups_in("Escritorios en L")
    assert vocabulary.groups_in("Extintor de 10 libras") == []


def test_the_shop_adds_its_own_groups_phrases_too(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.yaml"
    path.write_text("- [archivador, storage box, caja de archivo]\n", encoding="utf-8")
    vocabulary = Vocabulary.load(path)
    assert vocabulary.groups_in("Storage Box, blue") == [
        ("archivador", "storage box", "caja de archivo"),
        ("caja", "box"),
    ]
    assert ("escritorio", "desk") in vocabulary.groups_in("desk")  # the built-in ones stay


@pytest.mark.parametrize(
    ("text", "said"),
    [("archivador: storage box\n", "must be a list of groups"), ("- [a, b\n", "cannot read")],
)
def test_a_malformed_file_is_refused_naming_it(tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "synonyms.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=said) as refused:
        Vocabulary.load(path)
    assert str(path) in str(refused.value)
