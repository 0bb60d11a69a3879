"""The one interface of the file stores: write a stream, read it back, link it, list, delete."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file in the store."""

    key: str
    """Its name in the store, e.g. `exports/sales-20261122-0531-ab12cd.csv`."""
    size: int
    modified_at: datetime
    """When it was written (timezone-aware, UTC)."""


@dataclass(frozen=True, slots=True)
class StorageInfo:
    """Which store is in use, for `GET /files/storage/info`: never a secret."""

    backend: str
    """local, s3 or minio."""
    location: str
    """The folder (local) or the bucket (s3, minio)."""
    endpoint: str | None = None
    """The server of s3 or minio (None: AWS itself, or local)."""


class FileWriter(Protocol):
    """Where a file's bytes go while it is being written."""

    async def write(self, data: bytes) -> None:
        """Append `data`; memory stays bounded whatever the file's size."""

    @property
    def size(self) -> int:
        """The bytes written so far."""


class Storage(ABC):
    """A file store. Every method may raise `StorageError`; a key never starts with `/`."""

    backend: str

    @abstractmethod
    def writer(self, key: str, *, content_type: str) -> AbstractAsyncContextManager[FileWriter]:
        """Write a file as a stream: it appears under `key` only when the block exits
        cleanly; an exception inside the block leaves nothing behind (the upload aborted)."""

    @abstractmethod
    def read(self, key: str) -> AsyncIterator[bytes]:
        """The file's bytes in chunks; `StorageError` when it does not exist."""

    @abstractmethod
    async def url(self, key: str, *, expires_in: int, filename: str | None = None) -> str:
        """A link that downloads the file for `expires_in` seconds, with no other credential;
        `filename` is the name the browser saves it as."""

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the file; removing a missing file is not an error."""

    @abstractmethod
    async def list(self, prefix: str = "") -> list[StoredFile]:
        """The files whose key starts with `prefix`, oldest first."""

    @abstractmethod
    def info(self) -> StorageInfo:
        """Which store this is, without secrets."""

    async def start(self) -> None:  # noqa: B027 - a folder needs nothing before its first file
        """Check the store answers and make what it needs (the bucket); `StorageError` if not."""

    async def discard_unfinished(self, key: str) -> None:  # noqa: B027 - see below
        """Remove what a writer of `key` that died mid-file left behind (its job failed).

        A store whose unfinished writes are invisible and expire by themselves needs nothing."""

    async def close(self) -> None:  # noqa: B027 - most stores hold nothing to release
        """Release connections."""
