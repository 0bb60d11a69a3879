"""Understanding by a model: a structured proposal, validated, then checked against the state.

The model only proposes. Its answer must be JSON of the `ModelReading` shape (asked for with
the provider's structured-output feature); a malformed or invalid answer is asked for once
more, then the offline reading stands. A valid proposal is still refused when the state of
the sale does not allow it (a "yes" with no summary shown), and every entity is kept only if
the message really holds it (a cédula the customer never wrote is dropped).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agent import order_fields
from agent.errors import InvalidInputError
from agent.llm.cache import cache_key
from agent.llm.errors import LLMError, LLMOutputError
from agent.llm.privacy import Redactor
from agent.llm.prompts import Shop, understanding_prompt
from agent.llm.service import LLMService, Spend
from agent.llm.types import Prompt
from agent.nlu.numbers import percentages, read_number
from agent.nlu.state_rules import refusal as state_refusal
from agent.nlu.tokens import fold, scan
from agent.nlu.types import INTENT_LABELS, DialogState, Entities, ProductMention, Understanding
from agent.text import normalize, singular, tokens

log = logging.getLogger(__name__)

MAX_QUANTITY = 100_000


class ModelProduct(BaseModel):
    """A product the customer named, in their words, with the quantity they said."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=120)
    quantity: int | None = Field(default=None, ge=1, le=MAX_QUANTITY)


class ModelReading(BaseModel):
    """What the model must answer when asked to read a message."""

    model_config = ConfigDict(extra="forbid")

    intent: str = Field(json_schema_extra={"enum": list(INTENT_LABELS)})
    confidence: float = Field(ge=0, le=1)
    language: str = Field(json_schema_extra={"enum": ["es", "en"]})
    products: list[ModelProduct] = Field(default_factory=list, max_length=10)
    quantity: int | None = Field(default=None, ge=1, le=MAX_QUANTITY)
    national_id: str | None = Field(default=None, max_length=40)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=100)
    city: str | None = Field(default=None, max_length=60)
    address: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, max_length=60)

    @field_validator("intent")
    @classmethod
    def _known_intent(cls, value: str) -> str:
        if value not in INTENT_LABELS:
            raise ValueError(f"unknown intent {value!r}")
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("es", "en"):
            raise ValueError(f"unknown language {value!r}")
        return value


def parse(text: str, shape: type[BaseModel]) -> Any:
    """The model's JSON answer validated into `shape`; LLMOutputError says what was wrong."""
    cleaned = text.strip()
    if cleaned.startswith("```"):
        # Some models fence JSON even when asked for JSON only.
        cleaned = re.sub(r"^```(?:json)?\s*|\s*```$", "", cleaned)
    try:
        return shape.model_validate_json(cleaned)
    except ValidationError as err:
        kind = "malformed JSON" if "json_invalid" in str(err) else "schema violation"
        raise LLMOutputError(f"{kind}: {err.errors()[0]['msg']}") from err


def refusal(reading: ModelReading, state: DialogState) -> str | None:
    """Why the state of the conversation does not allow the proposed intent (None: it does)."""
    return state_refusal(reading.intent, state)


def _numbers_said(text: str) -> set[int]:
    """The whole numbers of `text` that may be counts: a percentage ("150%") is none."""
    scanned = [t.text for t in scan(fold(text))]
    percent = percentages(scanned)
    words = [word for i, word in enumerate(scanned) if word[0].isalnum() and i not in percent]
    values: set[int] = set()
    for i in range(len(words)):
        number = read_number(words, i)
        if number is not None and number.value == int(number.value):
            values.add(int(number.value))
    return values


