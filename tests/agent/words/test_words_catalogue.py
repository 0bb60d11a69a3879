"""The catalogue and the code agree: every id used exists in every language, none is unused,
and every language and every call names the same placeholders."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from agent.words.catalogue import LANGUAGES, Catalogue, placeholders

CHECKOUT = Path(__file__).parents[3]
PACKAGED = Catalogue.packaged()


@pytest.fixture(scope="module")
def used_ids(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The ids `pybabel extract` finds in the code, as configured in pyproject.toml."""
    pot = tmp_path_factory.mktemp("words") / "messages.pot"
    CommandLineInterface().run(["pybabel", "extract", "-o", str(pot)])
    with pot.open("rb") as handle:
        return {str(m.id) for m in read_po(handle) if m.id}


def test_extraction_finds_the_replies(used_ids: set[str]) -> None:
    assert {"sales.now_empty", "fields.ask.national_id", "handoff.reason.taken"} <= used_ids


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_id_used_in_code_has_a_text(used_ids: set[str], language: str) -> None:
    texts = PACKAGED.texts[language]
    assert sorted(used_ids - texts.keys()) == []
    assert all(texts[key] for key in used_ids)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_id_is_left_unused(used_ids: set[str], language: str) -> None:
    assert sorted(PACKAGED.texts[language].keys() - used_ids) == []


def test_every_language_names_the_same_placeholders() -> None:
    spanish = PACKAGED.texts["es"]
    differ = [
        (key, language)
        for language in LANGUAGES
        for key, text in PACKAGED.texts[language].items()
        if placeholders(text) != placeholders(spanish.get(key, ""))
    ]
    assert differ == []


def _calls() -> Iterator[tuple[str, ast.Call]]:
    for path in sorted(CHECKOUT.glob("*/**/*.py")):
        if path.relative_to(CHECKOUT).parts[0] in {"tests", ".venv", "node_modules", "bench"}:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                yield f"{path.relative_to(CHECKOUT)}:{node.lineno}", node


def test_every_call_fills_exactly_the_placeholders_of_its_text() -> None:
    wrong = []
    for where, call in _calls():
        passes_values_on = any(k.arg is None for k in call.keywords)  # t(..., **values)
        if call.func.id != "t" or len(call.args) != 2 or passes_values_on:  # type: ignore[attr-defined]
            continue
        given = {k.arg for k in call.keywords}
        key = call.args[1]
        if isinstance(key, ast.Constant):
            wanted = placeholders(PACKAGED.texts["es"].get(key.value, ""))
            if given != wanted:
                wrong.append(f"{where} {key.value}: gives {sorted(given)}, needs {sorted(wanted)}")
        elif given:  # an id picked at run time (an `N_` table) fills nothing
            wrong.append(f"{where}: an id picked at run time with values {sorted(given)}")
    assert wrong == []


def test_ids_kept_in_tables_have_no_placeholders() -> None:
    ids = [
        call.args[0].value
        for _, call in _calls()
        if call.func.id == "N_" and isinstance(call.args[0], ast.Constant)  # type: ignore[attr-defined]
    ]
    assert ids
    assert [key for key in ids if placeholders(PACKAGED.texts["es"][key])] == []
