"""Blocks → passages of a sensible size that carry their heading path, with some overlap.

A passage never mixes two sections: a new heading path starts a new passage. Within a section
blocks are packed up to `size` characters; a block longer than that is cut at sentence (or,
failing that, word) boundaries; each passage after the first of a section starts with the last
`overlap` characters of the one before, so a fact cut in two is whole in one of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from agent.knowledge.extract import Block

HEADING_JOINER = " › "
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One passage: its heading path (outermost first) and its text."""

    headings: tuple[str, ...]
    text: str

    @property
    def heading(self) -> str:
        """The heading path as one line."""
        return HEADING_JOINER.join(self.headings)


def chunks(blocks: Iterable[Block], *, size: int, overlap: int) -> Iterator[Chunk]:
    """The passages of a document's blocks, in order."""
    overlap = min(overlap, size // 3)
    headings: tuple[str, ...] | None = None
    parts: list[str] = []
    length = 0
    for block in blocks:
        if block.headings != headings:
            if parts:
                yield Chunk(headings or (), " ".join(parts))
            headings, parts, length = block.headings, [], 0
        for piece in _pieces(block.text, size - overlap):
            if parts and length + 1 + len(piece) > size:
                text = " ".join(parts)
                yield Chunk(headings, text)
                tail = _tail(text, overlap)
                parts, length = ([tail] if tail else []), len(tail)
            parts.append(piece)
            length += len(piece) + 1
    if parts:
        yield Chunk(headings or (), " ".join(parts))


def _pieces(text: str, limit: int) -> Iterator[str]:
    """`text` in pieces of at most `limit` characters, cut between sentences when possible."""
    if len(text) <= limit:
        yield text
        return
    current = ""
    for sentence in _SENTENCE_END.split(text):
        for part in _words(sentence, limit):
            if current and len(current) + 1 + len(part) > limit:
                yield current
                current = part
            else:
                current = f"{current} {part}" if current else part
    if current:
        yield current


def _words(sentence: str, limit: int) -> Iterator[str]:
    """A sentence longer than `limit` cut between words (a word longer than that, cut)."""
    if len(sentence) <= limit:
        yield sentence
        return
    current = ""
    for word in sentence.split():
        while len(word) > limit:
            if current:
                yield current
                current = ""
            yield word[:limit]
            word = word[limit:]
        if current and len(current) + 1 + len(word) > limit:
            yield current
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        yield current


def _tail(text: str, overlap: int) -> str:
    """The last `overlap` characters of `text`, starting at a word."""
    if overlap <= 0:
        return ""
    tail = text[-overlap:]
    cut = tail.find(" ")
    return tail[cut + 1 :] if 0 <= cut < len(tail) - 1 and len(text) > overlap else tail
