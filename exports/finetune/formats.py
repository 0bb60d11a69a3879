"""The two chat formats of the tuning files, as pydantic models: one JSON line each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Speaker = Literal["customer", "shop"]


@dataclass(frozen=True, slots=True)
class Turn:
    """One or more consecutive messages of one side, already cleaned of personal data."""

    speaker: Speaker
    text: str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GeminiPart(_Strict):
    text: str = Field(min_length=1)


class GeminiContent(_Strict):
    role: Literal["user", "model"]
    parts: list[GeminiPart] = Field(min_length=1)


class GeminiSystemInstruction(_Strict):
    role: Literal["system"] = "system"
    parts: list[GeminiPart] = Field(min_length=1)


class GeminiExample(_Strict):
    """A line of a Gemini (Vertex AI) supervised tuning file."""

    model_config = ConfigDict(populate_by_name=True)

    system_instruction: GeminiSystemInstruction | None = Field(
        default=None, alias="systemInstruction"
    )
    contents: list[GeminiContent] = Field(min_length=2)


class OpenAIMessage(_Strict):
    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1)


class OpenAIExample(_Strict):
    """A line of an OpenAI-compatible chat fine-tuning file."""

    messages: list[OpenAIMessage] = Field(min_length=2)


def gemini_line(turns: Sequence[Turn], system: str | None) -> str:
    """The conversation as one Gemini JSON line (user and model turns alternate)."""
    example = GeminiExample(
        system_instruction=(
            GeminiSystemInstruction(parts=[GeminiPart(text=system)]) if system else None
        ),
        contents=[
            GeminiContent(
                role="user" if turn.speaker == "customer" else "model",
                parts=[GeminiPart(text=turn.text)],
            )
            for turn in turns
        ],
    )
    return example.model_dump_json(by_alias=True, exclude_none=True)


def openai_line(turns: Sequence[Turn], system: str | None) -> str:
    """The conversation as one OpenAI-compatible JSON line."""
    messages = [OpenAIMessage(role="system", content=system)] if system else []
    messages += [
        OpenAIMessage(role="user" if turn.speaker == "customer" else "assistant", content=turn.text)
        for turn in turns
    ]
    return OpenAIExample(messages=messages).model_dump_json()
