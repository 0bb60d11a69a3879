"""`POST /chat/image`: a customer's photo (multipart), stored, then run through the turn.

The photo is kept in `IMAGE_DIR` (named by its SHA-256, so the same photo is stored once) and
travels as the message's media. With a multimodal model (Gemini) the engine reads it into
product names and quantities that go through the usual understanding; without one the
customer is told a person will look at it and the conversation goes to staff.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from agent.deps import EngineDep, SettingsDep
from agent.errors import InvalidInputError
from agent.messages import InboundMessage, MediaRef, TurnResult
from channels.web.deps import WebOutputDep
from channels.web.output import CHANNEL

router = APIRouter(tags=["chat"])

IMAGE_TYPES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "image/gif": ".gif",
}
"""The photo formats accepted, and the extension each is stored with."""


def _store(folder: Path, data: bytes, extension: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:32]}{extension}"
    if not path.exists():
        partial = path.with_suffix(path.suffix + ".part")
        partial.write_bytes(data)
        partial.replace(path)  # a reader never sees half a photo
    return path.resolve()


@router.post("/chat/image", response_model=TurnResult)
async def chat_image(
    engine: EngineDep,
    settings: SettingsDep,
    output: WebOutputDep,
    chat_id: Annotated[str, Form(min_length=1, max_length=200, description="The chat id.")],
    image: Annotated[UploadFile, File(description="The photo: JPEG, PNG, WebP, HEIC or GIF.")],
    message: Annotated[str, Form(description="Text sent with the photo.")] = "",
    message_id: Annotated[
        str | None, Form(max_length=200, description="The same id twice is answered once.")
    ] = None,
) -> TurnResult:
    """Answer a photo (of a product, a label, a handwritten list) and its optional text."""
    content_type = (image.content_type or "").split(";")[0].strip().lower()
    extension = IMAGE_TYPES.get(content_type)
    if extension is None:
        raise InvalidInputError(
            f"the file is {content_type or 'of no stated type'}; "
            f"send a photo ({', '.join(sorted(IMAGE_TYPES))})",
            field="image",
        )
    data = await image.read(settings.max_image_bytes + 1)
    if not data:
        raise InvalidInputError("the photo is empty", field="image")
    if len(data) > settings.max_image_bytes:
        raise InvalidInputError(
            f"the photo is larger than {settings.max_image_bytes} bytes", field="image"
        )
    if len(message) > settings.max_message_chars:
        raise InvalidInputError(
            f"message is {len(message)} characters long; the limit is {settings.max_message_chars}",
            field="message",
        )
    path = await asyncio.to_thread(_store, settings.image_dir, data, extension)
    inbound = InboundMessage(
        channel=CHANNEL,
        external_message_id=message_id or uuid.uuid4().hex,
        external_chat_id=chat_id,
        text=message,
        sender=chat_id,
        media=(MediaRef(kind="image", url=str(path), content_type=content_type),),
    )
    async with output.live.turn(chat_id) as mark:
        result = await engine.handle(inbound)
        if result.reply:
            mark(result.reply)  # the response delivers it: the outbox must not show it again
    return result
