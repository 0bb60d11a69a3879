"""Questions about a product answered with a sentence of its own description."""

from __future__ import annotations

import pytest

from agent.catalog.descriptions import answering_sentence

REFILL = (
    "Recarga de extintor de agua a presión de 2,5 galones. Para fuegos clase A: madera, "
    "papel y telas. No usar en fuegos eléctricos. Incluye prueba hidrostática."
)
GLOVE = "Guante de caucho dieléctrico clase 2 para media tensión hasta 17.000 V de uso máximo."
SIGN = "Señal de ruta de evacuación con flecha. En PVC fotoluminiscente de 20x30 cm."
EXTINGUISHER = "Extintor portátil de polvo químico seco. Pesa 9 kg cargado. Con manómetro."


@pytest.mark.parametrize(
    ("description", "question", "sentence"),
    [
        (REFILL, "y sirve pa fuegos electricos?", "No usar en fuegos eléctricos."),
        (REFILL, "sirve pa madera?", "Para fuegos clase A: madera, papel y telas."),
        (REFILL, "le hacen prueba hidrostatica?", "Incluye prueba hidrostática."),
        (GLOVE, "aguanta 17.000 V?", GLOVE),
        (GLOVE, "what voltage can it take?", GLOVE),
        (SIGN, "de q tamaño es?", "En PVC fotoluminiscente de 20x30 cm."),
        (SIGN, "how long is it", "En PVC fotoluminiscente de 20x30 cm."),
        (EXTINGUISHER, "y cuanto pesa lleno?", "Pesa 9 kg cargado."),
    ],
)
def test_the_sentence_that_speaks_of_what_is_asked(
    description: str, question: str, sentence: str
) -> None:
    assert answering_sentence(description, question) == sentence


@pytest.mark.parametrize("question", ["sirve?", "cuanto dura?", "y para cocinas industriales?"])
def test_no_sentence_when_the_description_says_nothing_of_it(question: str) -> None:
    assert answering_sentence(REFILL, question) is None
