"""Files of the storage tests: varied bytes written in pieces, and read back as size and digest."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

from storage.base import Storage

PIECE = 64 * 1024


def pieces(total: int) -> Iterator[bytes]:
    """`total` random bytes in pieces of 64 KiB (never one piece repeated)."""
    sent = 0
    while sent < total:
        size = min(PIECE, total - sent)
        yield os.urandom(size)
        sent += size


async def write_file(
    storage: Storage, key: str, total: int, *, content_type: str = "text/csv"
) -> str:
    """Write `total` varied bytes under `key`; the SHA-256 of what was written."""
    digest = hashlib.sha256()
    async with storage.writer(key, content_type=content_type) as out:
        for piece in pieces(total):
            digest.update(piece)
            await out.write(piece)
        assert out.size == total
    return digest.hexdigest()


async def read_digest(storage: Storage, key: str) -> tuple[int, str]:
    """The size and SHA-256 of a stored file, read back through the store."""
    digest = hashlib.sha256()
    size = 0
    async for chunk in storage.read(key):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()
