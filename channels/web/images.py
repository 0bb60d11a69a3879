"""`POST /chat/image`: a customer's photo (multipart), stored, then run through the turn.

The photo is kept in `IMAGE_DIR` (named by its SHA-256, so the same photo is stored once) and
travels as the message's media. With a multimodal model (Gemini) the engine reads it into
product names and quantities that go through the usual understanding; without one the
customer is told a person will look at it and the conversation goes to staff.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from agent.clean_text import require_clean
from agent.errors import InvalidInputError
from agent.messages import InboundMessage, MediaRef, TurnResult
from agent.provided import EngineDep, SettingsDep
from channels.web.deps import WebOutputDep
from channels.web.output import CHANNEL
from channels.web.turns import answer
from channels.web.uploads import read_upload

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
    require_clean(chat_id, field="chat_id")
    require_clean(message_id, field="message_id")
    require_clean(message, field="message")
    photo = await read_upload(
        image, field="image", noun="photo", types=IMAGE_TYPES, max_bytes=settings.max_image_bytes
    )
    if len(message) > settings.max_message_chars:
        raise InvalidInputError(
            f"message is {len(message)} characters long; the limit is {settings.max_message_chars}",
            field="message",
        )
    path = await photo.store(settings.image_dir)
    inbound = InboundMessage(
        channel=CHANNEL,
        external_message_id=message_id or uuid.uuid4().hex,
        external_chat_id=chat_id,
        text=message,
        sender=chat_id,
        media=(MediaRef(kind="image", url=str(path), content_type=photo.content_type),),
    )
    return await answer(engine, output, inbound)
