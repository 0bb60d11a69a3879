"""`POST /chat/audio`: a customer's voice note (multipart), stored, then run through the turn.

The note is kept in `AUDIO_DIR` (named by its SHA-256) and travels as the message's media; the
turn transcribes it (agent/voice) exactly as a WhatsApp or Telegram note, and the transcript is
answered like typed text. The response is the turn's result plus what was heard.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from agent import inbox
from agent.clean_text import require_clean
from agent.messages import InboundMessage, MediaRef, TurnResult
from agent.provided import EngineDep, SessionsDep, SettingsDep
from agent.voice.formats import sniff_audio
from channels.web.deps import WebOutputDep
from channels.web.output import CHANNEL
from channels.web.turns import answer
from channels.web.uploads import read_upload

router = APIRouter(tags=["chat"])

AUDIO_TYPES = {
    "audio/ogg": ".ogg",
    "audio/opus": ".opus",
    "audio/webm": ".webm",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/x-m4a": ".m4a",
    "audio/aac": ".aac",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/wave": ".wav",
    "audio/flac": ".flac",
    "audio/amr": ".amr",
}
"""The audio formats accepted, and the extension each is stored with."""


class AudioTurnResult(TurnResult):
    """The turn's result, and what the note was heard to say."""

    transcript: str | None = None
    """None when the note could not be understood (the reply says so)."""


@router.post("/chat/audio", response_model=AudioTurnResult)
async def chat_audio(
    engine: EngineDep,
    settings: SettingsDep,
    output: WebOutputDep,
    sessions: SessionsDep,
    chat_id: Annotated[str, Form(min_length=1, max_length=200, description="The chat id.")],
    audio: Annotated[
        UploadFile,
        File(
            description="The voice note: OGG/Opus, WebM, MP3, M4A, WAV, FLAC... (sent without "
            "a type, as `curl -F audio=@nota.ogg` does, it is known by its content)"
        ),
    ],
    message_id: Annotated[
        str | None, Form(max_length=200, description="The same id twice is answered once.")
    ] = None,
) -> AudioTurnResult:
    """Answer a voice note as if its words had been typed."""
    require_clean(chat_id, field="chat_id")
    require_clean(message_id, field="message_id")
    note = await read_upload(
        audio,
        field="audio",
        noun="voice note",
        types=AUDIO_TYPES,
        max_bytes=settings.voice_max_bytes,
        sniff=sniff_audio,
    )
    path = await note.store(settings.audio_dir)
    inbound = InboundMessage(
        channel=CHANNEL,
        external_message_id=message_id or uuid.uuid4().hex,
        external_chat_id=chat_id,
        text="",
        sender=chat_id,
        media=(MediaRef(kind="voice", url=str(path), content_type=note.content_type),),
    )
    result = await answer(engine, output, inbound)
    async with sessions() as session:
        row = await inbox.find(session, inbound)
    heard = [str(m["transcript"]) for m in row.media if m.get("transcript")]
    return AudioTurnResult(**result.model_dump(), transcript=" ".join(heard) or None)
