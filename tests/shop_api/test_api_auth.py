"""API keys as a shop uses them: made and revoked with the CLI, sent over real HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fixtures.api_keys import new_key
from fixtures.cli_process import cli_env, salesagent
from fixtures.live_server import serving

from agent.settings import Settings


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `salesagent ARGS` as a process on the test's database."""
    return salesagent(cli_env(settings.database_url), *args)


def rows(settings: Settings, sql: str) -> list[tuple[object, ...]]:
    path = settings.database_url.split(":///", 1)[1]
    with sqlite3.connect(path) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture
async def base_url(demo_settings: Settings) -> AsyncIterator[str]:
    async with serving(demo_settings) as live:
        yield live.url


@pytest.mark.parametrize(
    ("headers", "challenge"),
    [
        ({}, 'Bearer realm="salesagent"'),
        ({"Authorization": "Bearer sk_live_not-a-real-key"}, 'error="invalid_token"'),
        ({"Authorization": "Bearer"}, 'Bearer realm="salesagent"'),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 'Bearer realm="salesagent"'),
        ({"X-API-Key": "guessed"}, 'error="invalid_token"'),
    ],
)
async def test_requests_without_a_valid_key_get_401(
    base_url: str, demo_settings: Settings, headers: dict[str, str], challenge: str
) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        refused = await http.get("/api/v1/products", headers=headers)

        assert refused.status_code == 401
        assert challenge in refused.headers["www-authenticate"]
        assert "API key" in refused.json()["detail"]
        assert "items" not in refused.json()

        key = await new_key(demo_settings)
        accepted = await http.get("/api/v1/products", headers={"Authorization": f"Bearer {key}"})
        assert accepted.status_code == 200
        assert accepted.json()["items"]


async def test_a_key_made_with_the_cli_works_until_it_is_revoked(
    base_url: str, demo_settings: Settings
) -> None:
    created = await asyncio.to_thread(cli, demo_settings, "apikey", "create", "erp")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("sk_live_") and len(key) == len("sk_live_") + 32
    assert "cannot be shown again" in created.stderr

    async with httpx.AsyncClient(base_url=base_url) as http:
        by_bearer = await http.get(
            "/api/v1/products/EXT-PQS-10", headers={"Authorization": f"Bearer {key}"}
        )
        by_header = await http.get("/api/v1/orders", headers={"X-API-Key": key})
        assert by_bearer.status_code == 200 and by_bearer.json()["sku"] == "EXT-PQS-10"
        assert by_header.status_code == 200

        listed = await asyncio.to_thread(cli, demo_settings, "apikey", "list")
        assert listed.returncode == 0, listed.stderr
        assert "erp" in listed.stdout and key[:14] in listed.stdout
        assert key not in listed.stdout  # the key itself is never shown again
        assert listed.stdout.count("UTC") == 2  # created, and last used

        revoked = await asyncio.to_thread(cli, demo_settings, "apikey", "revoke", key[:14])
        assert revoked.returncode == 0, revoked.stderr
        assert "revoked" in revoked.stdout

        refused = await http.get("/api/v1/orders", headers={"Authorization": f"Bearer {key}"})
        assert refused.status_code == 401
        assert 'error="invalid_token"' in refused.headers["www-authenticate"]


def test_the_database_holds_only_the_hash_of_a_key(demo_settings: Settings) -> None:
    created = cli(demo_settings, "apikey", "create", "pos")
    key = created.stdout.strip()

    ((name, prefix, key_hash),) = rows(demo_settings, "select name, prefix, key_hash from api_keys")
    assert name == "pos"
    assert key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(prefix) and len(prefix) < len(key) // 2
    database = Path(demo_settings.database_url.split(":///", 1)[1])
    stored = b"".join(
        p.read_bytes() for p in database.parent.glob(database.name + "*") if p.is_file()
    )
    assert key.encode() not in stored


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("apikey", "revoke", "999"), "no API key has the id or prefix '999'"),
        (("apikey", "create", "  "), "a key needs a name"),
    ],
)
def test_cli_mistakes_are_explained(
    demo_settings: Settings, args: tuple[str, ...], message: str
) -> None:
    done = cli(demo_settings, *args)

    assert done.returncode == 1
    assert message in done.stderr


def test_listing_with_no_keys_says_how_to_make_one(demo_settings: Settings) -> None:
    done = cli(demo_settings, "apikey", "list")

    assert done.returncode == 0
    assert "salesagent apikey create" in done.stdout


async def test_last_use_is_written_at_most_once_a_minute(
    base_url: str, demo_settings: Settings
) -> None:
    key = await new_key(demo_settings)
    never = rows(demo_settings, "select last_used_at from api_keys")
    async with httpx.AsyncClient(base_url=base_url, headers={"X-API-Key": key}) as http:
        await http.get("/api/v1/customers")
        first = rows(demo_settings, "select last_used_at from api_keys")
        for _ in range(5):
            assert (await http.get("/api/v1/customers")).status_code == 200
        later = rows(demo_settings, "select last_used_at from api_keys")

    assert never == [(None,)]
    assert first[0][0] is not None
    assert later == first  # no write per request


async def test_an_address_that_sends_wrong_keys_is_slowed_down(demo_settings: Settings) -> None:
    key = await new_key(demo_settings)
    settings = demo_settings.model_copy(
        update={"api_key_failures_burst": 3, "api_key_failures_per_minute": 2}
    )
    async with serving(settings) as live, httpx.AsyncClient(base_url=live.url) as http:
        good = {"Authorization": f"Bearer {key}"}
        assert (await http.get("/api/v1/products", headers=good)).status_code == 200
        wrong = [
            await http.get("/api/v1/products", headers={"X-API-Key": f"guess-{n}"})
            for n in range(4)
        ]
        after = await http.get("/api/v1/products", headers=good)
        report = await http.get("/exports/jobs/x", headers={"X-API-Key": "guess-again"})

    assert [r.status_code for r in wrong] == [401, 401, 401, 429]
    assert int(wrong[-1].headers["retry-after"]) >= 1
    assert "wrong API keys" in wrong[-1].json()["detail"]
    # While it waits, no key from the address is checked, the right one neither.
    assert after.status_code == 429 and report.status_code == 429
