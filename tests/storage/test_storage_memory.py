"""Writing a 200 MB file holds a bounded amount of it in memory, whatever the store (tracemalloc
peak, measured in this process; the S3 server runs in its own process so its copy is not ours)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.live_server import free_port
from stored_files import write_file

from storage.base import Storage
from storage.local import LocalStorage
from storage.minio import MinioStorage
from storage.s3 import S3Storage

MB = 1024 * 1024
SIZE = 200 * MB
BOUND = 64 * MB


@pytest.fixture(scope="module")
def s3_process() -> Iterator[str]:
    """moto's S3 server in a process of its own, so that the bytes it keeps are not counted."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("moto's server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def stores(tmp_path: Path, endpoint: str) -> dict[str, Storage]:
    bucket = f"memory-{uuid.uuid4().hex[:8]}"
    return {
        "local": LocalStorage(tmp_path / "store", b"k" * 40, None),
        "s3": S3Storage(
            bucket=bucket,
            region="us-east-1",
            access_key_id="test",
            secret_access_key="test-secret",
            endpoint_url=endpoint,
        ),
        "minio": MinioStorage(
            endpoint=endpoint.removeprefix("http://"),
            access_key="test",
            secret_key="test-secret",
            bucket=bucket,
            secure=False,
            region="us-east-1",
        ),
    }


@pytest.mark.parametrize("backend", ["local", "s3", "minio"])
async def test_a_200_mb_file_is_written_in_bounded_memory(
    backend: str, tmp_path: Path, s3_process: str
) -> None:
    store = stores(tmp_path, s3_process)[backend]
    await store.start()
    tracemalloc.start()
    try:
        await write_file(store, "exports/grande.csv", SIZE)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    listed = await store.list("exports/")
    await store.delete("exports/grande.csv")
    await store.close()

    print(f"{backend}: wrote {SIZE // MB} MB with a peak of {peak / MB:.1f} MB traced")
    assert [(f.key, f.size) for f in listed] == [("exports/grande.csv", SIZE)]
    assert peak < BOUND
