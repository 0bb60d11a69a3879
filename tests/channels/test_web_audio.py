"""`POST /chat/audio` over real HTTP: a web voice note goes through the same transcription and
turn as a WhatsApp or Telegram one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fixtures.live_server import LiveServer, serving
from fixtures.voice_setup import Speaker

from agent.settings import Settings


@pytest.fixture
async def server(
    demo_settings: Settings, tiny_en_model: str, tmp_path: Path
) -> AsyncIterator[LiveServer]:
    settings = demo_settings.model_copy(
        update={"whisper_model": tiny_en_model, "audio_dir": tmp_path / "audio"}
    )
    async with serving(settings) as live:
        yield live


async def test_a_web_voice_note_is_heard_and_answered(
    http: httpx.AsyncClient, speaker: Speaker, tmp_path: Path
) -> None:
    note = speaker.note("I need six dielectric helmets", voice="en-us")

    response = await http.post(
        "/chat/audio",
        data={"chat_id": "voz-web", "message_id": "nota-1"},
        files={"audio": ("nota.ogg", note, "audio/ogg; codecs=opus")},
    )
    again = await http.post(
        "/chat/audio",
        data={"chat_id": "voz-web", "message_id": "nota-1"},
        files={"audio": ("nota.ogg", note, "audio/ogg")},
    )
    history = (await http.get("/chat/history/voz-web")).json()

    assert response.status_code == 200
    body = response.json()
    assert "six dielectric helmets" in body["transcript"].lower()
    assert [(line["name"], line["quantity"]) for line in body["cart"]] == [
        ("Casco dieléctrico tipo II clase E", 6)
    ]
    assert body["language"] == "en"
    assert again.json()["reply"] == body["reply"]  # the same message id is answered once
    assert [m["role"] for m in history["messages"]] == ["customer", "agent"]
    assert len(list((tmp_path / "audio").iterdir())) == 1  # kept once for the staff


async def test_a_web_note_that_cannot_be_heard_is_answered_so(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/chat/audio",
        data={"chat_id": "voz-rota"},
        files={"audio": ("nota.ogg", b"OggS but not really" * 30, "audio/ogg")},
    )

    body = response.json()
    assert response.status_code == 200 and body["transcript"] is None
    assert body["reply"].startswith("No pude entender tu nota de voz")
