"""Text normalisation shared by the understanding and the search."""

from __future__ import annotations

import pytest

from agent.text import normalize, singular, tokens


@pytest.mark.parametrize(
    ("plural", "one"),
    [
        ("extintores", "extintor"),
        ("guantes", "guante"),
        ("arneses", "arnes"),
        ("arnes", "arnes"),
        ("luces", "luz"),
        ("señales", "señal"),
        ("botiquines", "botiquin"),
        ("desechables", "desechable"),
        ("dobles", "doble"),
        ("azules", "azul"),
        ("tapabocas", "tapabocas"),
        ("boots", "boot"),
    ],
)
def test_singular(plural: str, one: str) -> None:
    assert singular(plural) == one


def test_normalize_keeps_enye_and_drops_accents() -> None:
    assert normalize("  Señalización  ELÉCTRICA ") == "señalizacion electrica"


def test_tokens_keep_decimal_numbers() -> None:
    assert tokens("Extintor de 10,5 Libras, ¿CUÁNTO?") == [
        "extintor",
        "de",
        "10,5",
        "libras",
        "cuanto",
    ]
