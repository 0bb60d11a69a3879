"""Ollama through its official SDK (structured output with `format=<JSON schema>`)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any

import httpx
import ollama

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

DEFAULT_MODEL = "qwen2.5:3b"
DEFAULT_HOST = "http://127.0.0.1:11434"


class OllamaProvider:
    """A model served by Ollama on the shop's own hardware; nothing leaves the building."""

    name = "ollama"
    multimodal = False
    remote = False

    def __init__(self, *, host: str = DEFAULT_HOST, model: str = DEFAULT_MODEL) -> None:
        self.model = model
        self.host = host
        self._client = ollama.AsyncClient(host=host)

    def _messages(self, prompt: Prompt) -> list[Mapping[str, Any]]:
        return [
            {"role": "system", "content": prompt.system},
            {"role": "user", "content": prompt.user},
        ]

    def _options(self, prompt: Prompt) -> dict[str, Any]:
        return {"temperature": prompt.temperature, "num_predict": prompt.max_output_tokens}

    async def complete(self, prompt: Prompt, *, http_timeout: float) -> Completion:
        """The whole answer to `prompt`."""
        schema = prompt.schema.model_json_schema() if prompt.schema is not None else None
        try:
            response = await self._client.chat(
                model=self.model,
                messages=self._messages(prompt),
                format=schema,
                options=self._options(prompt),
                stream=False,
            )
        except Exception as err:  # the SDK boundary: every failure becomes an LLMError
            raise _translate(err) from err
        usage = Usage(response.prompt_eval_count or 0, response.eval_count or 0)
        return Completion(response.message.content or "", usage)

    async def stream(
        self, prompt: Prompt, *, http_timeout: float
    ) -> AsyncGenerator[StreamPiece, None]:
        """The answer to `prompt` as NDJSON lines arrive; the last line carries the usage."""
        try:
            parts = await self._client.chat(
                model=self.model,
                messages=self._messages(prompt),
                options=self._options(prompt),
                stream=True,
            )
            async for part in parts:
                text = part.message.content or ""
                if part.done:
                    usage = Usage(part.prompt_eval_count or 0, part.eval_count or 0)
                    yield StreamPiece(text, usage)
                    return
                if text:
                    yield StreamPiece(text)
        except Exception as err:  # the SDK boundary: every failure becomes an LLMError
            raise _translate(err) from err
        raise LLMStreamBroken("ollama: the answer ended without its final line")

    async def check(self) -> None:
        """Fail unless the server answers and has the model pulled (`GET /api/tags`)."""
        try:
            listing = await self._client.list()
        except Exception as err:  # the SDK boundary: every failure becomes an LLMError
            raise _translate(err) from err
        names = {m.model for m in listing.models if m.model}
        if self.model not in names and f"{self.model}:latest" not in names:
            raise LLMUnavailable(
                f"ollama at {self.host} has no model {self.model!r} "
                f"(run `ollama pull {self.model}`; it has {sorted(names) or 'none'})"
            )

    async def close(self) -> None:
        """Close the SDK's HTTP connections."""
        await self._client.close()  # type: ignore[no-untyped-call]


def _translate(err: Exception) -> LLMError:
    if isinstance(err, LLMError):
        return err
    if isinstance(err, ollama.ResponseError):
        message = f"ollama {err.status_code}: {err.error}"
        if err.status_code == 429:
            return LLMRateLimited(message)
        if err.status_code >= 500:
            return LLMServerError(message)
        if err.status_code == -1:
            return LLMServerError(message)  # an error line inside a stream
        return LLMRequestError(message)
    if isinstance(err, httpx.TimeoutException):
        return LLMTimeout(f"ollama: {type(err).__name__}")
    if isinstance(err, httpx.RemoteProtocolError | ValueError):
        return LLMStreamBroken(f"ollama: the answer stopped: {type(err).__name__}: {err}")
    return LLMUnavailable(f"ollama unreachable: {type(err).__name__}: {err}")