def _stems(text: str) -> set[str]:
    return {singular(word) for word in tokens(text) if len(word) > 2 or word.isdigit()}


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def grounded_entities(reading: ModelReading, text: str, offline: Entities) -> Entities:
    """The proposed entities that the message really holds; the offline ones fill the gaps."""
    said = _stems(text)
    numbers = _numbers_said(text)
    digits = _digits(text)
    folded = normalize(text)

    def valid(field: str, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            stored = order_fields.validate(field, value)
        except InvalidInputError:
            return None
        if field in ("national_id", "phone"):
            return stored if _digits(stored) in digits else None
        if field == "email":
            return stored if stored in folded else None
        return stored if _stems(value) <= said else None

    products = [
        ProductMention(p.text, p.quantity if p.quantity in numbers or p.quantity == 1 else None)
        for p in reading.products
        if _stems(p.text) & said
    ]
    quantity = reading.quantity if reading.quantity in numbers else None
    category = reading.category if reading.category and _stems(reading.category) & said else None
    return Entities(
        products=products or offline.products,
        quantity=quantity if quantity is not None else offline.quantity,
        national_id=valid("national_id", reading.national_id) or offline.national_id,
        phone=valid("phone", reading.phone) or offline.phone,
        email=valid("email", reading.email) or offline.email,
        name=valid("name", reading.name) or offline.name,
        city=valid("city", reading.city) or offline.city,
        address=valid("address", reading.address) or offline.address,
        category=category or offline.category,
    )


class ModelReader:
    """Asks the model for a reading when the offline one is not enough, and checks it."""

    def __init__(
        self,
        service: LLMService,
        *,
        shop: Shop,
        timeout: float = 10.0,
        temperature: float = 0.0,
        max_output_tokens: int = 512,
    ) -> None:
        self.service = service
        self._shop = shop
        self._timeout = timeout
        self._temperature = temperature
        self._max_output_tokens = max_output_tokens

    async def propose(
        self,
        text: str,
        state: DialogState,
        offline: Understanding,
        *,
        history: str,
        redactor: Redactor,
        spend: Spend,
    ) -> Understanding | None:
        """The model's reading of `text` once validated, or None (the offline one stands)."""
        with self.service.stats.product_time():
            return await self._propose(text, state, offline, history, redactor, spend)

    async def _propose(
        self,
        text: str,
        state: DialogState,
        offline: Understanding,
        history: str,
        redactor: Redactor,
        spend: Spend,
    ) -> Understanding | None:
        sent_text = redactor.redact(text)
        key = cache_key(
            "understand",
            self.service.model,
            sent_text,
            [state.sale_state, state.pending_field, state.offer, state.has_cart, history],
        )
        reading: ModelReading | None = self.service.cache.get(key)
        if reading is not None:
            self.service.stats.cache_hits += 1
        else:
            system, user = understanding_prompt(
                shop=self._shop,
                text=sent_text,
                state=state,
                offline=offline,
                history=redactor.redact(history),
            )
            prompt = Prompt(
                system=system,
                user=user,
                schema=ModelReading,
                temperature=self._temperature,
                max_output_tokens=self._max_output_tokens,
            )
            reading = await self._ask(prompt, spend)
            if reading is None:
                return None
            self.service.cache.put(key, reading)
        why_not = refusal(reading, state)
        if why_not is not None:
            log.info("model reading refused by the sale's state: %s", why_not)
            return None
        restored = _restore(reading, redactor)
        entities = grounded_entities(restored, text, offline.entities)
        confidence = round(restored.confidence, 2)
        return Understanding(restored.intent, confidence, entities, restored.language)

    async def _ask(self, prompt: Prompt, spend: Spend) -> ModelReading | None:
        """Ask, and ask once more after an invalid answer; None when there is no good one."""
        for attempt in (1, 2):
            try:
                answer = await self.service.complete(
                    "understand", prompt, budget=self._timeout, spend=spend
                )
                reading: ModelReading = parse(answer, ModelReading)
                return reading
            except LLMOutputError as err:
                self.service.failed("understand", err)
                if attempt == 2:
                    log.warning("model reading invalid twice; the offline reading stands")
            except LLMError as err:
                log.warning("model reading unavailable (%s); the offline reading stands", err)
                return None
        return None


def _restore(reading: ModelReading, redactor: Redactor) -> ModelReading:
    fields = ("national_id", "phone", "email", "address", "name", "city")
    values = {f: redactor.restore(v) for f in fields if (v := getattr(reading, f)) is not None}
    products = [p.model_copy(update={"text": redactor.restore(p.text)}) for p in reading.products]
    return reading.model_copy(update={**values, "products": products})
