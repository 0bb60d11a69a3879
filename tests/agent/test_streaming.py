"""Replies in pieces: nothing lost, nothing added, whatever the text."""

from __future__ import annotations

import pytest
from conftest import Chat

from agent.messages import InboundMessage
from agent.streaming import word_chunks


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hola",
        "  dos  espacios\n\ny líneas  ",
        "*Tu carrito*\n• 2 × Casco: $190.000\n",
        "a " * 50,
    ],
)
def test_pieces_concatenate_to_the_text(text: str) -> None:
    pieces = list(word_chunks(text))

    assert "".join(pieces) == text
    assert all(len(piece.split()) <= 3 for piece in pieces)


async def test_a_turn_streams_its_reply(chat: Chat) -> None:
    pieces: list[str] = []

    async def collect(piece: str) -> None:
        pieces.append(piece)

    message = InboundMessage(
        chat.channel, "m-1", chat.chat_id, "¿cuánto vale el casco dieléctrico?"
    )
    result = await chat.runtime.engine.handle(message, on_chunk=collect)

    assert len(pieces) > 3
    assert "".join(pieces) == result.reply
