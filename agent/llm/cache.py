"""Answers already paid for: a small LRU with a time to live, keyed by question and facts."""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from agent.text import normalize


def cache_key(kind: str, model: str, question: str, facts: Any = None) -> str:
    """A key from the normalised question and the facts (any JSON-able value)."""
    payload = json.dumps(
        [kind, model, normalize(question), facts], sort_keys=True, default=str, ensure_ascii=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ResponseCache:
    """At most `size` answers, each kept `ttl` seconds; `size` 0 turns the cache off."""

    def __init__(
        self, *, size: int = 512, ttl: float = 3600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._size = size
        self._ttl = ttl
        self._clock = clock
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Any | None:
        """The cached answer, or None when absent or expired."""
        item = self._items.get(key)
        if item is None or self._clock() - item[0] > self._ttl:
            self._items.pop(key, None)
            self.misses += 1
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return item[1]

    def put(self, key: str, value: Any) -> None:
        """Keep `value`; the least recently used answer goes when the cache is full."""
        if self._size <= 0:
            return
        self._items[key] = (self._clock(), value)
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
