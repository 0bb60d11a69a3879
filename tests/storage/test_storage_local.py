"""The local store: files in a folder, written atomically, and links signed by the app that
the app itself serves (tampered or expired ones refused)."""

from __future__ import annotations

import hashlib
import stat
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from conftest import make_settings
from fixtures.live_server import LiveServer, serving
from pydantic import SecretStr
from stored_files import read_digest, write_file

from agent.errors import ConfigurationError, InvalidInputError, StorageError
from agent.settings import Settings
from storage.local import KEY_FILE, LocalStorage, load_or_create_key

MB = 1024 * 1024


@pytest.fixture
def store_settings(sqlite_url: str, tmp_path: Path) -> Settings:
    return make_settings(sqlite_url, storage_local_dir=tmp_path / "store")


@pytest.fixture
async def live(store_settings: Settings) -> AsyncIterator[LiveServer]:
    async with serving(store_settings) as running:
        yield running


def local(settings: Settings) -> LocalStorage:
    return LocalStorage.from_settings(settings)


async def test_a_file_written_in_pieces_reads_back_lists_and_deletes(
    store_settings: Settings,
) -> None:
    store = local(store_settings)
    written = await write_file(store, "exports/ventas.csv", 20 * MB + 123)
    await write_file(store, "exports/otro.csv", 10)

    assert await read_digest(store, "exports/ventas.csv") == (20 * MB + 123, written)
    assert (store_settings.storage_local_dir / "exports" / "ventas.csv").stat().st_size == (
        20 * MB + 123
    )
    listed = await store.list("exports/")
    assert [(f.key, f.size) for f in listed] == [
        ("exports/ventas.csv", 20 * MB + 123),
        ("exports/otro.csv", 10),
    ]
    assert listed[0].modified_at.tzinfo is not None
    assert await store.list("imports/") == []

    await store.delete("exports/ventas.csv")
    await store.delete("exports/ventas.csv")  # twice: a missing file is not an error
    assert [f.key for f in await store.list()] == ["exports/otro.csv"]
    with pytest.raises(StorageError, match="no file"):
        await read_digest(store, "exports/ventas.csv")


async def test_a_failure_inside_the_writer_leaves_nothing_not_even_a_partial_file(
    store_settings: Settings,
) -> None:
    store = local(store_settings)
    await write_file(store, "exports/ventas.csv", 1000)
    before = await read_digest(store, "exports/ventas.csv")

    with pytest.raises(RuntimeError, match="the database went away"):
        async with store.writer("exports/ventas.csv", content_type="text/csv") as out:
            await out.write(b"x" * (3 * MB))
            raise RuntimeError("the database went away")

    assert await read_digest(store, "exports/ventas.csv") == before  # the old file untouched
    folder = store_settings.storage_local_dir / "exports"
    assert sorted(p.name for p in folder.iterdir()) == ["ventas.csv"]  # no .part left behind


@pytest.mark.parametrize(
    "key",
    [
        "../fuera.csv",
        "exports/../../fuera.csv",
        "/etc/passwd",
        "exports//doble.csv",
        "exports/./punto.csv",
        "exports\\ventas.csv",
        ".signing-key",
        "exports/.oculto.csv",
        "exports/ventas.csv\n1700000000",
        "exports/nul\x00.csv",
        "",
    ],
)
async def test_keys_that_could_leave_the_folder_are_refused(
    store_settings: Settings, key: str
) -> None:
    store = local(store_settings)
    with pytest.raises(InvalidInputError) as refused:
        async with store.writer(key, content_type="text/csv") as out:
            await out.write(b"nada")
    assert refused.value.field == "key"
    with pytest.raises(InvalidInputError):
        await store.url(key, expires_in=60)
    with pytest.raises(InvalidInputError):
        await store.delete(key)
    assert not (store_settings.storage_local_dir.parent / "fuera.csv").exists()


