"""Staff accounts: scrypt hashes, sessions kept as hashes, and `salesagent staff` as a process;
`salesagent say --json` tells the owner and a null reply while a person has the chat."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fixtures.cli_process import cli_env, salesagent
from sqlalchemy.ext.asyncio import AsyncSession

from agent.errors import InvalidInputError
from agent.models import StaffRole, StaffSession
from agent.staff import (
    authenticate,
    close_session,
    create_staff,
    find_session,
    hash_password,
    open_session,
    verify_password,
)


def test_a_password_is_stored_as_scrypt_with_its_parameters_and_salt() -> None:
    stored = hash_password("una-clave-bien-larga")

    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**17), "8", "1")
    assert len(salt) >= 20 and len(digest) >= 40
    assert "una-clave" not in stored
    assert stored != hash_password("una-clave-bien-larga")  # a new salt each time
    assert verify_password("una-clave-bien-larga", stored)
    assert not verify_password("una-clave-bien-largA", stored)
    assert not verify_password("x", "not-a-hash")


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [
        ("ana", "corta", "password"),
        ("ana", "aaaaaaaaaaaa", "password"),
        ("a", "una-clave-bien-larga", "username"),
        ("ana gómez", "una-clave-bien-larga", "username"),
    ],
)
async def test_weak_passwords_and_odd_user_names_are_refused(
    session: AsyncSession, username: str, password: str, field: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        await create_staff(
            session, username=username, name="Ana", role=StaffRole.AGENT, password=password
        )
    assert refused.value.field == field


async def test_sessions_are_kept_as_hashes_and_end(session: AsyncSession) -> None:
    ana = await create_staff(
        session, username="Ana", name="Ana Gómez", role=StaffRole.AGENT, password="una-clave-12"
    )
    assert ana.username == "ana"
    assert await authenticate(session, "ANA ", "una-clave-12") is not None
    assert await authenticate(session, "ana", "otra-clave-12") is None
    assert await authenticate(session, "nadie", "una-clave-12") is None

    login = await open_session(session, ana, hours=1)
    row = await find_session(session, login.token)

    assert row is not None and row.staff.username == "ana" and row.csrf_token == login.csrf_token
    stored = (await session.get(StaffSession, row.id)).token_hash  # type: ignore[union-attr]
    assert login.token not in stored and len(stored) == 64
    assert await find_session(session, "x" * 43) is None
    await close_session(session, login.token)
    assert await find_session(session, login.token) is None


@pytest.fixture
def shop(tmp_path: Path, demo_template: Path) -> dict[str, str]:
    database = tmp_path / "shop.db"
    database.write_bytes(demo_template.read_bytes())
    return cli_env(f"sqlite:///{database}")


def test_staff_accounts_are_made_listed_and_disabled_on_the_command_line(
    shop: dict[str, str],
) -> None:
    made = salesagent(
        shop,
        "staff",
        "create",
        "marta",
        "--name",
        "Marta Ríos",
        "--role",
        "manager",
        "--password-stdin",
        stdin="una-clave-bien-larga\n",
    )
    assert made.returncode == 0, made.stderr
    assert "'marta' (Marta Ríos, manager) created" in made.stdout

    again = salesagent(
        shop,
        "staff",
        "create",
        "marta",
        "--name",
        "X",
        "--password-stdin",
        stdin="otra-clave-larga\n",
    )
    weak = salesagent(
        shop, "staff", "create", "luis", "--name", "Luis", "--password-stdin", stdin="123"
    )
    role = salesagent(shop, "staff", "create", "luis", "--name", "Luis", "--role", "boss")
    assert again.returncode == 1 and "taken" in again.stderr
    assert weak.returncode == 1 and "at least 10 characters" in weak.stderr
    assert role.returncode == 2

    listed = salesagent(shop, "staff", "list")
    assert listed.returncode == 0 and "marta" in listed.stdout and "manager" in listed.stdout
    database = shop["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        (stored,) = connection.execute("SELECT password_hash FROM staff").fetchone()
    assert stored.startswith("scrypt$") and "una-clave" not in stored

    assert salesagent(shop, "staff", "disable", "marta").returncode == 0
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT active FROM staff").fetchone() == (0,)
    changed = salesagent(
        shop, "staff", "password", "marta", "--password-stdin", stdin="otra-clave-larga\n"
    )
    assert changed.returncode == 0 and "sessions were closed" in changed.stdout


def test_say_json_carries_the_owner_and_no_reply_while_a_person_has_the_chat(
    shop: dict[str, str],
) -> None:
    moved = json.loads(salesagent(shop, "say", "--chat", "c9", "--json", "quiero un asesor").stdout)
    quiet = json.loads(salesagent(shop, "say", "--chat", "c9", "--json", "¿hola?").stdout)
    plain = salesagent(shop, "say", "--chat", "c9", "¿alguien?")

    assert moved["owner"] == "waiting_human" and "asesor" in moved["reply"]
    assert quiet["owner"] == "waiting_human" and quiet["reply"] is None
    assert "a person from the shop will answer" in plain.stdout
