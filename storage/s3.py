"""Files in an S3 bucket (AWS or any S3-compatible server), through boto3."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from agent.errors import ConfigurationError, StorageError
from agent.settings import Settings
from storage.base import FileWriter, Storage, StorageInfo, StoredFile
from storage.disposition import attachment

PART_SIZE = 8 * 1024 * 1024
"""Bytes of one multipart part (S3 wants at least 5 MiB for all but the last)."""
READ_CHUNK = 1024 * 1024
MISSING = ("404", "NoSuchKey", "NoSuchBucket", "NotFound")

T = TypeVar("T")
log = logging.getLogger(__name__)


class S3Storage(Storage):
    """A bucket; boto3 is synchronous, so each call runs in a worker thread."""

    backend = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        region: str,
        access_key_id: str,
        secret_access_key: str,
        endpoint_url: str | None = None,
        part_size: int = PART_SIZE,
    ) -> None:
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.region = region
        self.part_size = part_size
        self._bucket_ready = False
        config = Config(
            signature_version="s3v4",
            # A custom endpoint (MinIO, Ceph, moto...) rarely serves bucket subdomains.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            retries={"mode": "standard", "max_attempts": 3},
        )
        # Its own session: boto3's default one is not thread-safe, and no ambient AWS_* setting
        # should pick other credentials than the ones configured here.
        self.client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=config,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        """STORAGE_BUCKET with the S3_* settings; a missing key names its variable."""
        if not settings.s3_access_key_id:
            raise ConfigurationError("STORAGE_BACKEND=s3 needs S3_ACCESS_KEY_ID")
        secret = settings.s3_secret_access_key
        if secret is None or not secret.get_secret_value():
            raise ConfigurationError("STORAGE_BACKEND=s3 needs S3_SECRET_ACCESS_KEY")
        return cls(
            bucket=settings.storage_bucket,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=secret.get_secret_value(),
            endpoint_url=settings.s3_endpoint_url or None,
        )

    async def start(self) -> None:
        """Create the bucket when it is missing."""
        await self._call(self._ensure_bucket)
        self._bucket_ready = True

    def _ensure_bucket(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as err:
            if _code(err) not in MISSING:
                raise
        options: dict[str, Any] = {}
        if self.region != "us-east-1":  # the one region S3 refuses to be told
            options["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self.client.create_bucket(Bucket=self.bucket, **options)
        except ClientError as err:
            if _code(err) != "BucketAlreadyOwnedByYou":  # another process made it first
                raise

    @contextlib.asynccontextmanager
    async def writer(self, key: str, *, content_type: str) -> AsyncIterator[FileWriter]:
        """A multipart upload, a part at a time; aborted when the block fails."""
        if not self._bucket_ready:
            await self.start()
        writer = _S3Writer(self, key, content_type)
        try:
            yield writer
            await writer.finish()
        except BaseException:
            try:
                await writer.abort()
            except StorageError as err:  # the write's own error is the one to raise
                log.warning("could not abort the upload of %s: %s", key, err)
            raise

    async def read(self, key: str) -> AsyncIterator[bytes]:
        """The object's body, streamed a chunk at a time."""
        response = await self._call(self.client.get_object, Bucket=self.bucket, Key=key)
        body = response["Body"]
        try:
            while chunk := await self._call(body.read, READ_CHUNK):
                yield chunk
        finally:
            body.close()

    async def url(self, key: str, *, expires_in: int, filename: str | None = None) -> str:
        """A presigned GET (SigV4), saved as `filename` by the browser when given."""
        params = {"Bucket": self.bucket, "Key": key}
        if filename is not None:
            params["ResponseContentDisposition"] = attachment(filename)
        link: str = await self._call(
            self.client.generate_presigned_url,
            "get_object",
            Params=params,
            ExpiresIn=expires_in,
        )
        return link

    async def delete(self, key: str) -> None:
        """Remove the object (S3 does not mind a missing one)."""
        await self._call(self.client.delete_object, Bucket=self.bucket, Key=key)

    async def discard_unfinished(self, key: str) -> None:
        """Abort the multipart uploads of `key` still open (S3 keeps, and bills, their parts)."""
        listed = await self._call(
            self.client.list_multipart_uploads, Bucket=self.bucket, Prefix=key
        )
        for upload in listed.get("Uploads", []):
            if upload["Key"] == key:
                await self._call(
                    self.client.abort_multipart_upload,
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload["UploadId"],
                )

    async def list(self, prefix: str = "") -> list[StoredFile]:
        """Every page of the listing under `prefix`, oldest first."""
        return await self._call(_list_objects, self.client, self.bucket, prefix)

    def info(self) -> StorageInfo:
        """The bucket and the endpoint (None: AWS)."""
        return StorageInfo(self.backend, self.bucket, self.endpoint_url)

    async def close(self) -> None:
        """Close the client's connections."""
        await asyncio.to_thread(self.client.close)

    async def _call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a boto3 call in a thread; its errors become `StorageError`."""
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except ClientError as err:
            where = f"s3://{self.bucket}"
            if self.endpoint_url:
                where += f" at {self.endpoint_url}"
            if _code(err) in MISSING:
                raise StorageError(f"not found in {where}: {err}") from err
            raise StorageError(f"{where} refused the request: {err}") from err
        except BotoCoreError as err:
            raise StorageError(f"S3 could not be reached: {err}") from err


class _S3Writer:
    """Buffers one part, uploads it, and starts the multipart upload only when a part is full."""

    def __init__(self, storage: S3Storage, key: str, content_type: str) -> None:
        self._storage = storage
        self._key = key
        self._content_type = content_type
        self._buffer = bytearray()
        self._size = 0
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []

    @property
    def size(self) -> int:
        return self._size

    async def write(self, data: bytes) -> None:
        self._buffer += data
        self._size += len(data)
        part_size = self._storage.part_size
        while len(self._buffer) >= part_size:
            part = bytes(self._buffer[:part_size])
            del self._buffer[:part_size]
            await self._upload_part(part)

    async def _upload_part(self, part: bytes) -> None:
        s3 = self._storage
        if self._upload_id is None:
            created = await s3._call(
                s3.client.create_multipart_upload,
                Bucket=s3.bucket,
                Key=self._key,
                ContentType=self._content_type,
            )
            self._upload_id = created["UploadId"]
        number = len(self._parts) + 1
        sent = await s3._call(
            s3.client.upload_part,
            Bucket=s3.bucket,
            Key=self._key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=part,
        )
        self._parts.append({"PartNumber": number, "ETag": sent["ETag"]})

    async def finish(self) -> None:
        """Upload what is left and make the object appear."""
        s3 = self._storage
        if self._upload_id is None:  # smaller than a part: one request
            await s3._call(
                s3.client.put_object,
                Bucket=s3.bucket,
                Key=self._key,
                Body=bytes(self._buffer),
                ContentType=self._content_type,
            )
            self._buffer.clear()
            return
        if self._buffer:
            await self._upload_part(bytes(self._buffer))
            self._buffer.clear()
        await s3._call(
            s3.client.complete_multipart_upload,
            Bucket=s3.bucket,
            Key=self._key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
        )

    async def abort(self) -> None:
        """Drop the parts sent so far, so the bucket keeps nothing of a failed file."""
        self._buffer.clear()
        if self._upload_id is not None:
            s3 = self._storage
            await s3._call(
                s3.client.abort_multipart_upload,
                Bucket=s3.bucket,
                Key=self._key,
                UploadId=self._upload_id,
            )


def _list_objects(client: Any, bucket: str, prefix: str) -> list[StoredFile]:
    found: list[StoredFile] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            modified = item["LastModified"].astimezone(UTC)
            found.append(StoredFile(item["Key"], int(item["Size"]), modified))
    return sorted(found, key=lambda f: (f.modified_at, f.key))


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))
