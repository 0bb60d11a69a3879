"""Files in a MinIO bucket, through the minio SDK."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, TypeVar, cast

from minio import Minio
from minio.error import MinioException
from urllib3.exceptions import HTTPError

from agent.errors import ConfigurationError, StorageError
from agent.settings import Settings
from storage.base import FileWriter, Storage, StorageInfo, StoredFile
from storage.chunks import CHUNK, ChunkedWriter
from storage.disposition import attachment

PART_SIZE = 10 * 1024 * 1024
"""Bytes of one multipart part the SDK uploads."""
PIPE_CHUNKS = 4
"""Chunks that may wait for the uploading thread: with one part, what a write holds in memory."""

T = TypeVar("T")


class MinioStorage(Storage):
    """A bucket on a MinIO server; the SDK is synchronous, so calls run in worker threads."""

    backend = "minio"

    def __init__(
        self,
        *,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        secure: bool = True,
        region: str | None = None,
        part_size: int = PART_SIZE,
    ) -> None:
        self.endpoint = endpoint
        self.secure = secure
        self.bucket = bucket
        self.region = region
        self.part_size = part_size
        self._bucket_ready = False
        self.client = Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> MinioStorage:
        """STORAGE_BUCKET with the MINIO_* settings; a missing one names its variable."""
        endpoint, access_key = settings.minio_endpoint, settings.minio_access_key
        secret = settings.minio_secret_key.get_secret_value() if settings.minio_secret_key else ""
        if not endpoint:
            raise ConfigurationError("STORAGE_BACKEND=minio needs MINIO_ENDPOINT")
        if not access_key:
            raise ConfigurationError("STORAGE_BACKEND=minio needs MINIO_ACCESS_KEY")
        if not secret:
            raise ConfigurationError("STORAGE_BACKEND=minio needs MINIO_SECRET_KEY")
        try:
            return cls(
                endpoint=endpoint,
                access_key=access_key,
                secret_key=secret,
                bucket=settings.storage_bucket,
                secure=settings.minio_secure,
                region=settings.minio_region or None,
            )
        except ValueError as err:  # the SDK's check of the address
            raise ConfigurationError(
                f"MINIO_ENDPOINT must be host:port (no http:// nor path; MINIO_SECURE picks "
                f"https), not {endpoint!r}: {err}"
            ) from err

    async def start(self) -> None:
        """Make the bucket when it is missing."""
        await self._call(self._ensure_bucket)
        self._bucket_ready = True

    def _ensure_bucket(self) -> None:
        if self.client.bucket_exists(self.bucket):
            return
        try:
            self.client.make_bucket(self.bucket, location=self.region)
        except MinioException as err:
            if getattr(err, "code", "") != "BucketAlreadyOwnedByYou":  # made by another process
                raise

    @contextlib.asynccontextmanager
    async def writer(self, key: str, *, content_type: str) -> AsyncIterator[FileWriter]:
        """The SDK's streaming `put_object` (multipart) reading from a bounded pipe."""
        if not self._bucket_ready:
            await self.start()
        pipe = _Pipe(PIPE_CHUNKS)
        upload = asyncio.ensure_future(self._call(self._put, key, pipe, content_type))
        writer = _MinioWriter(pipe, upload)
        try:
            yield writer
            await writer.flush()
            await asyncio.to_thread(pipe.close)
            await upload
        except BaseException as err:
            if not upload.done():
                # The SDK aborts its multipart upload when a read fails.
                await asyncio.to_thread(pipe.fail, err)
            with contextlib.suppress(Exception):  # the block's own error is the one to raise
                await upload
            raise

    def _put(self, key: str, pipe: _Pipe, content_type: str) -> None:
        try:
            self.client.put_object(
                self.bucket,
                key,
                cast(BinaryIO, pipe),  # the SDK only ever calls read(size)
                length=-1,
                content_type=content_type,
                part_size=self.part_size,
                # One part in memory at a time: parallel parts would queue without bound.
                num_parallel_uploads=1,
            )
        finally:
            pipe.reader_done.set()

    async def read(self, key: str) -> AsyncIterator[bytes]:
        """The object's body, streamed a chunk at a time."""
        response = await self._call(self.client.get_object, self.bucket, key)
        try:
            while chunk := await self._call(response.read, CHUNK):
                yield chunk
        finally:
            response.close()
            response.release_conn()

    async def url(self, key: str, *, expires_in: int, filename: str | None = None) -> str:
        """A presigned GET, saved as `filename` by the browser when given."""
        headers = (
            {"response-content-disposition": attachment(filename)} if filename is not None else None
        )
        link: str = await self._call(
            self.client.presigned_get_object,
            self.bucket,
            key,
            expires=timedelta(seconds=expires_in),
            response_headers=headers,
        )
        return link

    async def delete(self, key: str) -> None:
        """Remove the object (a missing one is fine)."""
        await self._call(self.client.remove_object, self.bucket, key)

    async def list(self, prefix: str = "") -> list[StoredFile]:
        """Every page of the listing under `prefix`, oldest first."""
        return await self._call(_list_objects, self.client, self.bucket, prefix)

    def info(self) -> StorageInfo:
        """The bucket and the server."""
        scheme = "https" if self.secure else "http"
        return StorageInfo(self.backend, self.bucket, f"{scheme}://{self.endpoint}")

    async def _call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run an SDK call in a thread; its errors become `StorageError`."""
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except MinioException as err:
            if getattr(err, "code", "") in ("NoSuchKey", "NoSuchBucket"):
                raise StorageError(f"not found in minio bucket {self.bucket}: {err}") from err
            raise StorageError(f"MinIO refused the request on {self.bucket}: {err}") from err
        except HTTPError as err:
            raise StorageError(f"MinIO could not be reached at {self.endpoint}: {err}") from err


def _list_objects(client: Minio, bucket: str, prefix: str) -> list[StoredFile]:
    found = [
        StoredFile(
            str(item.object_name),
            int(item.size or 0),
            (item.last_modified or datetime.fromtimestamp(0, UTC)).astimezone(UTC),
        )
        for item in client.list_objects(bucket, prefix=prefix, recursive=True)
        if not item.is_dir
    ]
    return sorted(found, key=lambda f: (f.modified_at, f.key))


class _Pipe:
    """A bounded queue of chunks that the SDK reads as a file, from its own thread."""

    def __init__(self, chunks: int) -> None:
        self._queue: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=chunks)
        self._rest = b""
        self._eof = False
        self.reader_done = threading.Event()
        """Set when the SDK stopped reading (done or failed): nothing will drain the queue."""

    def put(self, item: bytes | BaseException | None) -> None:
        """Hand over a chunk (None: the end), waiting while the queue is full."""
        while not self.reader_done.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        """The file ends here."""
        self.put(None)

    def fail(self, err: BaseException) -> None:
        """Make the SDK's next read raise, so it aborts the upload."""
        self.put(StorageError(f"the file being written failed: {err!r}"))

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes, fewer only at the end (the SDK reads a part at a time)."""
        out = bytearray(self._rest)
        self._rest = b""
        while (size < 0 or len(out) < size) and not self._eof:
            item = self._queue.get()
            if item is None:
                self._eof = True
            elif isinstance(item, BaseException):
                raise item
            else:
                out += item
        if 0 <= size < len(out):
            self._rest = bytes(out[size:])
            del out[size:]
        return bytes(out)


class _MinioWriter(ChunkedWriter):
    """Gathers writes into chunks for the pipe."""

    def __init__(self, pipe: _Pipe, upload: asyncio.Future[None]) -> None:
        super().__init__(pipe.put)
        self._upload = upload

    async def write(self, data: bytes) -> None:
        """Append `data`, or say why the upload already ended."""
        if self._upload.done():  # the upload failed early (a refused bucket): say why now
            await self._upload
            raise StorageError("the upload ended before the file did")
        await super().write(data)
