"""A customer's photo read by a multimodal model into product names and quantities."""

from __future__ import annotations

import logging

from pydantic import BaseModel, ConfigDict, Field

from agent.llm.errors import LLMError, LLMOutputError
from agent.llm.prompts import Shop, image_prompt
from agent.llm.reading import ModelProduct, parse
from agent.llm.service import LLMService, Spend
from agent.llm.types import ImagePart, Prompt
from agent.words import t

log = logging.getLogger(__name__)


class ImageReading(BaseModel):
    """What the model must answer about a photo."""

    model_config = ConfigDict(extra="forbid")

    products: list[ModelProduct] = Field(default_factory=list, max_length=20)


class ImageReader:
    """Turns a photo into the words a customer would have written for it."""

    def __init__(self, service: LLMService, *, shop: Shop, timeout: float = 30.0) -> None:
        self.service = service
        self._shop = shop
        self._timeout = timeout

    @property
    def available(self) -> bool:
        """Whether the provider reads images and may be called now."""
        return self.service.provider.multimodal and self.service.available()

    async def read(
        self, image: ImagePart, *, caption: str, spend: Spend
    ) -> list[ModelProduct] | None:
        """The products the photo shows (possibly none), or None when it could not be read."""
        with self.service.stats.product_time():
            system, user = image_prompt(shop=self._shop, caption=caption)
            prompt = Prompt(system=system, user=user, schema=ImageReading, images=(image,))
            try:
                for attempt in (1, 2):
                    try:
                        answer = await self.service.complete(
                            "image", prompt, budget=self._timeout, spend=spend
                        )
                        reading: ImageReading = parse(answer, ImageReading)
                        return reading.products
                    except LLMOutputError as err:
                        self.service.failed("image", err)
                        if attempt == 2:
                            return None
                return None
            except LLMError as err:
                log.warning("image could not be read (%s); a person will look at it", err)
                return None


def as_message(products: list[ModelProduct], caption: str, language: str) -> str:
    """The products read from a photo as the message a customer would write."""
    if not products:
        return caption
    if any(p.quantity for p in products):
        items = ", ".join(f"{p.quantity or 1} {p.text}" for p in products)
        line = t(language, "images.as_message.want", items=items)
    else:
        items = " y ".join(p.text for p in products)
        line = t(language, "images.as_message.have", items=items)
    return f"{caption}\n{line}" if caption.strip() else line
