"""What travels between the product and a provider, whichever provider it is."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens a call used, as the provider counted them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
        )


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image sent to a multimodal model."""

    data: bytes
    mime_type: str


@dataclass(frozen=True, slots=True)
class Prompt:
    """One request: instructions, the delimited user content, and the output shape if any."""

    system: str
    user: str
    schema: type[BaseModel] | None = None
    """The pydantic model the answer must validate against (JSON output)."""
    images: tuple[ImagePart, ...] = ()
    max_output_tokens: int = 512
    temperature: float = 0.2


@dataclass(frozen=True, slots=True)
class Completion:
    """A whole answer and what it cost in tokens."""

    text: str
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True, slots=True)
class StreamPiece:
    """A piece of a streamed answer; the usage comes with the last piece when known."""

    text: str
    usage: Usage | None = None


class Provider(Protocol):
    """A language model service reached through its vendor's SDK."""

    name: str
    model: str
    multimodal: bool
    remote: bool
    """True when prompts leave this machine (a cloud provider)."""

    async def complete(self, prompt: Prompt, *, http_timeout: float) -> Completion:
        """The whole answer to `prompt` (JSON when the prompt has a schema)."""
        ...

    def stream(self, prompt: Prompt, *, http_timeout: float) -> AsyncGenerator[StreamPiece, None]:
        """The answer to `prompt`, piece by piece as the model writes it."""
        ...

    async def check(self) -> None:
        """Raise an LLMError if the provider cannot serve the configured model."""
        ...

    async def close(self) -> None:
        """Release the provider's connections."""
        ...
