"""Vectors of passages and questions from Gemini or Ollama, through their official SDKs."""

from __future__ import annotations

from typing import Literal, Protocol

import httpx
import ollama
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as gt

from agent.errors import ConfigurationError
from agent.llm.errors import LLMRequestError, LLMUnavailable
from agent.settings import Settings

Task = Literal["document", "query"]

GEMINI_MODEL = "gemini-embedding-001"
OLLAMA_MODEL = "nomic-embed-text"
_GEMINI_TASKS = {"document": "RETRIEVAL_DOCUMENT", "query": "RETRIEVAL_QUERY"}
BATCH = 64
"""Texts per request (Gemini takes at most 100)."""


class Embedder(Protocol):
    """Turns texts into vectors of one model."""

    model: str

    async def embed(self, texts: list[str], *, task: Task) -> list[list[float]]:
        """One vector per text, in order."""
        ...

    async def close(self) -> None:
        """Close the SDK's HTTP connections."""
        ...


class GeminiEmbedder:
    """Gemini's embedding models (`batchEmbedContents`)."""

    def __init__(self, *, api_key: str, model: str, base_url: str | None, timeout: float) -> None:
        self.model = model
        options = gt.HttpOptions(
            base_url=base_url, api_version="v1beta", timeout=int(timeout * 1000)
        )
        self._client = genai.Client(api_key=api_key, http_options=options)

    async def embed(self, texts: list[str], *, task: Task) -> list[list[float]]:
        """One vector per text, `BATCH` texts a request."""
        vectors: list[list[float]] = []
        config = gt.EmbedContentConfig(task_type=_GEMINI_TASKS[task])
        for start in range(0, len(texts), BATCH):
            batch = [gt.Content(parts=[gt.Part(text=t)]) for t in texts[start : start + BATCH]]
            try:
                answer = await self._client.aio.models.embed_content(
                    model=self.model, contents=batch, config=config
                )
            except genai_errors.ClientError as err:
                raise LLMRequestError(f"Gemini refused the embeddings: {err}") from err
            except (genai_errors.APIError, httpx.HTTPError, OSError) as err:
                raise LLMUnavailable(f"Gemini embeddings failed: {err}") from err
            got = [list(e.values or []) for e in answer.embeddings or []]
            if len(got) != len(batch):
                raise LLMUnavailable(f"Gemini gave {len(got)} vectors for {len(batch)} texts")
            vectors.extend(got)
        return vectors

    async def close(self) -> None:
        """Close the SDK's HTTP connections."""
        await self._client.aio.aclose()


class OllamaEmbedder:
    """An embedding model served by Ollama (`/api/embed`)."""

    def __init__(self, *, host: str, model: str, timeout: float) -> None:
        self.model = model
        self._client = ollama.AsyncClient(host=host, timeout=timeout)

    async def embed(self, texts: list[str], *, task: Task) -> list[list[float]]:
        """One vector per text, `BATCH` texts a request."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            batch = texts[start : start + BATCH]
            try:
                answer = await self._client.embed(model=self.model, input=batch)
            except ollama.ResponseError as err:
                raise LLMRequestError(f"Ollama refused the embeddings: {err}") from err
            except (httpx.HTTPError, OSError) as err:
                raise LLMUnavailable(f"Ollama embeddings failed: {err}") from err
            got = [list(vector) for vector in answer.embeddings]
            if len(got) != len(batch):
                raise LLMUnavailable(f"Ollama gave {len(got)} vectors for {len(batch)} texts")
            vectors.extend(got)
        return vectors

    async def close(self) -> None:
        """Close the SDK's HTTP connections."""
        await self._client.close()  # type: ignore[no-untyped-call]


def build_embedder(settings: Settings) -> Embedder | None:
    """The embedder `KB_EMBEDDINGS` names; None when off."""
    timeout = settings.kb_fetch_timeout
    if settings.kb_embeddings == "gemini":
        key = settings.google_api_key.get_secret_value() if settings.google_api_key else ""
        if not key.strip():
            raise ConfigurationError("KB_EMBEDDINGS=gemini needs GOOGLE_API_KEY")
        return GeminiEmbedder(
            api_key=key,
            model=settings.kb_embedding_model or GEMINI_MODEL,
            base_url=settings.gemini_base_url,
            timeout=timeout,
        )
    if settings.kb_embeddings == "ollama":
        if not settings.ollama_host.strip():
            raise ConfigurationError("KB_EMBEDDINGS=ollama needs OLLAMA_HOST (http://host:11434)")
        return OllamaEmbedder(
            host=settings.ollama_host,
            model=settings.kb_embedding_model or OLLAMA_MODEL,
            timeout=timeout,
        )
    return None