async def test_a_symlink_out_of_the_folder_is_refused(store_settings: Settings) -> None:
    store = local(store_settings)
    outside = store_settings.storage_local_dir.parent / "outside"
    outside.mkdir()
    store_settings.storage_local_dir.mkdir()
    (store_settings.storage_local_dir / "exports").symlink_to(outside)
    with pytest.raises(InvalidInputError, match="outside"):
        async with store.writer("exports/ventas.csv", content_type="text/csv") as out:
            await out.write(b"nada")
    assert list(outside.iterdir()) == []


async def test_the_signing_key_file_is_made_once_private_and_shared(
    store_settings: Settings,
) -> None:
    first = local(store_settings)
    link = await first.url("exports/ventas.csv", expires_in=600)
    key_file = store_settings.storage_local_dir / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    made = key_file.read_bytes()
    assert len(made.strip()) >= 32

    # Another process of the shop (or this one after a restart) signs with the same key.
    second = local(store_settings)
    query = parse_qs(urlsplit(link).query)
    expires, token = int(query["expires"][0]), query["token"][0]
    assert await second.verify("exports/ventas.csv", expires, None, token)
    assert key_file.read_bytes() == made
    # The key file is never listed nor readable as a stored file.
    assert await second.list() == []


async def test_a_configured_key_signs_and_no_file_is_made(store_settings: Settings) -> None:
    settings = store_settings.model_copy(
        update={"storage_signing_key": SecretStr("k" * 40), "environment": "production"}
    )
    store = local(settings)
    link = await store.url("exports/ventas.csv", expires_in=600)
    query = parse_qs(urlsplit(link).query)
    expires, token = int(query["expires"][0]), query["token"][0]
    assert await store.verify("exports/ventas.csv", expires, None, token)
    other = local(settings.model_copy(update={"storage_signing_key": SecretStr("j" * 40)}))
    assert not await other.verify("exports/ventas.csv", expires, None, token)
    assert not (settings.storage_local_dir / KEY_FILE).exists()


def test_a_short_signing_key_is_refused_in_production(store_settings: Settings) -> None:
    settings = store_settings.model_copy(
        update={"storage_signing_key": SecretStr("corta"), "environment": "production"}
    )
    with pytest.raises(ConfigurationError, match="STORAGE_SIGNING_KEY"):
        local(settings)
    # Outside production a short key is accepted (a developer's machine).
    local(store_settings.model_copy(update={"storage_signing_key": SecretStr("corta")}))


async def test_links_are_relative_or_absolute_with_public_base_url(
    store_settings: Settings,
) -> None:
    relative = await local(store_settings).url("exports/ventas.csv", expires_in=600)
    assert relative.startswith("/files/exports/ventas.csv?expires=")
    public = store_settings.model_copy(update={"public_base_url": "https://tienda.example.co/"})
    absolute = await local(public).url("exports/ventas.csv", expires_in=600)
    assert absolute.startswith("https://tienda.example.co/files/exports/ventas.csv?expires=")
    with pytest.raises(StorageError, match="exports/"):
        await local(store_settings).url("otros/ventas.csv", expires_in=600)
    for name in ("", "a/b.csv", "ventas.csv\n1700000000"):
        with pytest.raises(InvalidInputError) as refused:
            await local(store_settings).url("exports/ventas.csv", expires_in=600, filename=name)
        assert refused.value.field == "filename"


# The links, served by the running app.


async def test_the_app_serves_a_signed_link_byte_for_byte(live: LiveServer) -> None:
    store = live.runtime.storage
    assert isinstance(store, LocalStorage)
    written = await write_file(store, "exports/ventas.csv", 3 * MB + 7)
    link = await store.url("exports/ventas.csv", expires_in=600)

    async with httpx.AsyncClient(base_url=live.url) as http:
        answer = await http.get(link)

    assert answer.status_code == 200
    assert hashlib.sha256(answer.content).hexdigest() == written
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="ventas.csv"'
    assert answer.headers["cache-control"] == "no-store"
    assert int(answer.headers["content-length"]) == 3 * MB + 7


