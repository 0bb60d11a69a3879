"""Cutting a reply to a channel's limits: parts at paragraph, line, sentence or word breaks."""

from __future__ import annotations

import re

ELLIPSIS = "…"
_SENTENCE = re.compile(r"(?<=[.!?…:])\s+")


def _pieces(text: str, limit: int) -> list[str]:
    """The text in pieces no longer than `limit`, each cut at the largest break that fits."""
    if len(text) <= limit:
        return [text]
    for pattern in ("\n\n", "\n", _SENTENCE, " "):
        parts = re.split(pattern, text) if isinstance(pattern, re.Pattern) else text.split(pattern)
        if len(parts) > 1:
            joiner = pattern if isinstance(pattern, str) else " "
            return _pack(parts, joiner, limit)
    return [text[i : i + limit] for i in range(0, len(text), limit)]


def _pack(parts: list[str], joiner: str, limit: int) -> list[str]:
    packed: list[str] = []
    current = ""
    for part in parts:
        if not part.strip():
            continue
        candidate = f"{current}{joiner}{part}" if current else part
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            packed.append(current)
        if len(part) <= limit:
            current = part
        else:
            *full, current = _pieces(part, limit)
            packed.extend(full)
    if current:
        packed.append(current)
    return packed


def split_reply(text: str, *, limit: int, max_parts: int) -> list[str]:
    """At most `max_parts` parts of at most `limit` characters; the last one is shortened with
    an ellipsis when the text does not fit."""
    parts = [p.strip() for p in _pieces(text.strip(), limit) if p.strip()]
    if len(parts) <= max_parts:
        return parts
    kept = parts[: max_parts - 1]
    rest = " ".join(parts[max_parts - 1 :])
    cut = rest[: limit - len(ELLIPSIS)]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return [*kept, cut.rstrip(" ,;:") + ELLIPSIS]
