"""Builds the model parts from the settings; a missing credential stops the start-up."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from agent.catalog.search import ProductIndex
from agent.errors import ConfigurationError
from agent.llm import gemini, ollama
from agent.llm.breaker import CircuitBreaker
from agent.llm.cache import ResponseCache
from agent.llm.errors import LLMError
from agent.llm.images import ImageReader
from agent.llm.offline import OfflineProvider
from agent.llm.phrasing import Phraser
from agent.llm.pricing import price_for
from agent.llm.prompts import Shop
from agent.llm.reading import ModelReader
from agent.llm.service import LLMService
from agent.llm.types import Provider
from agent.settings import Settings

log = logging.getLogger(__name__)


@dataclass(slots=True)
class LLM:
    """The model service and the three things the product asks of it."""

    service: LLMService
    reader: ModelReader
    phraser: Phraser
    images: ImageReader
    privacy: bool
    """Whether personal data is replaced by placeholders in what is sent."""
    mode: str = "fallback"
    phrasing: str = "unsure"

    def status(self) -> dict[str, object]:
        """What `/health` shows: provider, model, breaker state, last error, how it is used."""
        return {
            **self.service.status(),
            "mode": self.mode,
            "phrasing": self.phrasing,
            "privacy": self.privacy,
            "reads_images": self.images.available,
        }

    async def check(self) -> None:
        """Ask the provider whether it can serve the model; a failure is logged, not raised."""
        try:
            await self.service.provider.check()
        except LLMError as err:
            self.service.failed("check", err)
            log.warning("the model is not ready; the offline path answers until it is: %s", err)

    async def close(self) -> None:
        """Release the provider."""
        await self.service.close()


def build_provider(settings: Settings) -> Provider:
    """The provider `LLM_PROVIDER` names, with its model and credentials."""
    if settings.llm_provider == "gemini":
        key = settings.google_api_key.get_secret_value() if settings.google_api_key else ""
        if not key.strip():
            raise ConfigurationError(
                "LLM_PROVIDER=gemini needs GOOGLE_API_KEY (an API key from Google AI Studio)"
            )
        return gemini.GeminiProvider(
            api_key=key,
            model=settings.llm_model or gemini.DEFAULT_MODEL,
            base_url=settings.gemini_base_url,
        )
    if settings.llm_provider == "ollama":
        if not settings.ollama_host.strip():
            raise ConfigurationError("LLM_PROVIDER=ollama needs OLLAMA_HOST (http://host:11434)")
        return ollama.OllamaProvider(
            host=settings.ollama_host, model=settings.llm_model or ollama.DEFAULT_MODEL
        )
    return OfflineProvider()


def build_llm(settings: Settings, catalog: ProductIndex, provider: Provider | None = None) -> LLM:
    """The model service, reader, phraser and image reader for `settings`; their prompts say
    what the shop sells from `catalog`."""
    provider = provider or build_provider(settings)
    service = LLMService(
        provider,
        breaker=CircuitBreaker(
            failures=settings.llm_breaker_failures,
            reset_seconds=settings.llm_breaker_reset_seconds,
            name=f"{provider.name} model",
        ),
        cache=ResponseCache(size=settings.llm_cache_size, ttl=settings.llm_cache_ttl_seconds),
        price=price_for(
            provider.name,
            provider.model,
            input_per_mtok=settings.llm_price_input_per_mtok,
            output_per_mtok=settings.llm_price_output_per_mtok,
        ),
        retries=settings.llm_retries,
        retry_base_delay=settings.llm_retry_base_delay,
    )
    shop = Shop(settings.shop_name, catalog)
    privacy = settings.llm_privacy if settings.llm_privacy is not None else provider.remote
    return LLM(
        service=service,
        reader=ModelReader(
            service,
            shop=shop,
            timeout=settings.llm_understanding_timeout,
            max_output_tokens=settings.llm_max_output_tokens,
        ),
        phraser=Phraser(
            service,
            shop=shop,
            timeout=settings.llm_phrasing_timeout,
            temperature=settings.llm_temperature,
            max_output_tokens=settings.llm_max_output_tokens,
            facts_tokens=settings.llm_facts_tokens,
            top=settings.llm_top_facts,
        ),
        images=ImageReader(service, shop=shop, timeout=settings.llm_image_timeout),
        privacy=privacy,
        mode=settings.llm_mode,
        phrasing=settings.llm_phrasing,
    )
