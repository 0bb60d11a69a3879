"""Gemini through the official google-genai SDK (structured output with `response_schema`)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import httpx
import httpx2
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as gt

from agent.llm.errors import (
    LLMError,
    LLMRateLimited,
    LLMRequestError,
    LLMServerError,
    LLMStreamBroken,
    LLMTimeout,
    LLMUnavailable,
)
from agent.llm.types import Completion, Prompt, StreamPiece, Usage

DEFAULT_MODEL = "gemini-3.5-flash"

_TIMEOUTS = (httpx.TimeoutException, httpx2.TimeoutException)
_BROKEN = (httpx.RemoteProtocolError, httpx2.RemoteProtocolError)
_TRANSPORT = (httpx.TransportError, httpx2.TransportError, OSError)


class GeminiProvider:
    """Google's Gemini models; `base_url` points the SDK elsewhere (a proxy, the tests)."""

    name = "gemini"
    multimodal = True
    remote = True

    def __init__(
        self, *, api_key: str, model: str = DEFAULT_MODEL, base_url: str | None = None
    ) -> None:
        self.model = model
        # Retries, timeouts and the breaker are the product's (agent.llm.service), not the SDK's.
        options = gt.HttpOptions(base_url=base_url, api_version="v1beta", retry_options=None)
        self._client = genai.Client(api_key=api_key, http_options=options)

    def _request(
        self, prompt: Prompt, http_timeout: float
    ) -> tuple[list[Any], gt.GenerateContentConfig]:
        config = gt.GenerateContentConfig(
            system_instruction=prompt.system,
            temperature=prompt.temperature,
            max_output_tokens=prompt.max_output_tokens,
            http_options=gt.HttpOptions(timeout=int(http_timeout * 1000)),
        )
        if prompt.schema is not None:
            config.response_mime_type = "application/json"
            config.response_schema = prompt.schema
        parts: list[Any] = [
            gt.Part.from_bytes(data=image.data, mime_type=image.mime_type)
            for image in prompt.images
        ]
        return [*parts, prompt.user], config

    async def complete(self, prompt: Prompt, *, http_timeout: float) -> Completion:
        """The whole answer to `prompt`."""
        contents, config = self._request(prompt, http_timeout)
        try:
            response = await self._client.aio.models.generate_content(
                model=self.model, contents=contents, config=config
            )
        except Exception as err:  # the SDK boundary: every failure becomes an LLMError
            raise _translate(err) from err
        return Completion(response.text or "", _usage(response.usage_metadata))

    async def stream(
        self, prompt: Prompt, *, http_timeout: float
    ) -> AsyncGenerator[StreamPiece, None]:
        """The answer to `prompt` as the SDK receives it (server-sent events)."""
        contents, config = self._request(prompt, http_timeout)
        try:
            chunks = await self._client.aio.models.generate_content_stream(
                model=self.model, contents=contents, config=config
            )
            usage: gt.GenerateContentResponseUsageMetadata | None = None
            async for chunk in chunks:
                usage = chunk.usage_metadata or usage
                if chunk.text:
                    yield StreamPiece(chunk.text)
        except Exception as err:  # the SDK boundary: every failure becomes an LLMError
            raise _translate(err) from err
        yield StreamPiece("", _usage(usage))

    async def check(self) -> None:
        """Nothing to check without spending a call: a bad key shows on the first call."""

    async def close(self) -> None:
        """Close the SDK's HTTP connections."""
        await self._client.aio.aclose()


def _usage(meta: gt.GenerateContentResponseUsageMetadata | None) -> Usage:
    if meta is None:
        return Usage()
    completion = (meta.candidates_token_count or 0) + (meta.thoughts_token_count or 0)
    return Usage(meta.prompt_token_count or 0, completion)


def _translate(err: Exception) -> LLMError:
    if isinstance(err, LLMError):
        return err
    if isinstance(err, genai_errors.APIError):
        message = f"gemini {err.code}: {err.message or err.status or ''}".strip()
        if err.code == 429:
            return LLMRateLimited(message, retry_after=_retry_after(err))
        if err.code >= 500:
            return LLMServerError(message)
        return LLMRequestError(message)
    if isinstance(err, _TIMEOUTS):
        return LLMTimeout(f"gemini: {type(err).__name__}")
    if isinstance(err, _BROKEN):
        return LLMStreamBroken(f"gemini: the answer stopped: {err}")
    if isinstance(err, _TRANSPORT):
        return LLMUnavailable(f"gemini unreachable: {type(err).__name__}: {err}")
    return LLMUnavailable(f"gemini: {type(err).__name__}: {err}")


def _retry_after(err: genai_errors.APIError) -> float | None:
    headers = getattr(getattr(err, "response", None), "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