async def test_a_link_with_a_download_name_saves_under_it(live: LiveServer) -> None:
    store = live.runtime.storage
    await write_file(store, "exports/full.zip", 100, content_type="application/zip")
    link = await store.url("exports/full.zip", expires_in=600, filename="informe año.zip")

    async with httpx.AsyncClient(base_url=live.url) as http:
        answer = await http.get(link)

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    assert answer.headers["content-disposition"] == (
        "attachment; filename=\"informe a_o.zip\"; filename*=UTF-8''informe%20a%C3%B1o.zip"
    )


def tampered(link: str, **changes: str) -> str:
    parts = urlsplit(link)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    path = changes.pop("path", parts.path)
    query.update(changes)
    return f"{path}?{urlencode(query)}"


async def test_tampered_expired_and_missing_links_are_refused(live: LiveServer) -> None:
    store = live.runtime.storage
    await write_file(store, "exports/ventas.csv", 100)
    await write_file(store, "exports/clientes.csv", 100)
    link = await store.url("exports/ventas.csv", expires_in=600, filename="ventas.csv")
    token = parse_qs(urlsplit(link).query)["token"][0]
    later = str(int(time.time()) + 7 * 24 * 3600)
    flipped = ("A" if token[0] != "A" else "B") + token[1:]
    expired = await store.url("exports/ventas.csv", expires_in=-1)

    async with httpx.AsyncClient(base_url=live.url) as http:
        refused = {
            "token": await http.get(tampered(link, token=flipped)),
            "expiry pushed": await http.get(tampered(link, expires=later)),
            "other file": await http.get(tampered(link, path="/files/exports/clientes.csv")),
            "other name": await http.get(tampered(link, filename="x.exe")),
            "climbing": await http.get(tampered(link, path="/files/exports/../.signing-key")),
        }
        late = await http.get(expired)
        no_token = await http.get("/files/exports/ventas.csv")
        await store.delete("exports/ventas.csv")
        gone = await http.get(link)

    for what, answer in refused.items():
        assert answer.status_code in (403, 404), what
        assert answer.content != b"", what
    assert {what: a.status_code for what, a in refused.items() if what != "climbing"} == {
        "token": 403,
        "expiry pushed": 403,
        "other file": 403,
        "other name": 403,
    }
    assert "not valid" in refused["token"].json()["detail"]
    assert late.status_code == 403
    assert "expired" in late.json()["detail"]
    assert no_token.status_code == 422
    assert {e["field"] for e in no_token.json()["errors"]} == {"expires", "token"}
    assert gone.status_code == 404


async def test_the_download_route_is_off_for_a_bucket(
    sqlite_url: str, s3_server: str, tmp_path: Path
) -> None:
    settings = make_settings(
        sqlite_url,
        storage_backend="s3",
        storage_bucket="route-off",
        s3_endpoint_url=s3_server,
        s3_access_key_id="test",
        s3_secret_access_key=SecretStr("test-secret"),
    )
    async with serving(settings) as running, httpx.AsyncClient(base_url=running.url) as http:
        # Even a link this service could have signed with a local key is not served.
        forged = await LocalStorage(tmp_path, b"k" * 40, None).url(
            "exports/ventas.csv", expires_in=600
        )
        answer = await http.get(forged)
    assert answer.status_code == 404


async def test_a_failed_writes_leftovers_are_removed_and_nothing_else(
    store_settings: Settings,
) -> None:
    store = local(store_settings)
    folder = store_settings.storage_local_dir / "exports"
    folder.mkdir(parents=True)
    (folder / ".ventas.csv.0a1b2c.part").write_bytes(b"medio archivo")
    (folder / ".clientes.csv.3d4e5f.part").write_bytes(b"escribiendo")
    await write_file(store, "exports/ventas.csv", 10)

    await store.discard_unfinished("exports/ventas.csv")

    assert sorted(p.name for p in folder.iterdir()) == [".clientes.csv.3d4e5f.part", "ventas.csv"]


def test_processes_starting_together_agree_on_one_signing_key(tmp_path: Path) -> None:
    path = tmp_path / "store" / KEY_FILE
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: load_or_create_key(path), range(16)))
    assert keys == {path.read_bytes().strip()}
    assert [p.name for p in path.parent.iterdir()] == [KEY_FILE]  # no temporary file left
