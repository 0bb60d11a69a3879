"""Settings pick the store; a store chosen without its credentials stops the start-up naming
the variable, and the store is released whatever happens."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_settings
from pydantic import SecretStr

from agent.errors import ConfigurationError
from salesagent.runtime import Runtime
from storage.factory import build_storage
from storage.local import LocalStorage
from storage.minio import MinioStorage
from storage.s3 import S3Storage

S3 = {
    "storage_backend": "s3",
    "s3_access_key_id": "AKIATEST",
    "s3_secret_access_key": SecretStr("secret-secret"),
}
MINIO = {
    "storage_backend": "minio",
    "minio_endpoint": "127.0.0.1:9000",
    "minio_access_key": "minio-user",
    "minio_secret_key": SecretStr("minio-secret"),
}


def test_local_is_the_default(sqlite_url: str, tmp_path: Path) -> None:
    store = build_storage(make_settings(sqlite_url, storage_local_dir=tmp_path / "files"))
    assert isinstance(store, LocalStorage)
    assert store.info().location == str(tmp_path / "files")
    assert not (tmp_path / "files").exists()  # nothing made before the first file


def test_each_backend_from_its_settings(sqlite_url: str) -> None:
    s3 = build_storage(make_settings(sqlite_url, s3_endpoint_url="http://127.0.0.1:9", **S3))
    assert isinstance(s3, S3Storage)
    assert s3.info().endpoint == "http://127.0.0.1:9"
    minio = build_storage(make_settings(sqlite_url, minio_secure=False, **MINIO))
    assert isinstance(minio, MinioStorage)
    assert minio.info().endpoint == "http://127.0.0.1:9000"


@pytest.mark.parametrize(
    ("values", "unset", "variable"),
    [
        (S3, "s3_access_key_id", "S3_ACCESS_KEY_ID"),
        (S3, "s3_secret_access_key", "S3_SECRET_ACCESS_KEY"),
        (MINIO, "minio_endpoint", "MINIO_ENDPOINT"),
        (MINIO, "minio_access_key", "MINIO_ACCESS_KEY"),
        (MINIO, "minio_secret_key", "MINIO_SECRET_KEY"),
    ],
)
async def test_a_missing_credential_stops_the_start_up_naming_it(
    sqlite_url: str, s3_server: str, values: dict[str, object], unset: str, variable: str
) -> None:
    server = {
        "s3_endpoint_url": s3_server,
        "minio_endpoint": s3_server.removeprefix("http://"),
        "minio_secure": False,
        "storage_bucket": "factory-test",
    }
    settings = make_settings(sqlite_url, **{**values, **server, unset: None})
    with pytest.raises(ConfigurationError, match=f"needs {variable}$"):
        build_storage(settings)
    with pytest.raises(ConfigurationError, match=variable):
        await Runtime.start(settings, migrate=False)

    # Set, the same settings start, and the bucket is there.
    runtime = await Runtime.start(make_settings(sqlite_url, **{**values, **server}), migrate=False)
    try:
        assert await runtime.storage.list() == []
    finally:
        await runtime.close()


def test_a_minio_endpoint_given_as_a_url_is_refused_naming_it(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, **{**MINIO, "minio_endpoint": "http://127.0.0.1:9000"})
    with pytest.raises(ConfigurationError, match="MINIO_ENDPOINT must be host:port"):
        build_storage(settings)


async def test_a_short_signing_key_stops_a_production_start(sqlite_url: str) -> None:
    settings = make_settings(
        sqlite_url, environment="production", storage_signing_key=SecretStr("corta")
    )
    with pytest.raises(ConfigurationError, match="STORAGE_SIGNING_KEY"):
        await Runtime.start(settings, migrate=False)
