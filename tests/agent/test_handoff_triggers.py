"""Which messages read as a complaint or as frustration (agent/handoff_triggers.py)."""

import pytest

from agent.handoff_triggers import complains, frustrated


@pytest.mark.parametrize(
    "text",
    [
        "el extintor me llego con el manometro en rojo, descargado",
        "ya van 5 dias esperando mi pedido y nada",
        "la careta se partio el primer dia de uso",
        "me enviaron guantes talla L y yo pedi M",
        "me cobraron el domicilio dos veces",
        "the gloves came torn at the seams",
        "I've been waiting ten days for my package",
        "they charged my account twice",
    ],
)
def test_a_complaint_in_new_words_is_read(text: str) -> None:
    assert complains(text)


@pytest.mark.parametrize(
    "text",
    [
        "quiero 5 cascos amarillos",
        "llegan hoy los guantes?",
        "cuanto vale la recarga de 20 libras",
        "is the visor scratch resistant?",
        "what is your refund policy",
    ],
)
def test_a_plain_request_is_no_complaint(text: str) -> None:
    assert not complains(text)
    assert not frustrated(text)


@pytest.mark.parametrize(
    "text", ["son unos ladrones", "this is ridiculous, nobody answers", "q falta de seriedad"]
)
def test_anger_after_punctuation_is_read(text: str) -> None:
    assert frustrated(text)
