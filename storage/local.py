"""Files in a folder of this machine, downloaded through links this service signs (HMAC)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, urlencode

from agent.errors import ConfigurationError, InvalidInputError, StorageError
from agent.settings import Settings
from storage.base import FileWriter, Storage, StorageInfo, StoredFile
from storage.chunks import CHUNK, ChunkedWriter

EXPORTS_PREFIX = "exports/"
"""The only files the download route serves (`/files/exports/{name}`)."""
KEY_FILE = ".signing-key"
MIN_KEY_CHARS = 32


class LocalStorage(Storage):
    """A folder; keys are relative paths in it, and nothing outside it is ever touched."""

    backend = "local"

    def __init__(self, root: Path, signing_key: bytes | None, public_base_url: str | None) -> None:
        self.root = root.resolve()
        self._signing_key = signing_key
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalStorage:
        """The folder STORAGE_LOCAL_DIR; a short STORAGE_SIGNING_KEY is refused in production."""
        configured = settings.storage_signing_key
        key = configured.get_secret_value().strip() if configured else ""
        if key and settings.environment == "production" and len(key) < MIN_KEY_CHARS:
            raise ConfigurationError(
                f"STORAGE_SIGNING_KEY must be at least {MIN_KEY_CHARS} characters in production "
                "(or empty, for a random key kept in STORAGE_LOCAL_DIR)"
            )
        return cls(
            settings.storage_local_dir, key.encode() if key else None, settings.public_base_url
        )

    async def discard_unfinished(self, key: str) -> None:
        """Remove the hidden `.part` files of writes to `key` that never finished."""
        target = self.path(key)
        await asyncio.to_thread(_remove_parts, target)

    def path(self, key: str) -> Path:
        """Where `key` lives; `InvalidInputError` for a key that could leave the folder."""
        parts = key.split("/")
        if (
            not key
            or key.startswith("/")
            or "\\" in key
            or any(ord(char) < 0x20 or char == "\x7f" for char in key)
            or any(part in ("", ".", "..") or part.startswith(".") for part in parts)
        ):
            # Dot-names are refused too: the signing key and unfinished writes are dot-files.
            raise InvalidInputError(f"not a valid file name in the store: {key!r}", field="key")
        path = self.root.joinpath(*parts)
        if not path.resolve().is_relative_to(self.root):
            raise InvalidInputError(f"{key!r} is outside the store's folder", field="key")
        return path

    @contextlib.asynccontextmanager
    async def writer(self, key: str, *, content_type: str) -> AsyncIterator[FileWriter]:
        """Write into a hidden file beside the target, renamed over it on a clean exit."""
        target = self.path(key)
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
        handle = await asyncio.to_thread(temp.open, "xb")
        writer = ChunkedWriter(handle.write)
        try:
            yield writer
            await writer.flush()
            await asyncio.to_thread(_finish, handle, temp, target)
        except BaseException:
            await asyncio.to_thread(_discard, handle, temp)
            raise

    async def read(self, key: str) -> AsyncIterator[bytes]:
        """The file's bytes, a chunk at a time."""
        path = self.path(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except (FileNotFoundError, IsADirectoryError) as err:
            raise StorageError(f"no file {key!r} in the store") from err
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK):
                yield chunk
        finally:
            handle.close()

    async def url(self, key: str, *, expires_in: int, filename: str | None = None) -> str:
        """`/files/exports/{name}?expires=...&token=...`, absolute when PUBLIC_BASE_URL is set."""
        self.path(key)
        if not key.startswith(EXPORTS_PREFIX):
            raise StorageError(f"only files under {EXPORTS_PREFIX} can be linked, not {key!r}")
        if filename is not None and (
            not filename or "/" in filename or any(ord(char) < 0x20 for char in filename)
        ):
            raise InvalidInputError(f"not a file name to save as: {filename!r}", field="filename")
        expires = int(time.time()) + expires_in
        query = {"expires": str(expires), "token": await self.sign(key, expires, filename)}
        if filename is not None:
            query["filename"] = filename
        link = f"/files/{quote(key)}?{urlencode(query)}"
        return f"{self.public_base_url}{link}" if self.public_base_url else link

    async def sign(self, key: str, expires: int, filename: str | None) -> str:
        """The link's token: HMAC-SHA256 of the key, the expiry and the download name."""
        message = "\n".join((key, str(expires), filename or "")).encode()
        digest = hmac.new(await self._key(), message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    async def verify(self, key: str, expires: int, filename: str | None, token: str) -> bool:
        """Whether a link's token was made by this store for these values (constant time)."""
        expected = await self.sign(key, expires, filename)
        return hmac.compare_digest(expected.encode(), token.encode())

    async def delete(self, key: str) -> None:
        """Remove the file (a missing one is fine)."""
        await asyncio.to_thread(self.path(key).unlink, missing_ok=True)

    async def list(self, prefix: str = "") -> list[StoredFile]:
        """The finished files under `prefix`, oldest first."""
        return await asyncio.to_thread(_walk, self.root, prefix)

    def info(self) -> StorageInfo:
        """The folder."""
        return StorageInfo(self.backend, str(self.root))

    async def _key(self) -> bytes:
        if self._signing_key is None:
            self._signing_key = await asyncio.to_thread(load_or_create_key, self.root / KEY_FILE)
        return self._signing_key


def _walk(root: Path, prefix: str) -> list[StoredFile]:
    found: list[StoredFile] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith("."):
                continue
            path = Path(folder, name)
            key = path.relative_to(root).as_posix()
            if not key.startswith(prefix):
                continue
            with contextlib.suppress(FileNotFoundError):  # deleted while we walked
                stat = path.stat()
                modified = datetime.fromtimestamp(stat.st_mtime, UTC)
                found.append(StoredFile(key, stat.st_size, modified))
    return sorted(found, key=lambda f: (f.modified_at, f.key))


def _remove_parts(target: Path) -> None:
    for path in target.parent.glob(f".{target.name}.*.part"):
        with contextlib.suppress(FileNotFoundError):  # another process got it first
            path.unlink()


def load_or_create_key(path: Path) -> bytes:
    """The random signing key in `path`, made once (mode 0600) and shared by every process."""
    with contextlib.suppress(FileNotFoundError):
        return _read_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f"{path.name}.{secrets.token_hex(6)}.part")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
            handle.flush()
            os.fsync(handle.fileno())
        # A hard link never replaces: of two processes starting together, one key wins and the
        # other reads it, whole.
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    key = path.read_text().strip()
    if len(key) < MIN_KEY_CHARS:
        raise ConfigurationError(f"the signing key in {path} is too short; delete the file")
    return key.encode()


def _finish(handle: BinaryIO, temp: Path, target: Path) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()
    os.replace(temp, target)


def _discard(handle: BinaryIO, temp: Path) -> None:
    handle.close()
    temp.unlink(missing_ok=True)
