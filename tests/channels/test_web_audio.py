"""`POST /chat/audio` over real HTTP: a web voice note goes through the same transcription and
turn as a WhatsApp or Telegram one."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fixtures.console_login import add_staff, logged_in
from fixtures.live_server import LiveServer, count, rows, serving
from fixtures.voice_setup import Speaker

from agent.models import Conversation, InboxItem
from agent.settings import Settings
from agent.voice.download import copy_folder
from channels.web.audio import AUDIO_TYPES


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


def resolved(path: str) -> str:
    return str(Path(path).resolve())


async def curl_note(url: str, path: Path, chat_id: str) -> tuple[int, dict[str, Any]]:
    """`curl -F audio=@FILE` (sent as application/octet-stream): the status and the body."""
    tool = shutil.which("curl")
    if tool is None:
        pytest.fail("curl is required by this test")
    process = await asyncio.create_subprocess_exec(
        tool,
        "-sS",
        "-w",
        "\n%{http_code}",
        "-F",
        f"chat_id={chat_id}",
        "-F",
        f"audio=@{path}",
        f"{url}/chat/audio",
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    body, _, status = out.decode().rpartition("\n")
    return int(status), json.loads(body)


async def test_a_note_sent_without_a_type_is_known_by_its_content(
    server: LiveServer,
    http: httpx.AsyncClient,
    speaker: Speaker,
    tiny_en_model: str,
    tmp_path: Path,
) -> None:
    note = tmp_path / "nota.ogg"
    note.write_bytes(speaker.note("I need six dielectric helmets", voice="en-us"))

    status, body = await curl_note(server.url, note, "voz-curl")

    assert status == 200, body
    assert "six dielectric helmets" in body["transcript"].lower()
    assert [p.suffix for p in (tmp_path / "audio").iterdir()] == [".ogg"]
    health = (await http.get("/health")).json()
    assert health["voice"] == {
        "status": "available",
        "model": server.runtime.settings.whisper_model,
        "path": resolved(tiny_en_model),
        "verified": False,
    }


async def test_a_file_that_is_not_audio_is_refused_naming_the_field(
    server: LiveServer, tmp_path: Path
) -> None:
    document = tmp_path / "pedido.dat"  # curl knows no type for .dat
    document.write_bytes(b"%PDF-1.7\n" + b"0" * 2000)

    status, body = await curl_note(server.url, document, "voz-pdf")

    assert status == 422
    assert body["errors"] == [
        {
            "field": "audio",
            "message": "the file was sent as application/octet-stream and its content is not a "
            "voice note (" + ", ".join(sorted(AUDIO_TYPES)) + ")",
        }
    ]
    assert not (tmp_path / "audio").exists()  # nothing stored
    assert await count(server, InboxItem) == 0


@pytest.fixture
async def modelless(
    demo_settings: Settings, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[LiveServer]:
    """The service with no speech model: an empty folder, or a size never fetched."""
    (tmp_path / "models").mkdir()
    (tmp_path / "hf").mkdir()
    model = str(tmp_path / "models") if request.param == "empty-folder" else "base"
    settings = demo_settings.model_copy(
        update={
            "whisper_model": model,
            "whisper_download_root": tmp_path / "hf",
            "audio_dir": tmp_path / "audio",
        }
    )
    async with serving(settings) as live:
        yield live


@pytest.mark.parametrize("modelless", ["empty-folder", "size-not-fetched"], indirect=True)
async def test_without_a_speech_model_the_customer_is_asked_to_write_and_staff_see_it(
    modelless: LiveServer,
    speaker: Speaker,
    tiny_en_model: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await add_staff(modelless.runtime, "ana")
    async with httpx.AsyncClient(base_url=modelless.url, timeout=60) as http:
        health = (await http.get("/health")).json()
        sent = await http.post(
            "/chat/audio",
            data={"chat_id": "voz-sin-modelo"},
            files={"audio": ("nota.ogg", speaker.note("I need gloves", voice="en-us"))},
        )
        await logged_in(http, "ana")
        (conversation,) = await rows(modelless, Conversation)
        page = await http.get(f"/console/conversations/{conversation.id}")

        body = sent.json()
        assert sent.status_code == 200 and body["transcript"] is None
        assert body["reply"] == (
            "Ahora mismo no puedo escuchar notas de voz. ¿Me escribes lo que necesitas? "
            "Te respondo enseguida."
        )
        assert health["status"] == "ok" and health["voice"]["status"] == "unavailable"
        assert "salesagent voice fetch-model" in health["voice"]["reason"]
        assert "sin escuchar: el servicio no tiene modelo de voz" in page.text
        logged = caplog.get_records("setup") + caplog.records
        assert not [r for r in logged if r.exc_info]  # said in a line, not a traceback
        assert any("voice notes cannot be heard" in r.getMessage() for r in logged)

        # The model is copied in while the service runs: the next note is heard.
        if modelless.runtime.settings.whisper_model == "base":
            return  # a size name is fetched into the cache, which needs the internet
        copy_folder(Path(tiny_en_model), tmp_path / "models")
        heard = await http.post(
            "/chat/audio",
            data={"chat_id": "voz-sin-modelo"},
            files={
                "audio": ("nota.ogg", speaker.note("I need six dielectric helmets", voice="en-us"))
            },
        )
        health = (await http.get("/health")).json()

    assert "dielectric helmets" in heard.json()["transcript"].lower()
    assert health["voice"]["status"] == "available" and health["voice"]["verified"] is True


@pytest.mark.parametrize("modelless", ["empty-folder"], indirect=True)
async def test_an_english_conversation_is_told_in_english(
    modelless: LiveServer, speaker: Speaker
) -> None:
    async with httpx.AsyncClient(base_url=modelless.url, timeout=60) as http:
        await http.post(
            "/chat/text", json={"chat_id": "voice-en", "message": "Hello, I need some gloves"}
        )
        sent = await http.post(
            "/chat/audio",
            data={"chat_id": "voice-en"},
            files={"audio": ("note.ogg", speaker.note("six helmets", voice="en-us"))},
        )

    assert sent.json()["reply"] == (
        "I can't listen to voice notes right now. Could you write what you need? "
        "I'll answer right away."
    )
