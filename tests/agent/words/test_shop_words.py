"""A shop's own wording (SHOP_WORDS_DIR): read at start-up, checked, and used by every turn."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from conftest import Chat

from agent.errors import ConfigurationError
from agent.settings import Settings
from agent.words import t, use_shop_words
from salesagent.runtime import Runtime


def po(entries: dict[str, str]) -> str:
    """A `.po` file holding `entries` (id → text)."""
    return "".join(f'msgid "{key}"\nmsgstr "{text}"\n\n' for key, text in entries.items())


@pytest.fixture(autouse=True)
def packaged_words_after() -> Iterator[None]:
    """The process-wide catalogue goes back to the packaged texts after each test."""
    yield
    use_shop_words(None)


@pytest.fixture
def words_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "words"
    folder.mkdir()
    (folder / "words.es.po").write_text(
        po(
            {
                "smalltalk.greeting.again": "{hello} ¡Qué bueno leerte otra vez!",
                "smalltalk.thanks": "¡A la orden! ¿Algo más?",
            }
        ),
        encoding="utf-8",
    )
    (folder / "words.en.po").write_text(
        po({"smalltalk.thanks": "Any time! Anything else?"}), encoding="utf-8"
    )
    return folder


@pytest.fixture
async def shop_runtime(demo_settings: Settings, words_dir: Path) -> AsyncIterator[Runtime]:
    settings = demo_settings.model_copy(update={"shop_words_dir": words_dir})
    runtime = await Runtime.start(settings, migrate=False)
    yield runtime
    await runtime.close()


async def test_a_turn_answers_with_the_shops_wording(shop_runtime: Runtime) -> None:
    chat = Chat(shop_runtime, "chat-shop-words")

    first = await chat.say("hola")
    again = await chat.say("hola")
    thanks = await chat.say("muchas gracias")

    assert first.reply.startswith("¡Hola! Soy el asistente virtual de")  # not overridden
    assert again.reply == "¡Hola! ¡Qué bueno leerte otra vez!"
    assert thanks.reply == "¡A la orden! ¿Algo más?"


async def test_what_the_shop_did_not_change_reads_as_packaged(shop_runtime: Runtime) -> None:
    chat = Chat(shop_runtime, "chat-shop-words-en")

    thanks = await chat.say("thanks a lot")
    bye = await chat.say("bye, thanks")

    assert thanks.reply == "Any time! Anything else?"
    assert bye.reply == t("en", "smalltalk.goodbye")
    assert t("es", "sales.now_empty") == "Tu carrito quedó vacío."


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"smalltalk.thanx": "¡Con gusto!"}, "unknown message id 'smalltalk.thanx'"),
        (
            {"sales.removed": "Listo, lo quité."},
            "message 'sales.removed' must use the placeholders {name}",
        ),
        (
            {"sales.now_empty": "Tu carrito de {shop} quedó vacío."},
            "message 'sales.now_empty' must have no placeholders",
        ),
    ],
)
async def test_a_wrong_override_stops_the_start_naming_the_id(
    demo_settings: Settings, tmp_path: Path, entries: dict[str, str], message: str
) -> None:
    (tmp_path / "words.es.po").write_text(po(entries), encoding="utf-8")
    settings = demo_settings.model_copy(update={"shop_words_dir": tmp_path})

    with pytest.raises(ConfigurationError, match=message) as caught:
        await Runtime.start(settings, migrate=False)
    assert str(tmp_path / "words.es.po") in str(caught.value)

    (tmp_path / "words.es.po").write_text(po({"sales.removed": "Quité {name}."}), encoding="utf-8")
    runtime = await Runtime.start(settings, migrate=False)
    await runtime.close()
    assert t("es", "sales.removed", name="el casco") == "Quité el casco."
