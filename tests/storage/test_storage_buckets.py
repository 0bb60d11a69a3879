"""The S3 (boto3) and MinIO (minio SDK) stores against moto's S3 server on this machine: files
larger than a part, presigned links downloaded with plain httpx, failures that leave nothing."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from stored_files import read_digest, write_file

from agent.errors import StorageError
from storage.base import Storage
from storage.minio import MinioStorage
from storage.s3 import S3Storage

MB = 1024 * 1024
ACCESS_KEY = "salesagent-test"
SECRET_KEY = "salesagent-test-secret"


def s3_client(endpoint: str) -> Any:
    """A plain boto3 client, to look at the bucket as an outsider."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}),
    )


def build(backend: str, endpoint: str, bucket: str) -> Storage:
    if backend == "s3":
        return S3Storage(
            bucket=bucket,
            region="us-east-1",
            access_key_id=ACCESS_KEY,
            secret_access_key=SECRET_KEY,
            endpoint_url=endpoint,
        )
    return MinioStorage(
        endpoint=endpoint.removeprefix("http://"),
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        bucket=bucket,
        secure=False,
        region="us-east-1",
    )


@pytest.fixture(params=["s3", "minio"])
async def store(request: pytest.FixtureRequest, s3_server: str) -> AsyncIterator[Storage]:
    storage = build(request.param, s3_server, f"test-{uuid.uuid4().hex[:12]}")
    await storage.start()
    yield storage
    await storage.close()


def bucket_of(store: Storage) -> str:
    assert isinstance(store, S3Storage | MinioStorage)
    return store.bucket


async def test_the_bucket_is_made_at_start_and_start_can_run_again(
    store: Storage, s3_server: str
) -> None:
    names = [b["Name"] for b in s3_client(s3_server).list_buckets()["Buckets"]]
    assert bucket_of(store) in names
    await store.start()  # a second process starting finds it there


async def test_a_multipart_file_reads_back_lists_links_and_deletes(
    store: Storage, s3_server: str
) -> None:
    size = 20 * MB + 321  # more than two parts of either store
    written = await write_file(store, "exports/ventas.csv", size, content_type="text/csv")
    await write_file(store, "exports/pequeño.csv", 10, content_type="text/csv")
    await write_file(store, "otros/nota.txt", 5, content_type="text/plain")

    assert await read_digest(store, "exports/ventas.csv") == (size, written)
    head = s3_client(s3_server).head_object(Bucket=bucket_of(store), Key="exports/ventas.csv")
    assert head["ContentLength"] == size
    assert head["ContentType"] == "text/csv"
    assert "-" in head["ETag"]  # a multipart object's ETag: md5-of-parts "-" count

    listed = await store.list("exports/")
    assert sorted((f.key, f.size) for f in listed) == [
        ("exports/pequeño.csv", 10),
        ("exports/ventas.csv", size),
    ]
    assert all(f.modified_at.tzinfo is not None for f in listed)
    assert len(await store.list()) == 3

    link = await store.url("exports/ventas.csv", expires_in=600)
    async with httpx.AsyncClient(timeout=60) as http:
        answer = await http.get(link)
    assert answer.status_code == 200
    assert hashlib.sha256(answer.content).hexdigest() == written

    await store.delete("exports/ventas.csv")
    await store.delete("exports/ventas.csv")  # a missing object is not an error
    assert [f.key for f in await store.list("exports/")] == ["exports/pequeño.csv"]
    with pytest.raises(StorageError, match="not found"):
        await read_digest(store, "exports/ventas.csv")


async def test_a_link_with_a_download_name(store: Storage) -> None:
    await write_file(store, "exports/full-1.zip", 1000, content_type="application/zip")
    link = await store.url("exports/full-1.zip", expires_in=600, filename="informe año.zip")
    async with httpx.AsyncClient() as http:
        answer = await http.get(link)
        tampered = await http.get(link.replace("full-1.zip", "full-2.zip"))
    assert answer.status_code == 200
    assert len(answer.content) == 1000
    assert answer.headers["content-disposition"] == (
        "attachment; filename=\"informe a_o.zip\"; filename*=UTF-8''informe%20a%C3%B1o.zip"
    )
    assert tampered.status_code == 403  # the signature covers the key


async def test_a_failure_inside_the_writer_leaves_no_object_and_no_upload(
    store: Storage, s3_server: str
) -> None:
    with pytest.raises(RuntimeError, match="the database went away"):
        async with store.writer("exports/ventas.csv", content_type="text/csv") as out:
            for _ in range(24):  # 24 MiB: parts were sent before the failure
                await out.write(b"x" * MB)
            raise RuntimeError("the database went away")

    client = s3_client(s3_server)
    assert client.list_objects_v2(Bucket=bucket_of(store)).get("Contents", []) == []
    assert client.list_multipart_uploads(Bucket=bucket_of(store)).get("Uploads", []) == []
    assert await store.list() == []

    # The same store writes the next file fine.
    written = await write_file(store, "exports/ventas.csv", 12 * MB)
    assert await read_digest(store, "exports/ventas.csv") == (12 * MB, written)


async def test_a_small_and_an_empty_file(store: Storage) -> None:
    await write_file(store, "exports/vacio.csv", 0)
    written = await write_file(store, "exports/uno.csv", 1)
    assert await read_digest(store, "exports/vacio.csv") == (0, hashlib.sha256().hexdigest())
    assert await read_digest(store, "exports/uno.csv") == (1, written)


@pytest.mark.parametrize("backend", ["s3", "minio"])
async def test_a_server_that_does_not_answer_is_a_storage_error(backend: str) -> None:
    dead = build(backend, "http://127.0.0.1:9", "nowhere")
    with pytest.raises(StorageError, match="could not be reached"):
        await dead.start()
    await dead.close()


PAGE_KEYS = [f"exports/dia-{n:04d}.csv" for n in range(1005)]  # S3 answers 1,000 keys a page


@pytest.fixture(scope="module")
def crowded_bucket(s3_server: str) -> str:
    """A bucket with more files than one page of a listing, filled once for both stores."""
    client = s3_client(s3_server)
    bucket = f"crowded-{uuid.uuid4().hex[:8]}"
    client.create_bucket(Bucket=bucket)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: client.put_object(Bucket=bucket, Key=key, Body=b"x"), PAGE_KEYS))
    return bucket


@pytest.mark.parametrize("backend", ["s3", "minio"])
async def test_a_listing_longer_than_a_page_is_whole(
    backend: str, s3_server: str, crowded_bucket: str
) -> None:
    store = build(backend, s3_server, crowded_bucket)
    listed = await store.list("exports/")
    await store.close()
    assert sorted(f.key for f in listed) == PAGE_KEYS
    assert [f.modified_at for f in listed] == sorted(f.modified_at for f in listed)
