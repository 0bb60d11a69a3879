"""`GET /files/storage/info`: which store keeps the reports, for an API key or a console
manager; refused to anyone else; never a key or a secret in it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from conftest import make_settings
from fixtures.console_login import add_staff, log_in
from fixtures.live_server import LiveServer, serving
from pydantic import SecretStr

from agent.api_keys import create_key
from agent.models import StaffRole
from agent.settings import Settings

ACCESS_KEY = "AKIAINFOTESTKEY"
SECRET_KEY = "info-test-secret-value"
SIGNING_KEY = "s" * 40


@pytest.fixture(params=["local", "s3", "minio"])
def store_settings(
    request: pytest.FixtureRequest, sqlite_url: str, s3_server: str, tmp_path: Path
) -> Settings:
    values: dict[str, object] = {
        "storage_backend": request.param,
        "storage_local_dir": tmp_path / "store",
        "storage_signing_key": SecretStr(SIGNING_KEY),
        "storage_bucket": f"info-{request.param}",
    }
    if request.param == "s3":
        values |= {
            "s3_endpoint_url": s3_server,
            "s3_access_key_id": ACCESS_KEY,
            "s3_secret_access_key": SecretStr(SECRET_KEY),
        }
    if request.param == "minio":
        values |= {
            "minio_endpoint": s3_server.removeprefix("http://"),
            "minio_secure": False,
            "minio_access_key": ACCESS_KEY,
            "minio_secret_key": SecretStr(SECRET_KEY),
        }
    return make_settings(sqlite_url, **values)


@pytest.fixture
async def live(store_settings: Settings) -> AsyncIterator[LiveServer]:
    async with serving(store_settings) as running:
        await add_staff(running.runtime, "gerente", StaffRole.MANAGER)
        await add_staff(running.runtime, "asesora")
        yield running


async def api_key(live: LiveServer) -> str:
    async with live.runtime.sessions() as session:
        _row, key = await create_key(session, name="informes")
    return key


async def console_cookie(live: LiveServer, username: str) -> str:
    """Log in through the console's form; the session cookie it sets."""
    async with httpx.AsyncClient(base_url=live.url) as http:
        answer = await log_in(http, username)
        assert answer.status_code == 303, answer.text
        return str(http.cookies["salesagent_staff"])


def expected(settings: Settings, s3_server: str) -> dict[str, object]:
    if settings.storage_backend == "local":
        return {
            "backend": "local",
            "location": str(settings.storage_local_dir.resolve()),
            "endpoint": None,
        }
    return {
        "backend": settings.storage_backend,
        "location": settings.storage_bucket,
        "endpoint": s3_server,
    }


async def test_managers_and_api_keys_see_the_store_and_no_secret(
    live: LiveServer, store_settings: Settings, s3_server: str
) -> None:
    key = await api_key(live)
    # The console's cookie is scoped to /console, so a browser does not send it here; a client
    # that holds it (a script of the manager's) does.
    manager = await console_cookie(live, "gerente")
    async with httpx.AsyncClient(base_url=live.url) as http:
        by_bearer = await http.get(
            "/files/storage/info", headers={"Authorization": f"Bearer {key}"}
        )
        by_header = await http.get("/files/storage/info", headers={"X-API-Key": key})
        by_manager = await http.get(
            "/files/storage/info", headers={"Cookie": f"salesagent_staff={manager}"}
        )

    for answer in (by_bearer, by_header, by_manager):
        assert answer.status_code == 200, answer.text
        assert answer.json() == expected(store_settings, s3_server)
        for secret in (ACCESS_KEY, SECRET_KEY, SIGNING_KEY, key):
            assert secret not in answer.text


async def test_anyone_else_is_refused(live: LiveServer) -> None:
    agent = await console_cookie(live, "asesora")
    async with httpx.AsyncClient(base_url=live.url) as http:
        nobody = await http.get("/files/storage/info")
        wrong_key = await http.get(
            "/files/storage/info", headers={"Authorization": "Bearer sk_live_no-es-una-clave"}
        )
        forged_cookie = await http.get(
            "/files/storage/info", headers={"Cookie": "salesagent_staff=inventada"}
        )
        not_a_manager = await http.get(
            "/files/storage/info", headers={"Cookie": f"salesagent_staff={agent}"}
        )

    assert nobody.status_code == 401
    assert "API key" in nobody.json()["detail"]
    assert wrong_key.status_code == 401
    assert forged_cookie.status_code == 401
    assert not_a_manager.status_code == 403
    assert not_a_manager.json() == {"detail": "only managers can do this"}
