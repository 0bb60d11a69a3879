"""Replies given piece by piece, for channels that show text as it is written."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator

ChunkSink = Callable[[str], Awaitable[None]]
"""Receives the pieces of a reply in order; together they are the whole reply."""

_WORD = re.compile(r"\S+\s*|\s+")


def word_chunks(text: str, words: int = 3) -> Iterator[str]:
    """`text` in pieces of a few words, whitespace kept, so that ''.join(pieces) == text."""
    pieces = _WORD.findall(text)
    for start in range(0, len(pieces), words):
        yield "".join(pieces[start : start + words])
