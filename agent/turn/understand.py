"""Phase 3, understand (no transaction): photos read by a model, and the model's reading.

The model is asked for a reading when the offline one is unsure (`LLM_MODE`); any failure
degrades to the offline reading. A photo that cannot be read needs a person.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.llm.factory import LLM
from agent.llm.images import as_message
from agent.llm.privacy import Redactor
from agent.llm.service import Spend
from agent.llm.types import ImagePart
from agent.settings import Settings
from agent.turn.plan import Plan, clean_text
from agent.turn.private_data import entity_values
from agent.understanding import Reading, Understander

# Every phase of a turn logs under the engine's name, so one logger setting covers the turn.
log = logging.getLogger("agent.engine")


@dataclass(slots=True)
class Understood:
    """The understanding phase's outcome: the reading, and whether a person must look."""

    reading: Reading
    text: str
    needs_person: bool = False
    spend: Spend = field(default_factory=Spend)
    """Model spend of the phase (photo and reading)."""


async def understand(
    plan: Plan, *, settings: Settings, understander: Understander, llm: LLM | None
) -> Understood:
    """Read the batch: its photos as text, then the model's reading if the offline one is unsure."""
    text, offline = plan.text, plan.offline
    spend = Spend()
    needs_person = False
    if plan.images and plan.bot_owned:
        read = await _read_images(plan, spend, llm=llm, max_bytes=settings.max_image_bytes)
        if read is None:
            needs_person = True
        else:
            text = clean_text(read, settings.max_message_chars)
            offline = understander.understand(text, plan.state)
    if not plan.bot_owned or needs_person:
        return Understood(Reading(offline, offline), text, needs_person, spend)
    enabled = llm.privacy if llm is not None else False
    redactor = Redactor(plan.private + entity_values(offline), enabled=enabled)
    reading = await understander.read(
        text, plan.state, offline=offline, history=plan.history, redactor=redactor
    )
    spend.add(reading.spend)
    return Understood(reading, text, False, spend)


def asks_model(plan: Plan, *, understander: Understander, llm: LLM | None) -> bool:
    """Whether `understand` would await a model for the plan (a photo, an unsure reading)."""
    if not plan.bot_owned:
        return False
    if plan.images and llm is not None and llm.images.available:
        return True
    return understander.asks_model(plan.text, plan.offline)


async def _read_images(plan: Plan, spend: Spend, *, llm: LLM | None, max_bytes: int) -> str | None:
    """The photos as the text a customer would have written, or None: a person must look."""
    if llm is None or not llm.images.available:
        return None
    found = []
    for media in plan.images:
        image = await _load_image(media, max_bytes)
        if image is None:
            return None
        products = await llm.images.read(image, caption=plan.text, spend=spend)
        if not products:
            return None
        found.extend(products)
    return as_message(found, plan.text, plan.state.language)


async def _load_image(media: dict[str, Any], max_bytes: int) -> ImagePart | None:
    """A stored photo's bytes (a local path or file:// URL); None when it cannot be read."""
    url = str(media.get("url", ""))
    if url.startswith(("http://", "https://")):
        return None  # fetching needs the channel's credentials: the channel stores it first
    path = Path(url.removeprefix("file://"))
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as err:
        log.warning("image %s could not be read: %s", path, err)
        return None
    if not data or len(data) > max_bytes:
        return None
    mime = media.get("content_type") or mimetypes.guess_type(path.name)[0] or "image/jpeg"
    return ImagePart(data, str(mime))
