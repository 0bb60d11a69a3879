"""`salesagent shop`, run as the deployment's owner runs it: a real process per command."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.cli_process import cli_env, salesagent


@pytest.fixture
def deployment(tmp_path: Path) -> dict[str, str]:
    """The environment of a deployment with an empty database."""
    return cli_env(f"sqlite:///{tmp_path / 'shops.db'}", COLUMNS="200", SHOP_NAME="Tienda Uno")


def test_create_list_show_and_connect(deployment: dict[str, str]) -> None:
    listed = salesagent(deployment, "shop", "list")
    assert listed.returncode == 0, listed.stderr
    assert "default" in listed.stdout and "Tienda Uno" in listed.stdout

    made = salesagent(deployment, "shop", "create", "norte", "--name", "Norte", "--currency", "usd")
    assert made.returncode == 0, made.stderr
    assert "shop 2 'norte' (Norte) created" in made.stdout

    joined = salesagent(
        deployment,
        "shop",
        "connect",
        "norte",
        "--whatsapp",
        "whatsapp:+1 555 000 2222",
        "--widget-key",
        "wk-norte",
        "--widget-origin",
        "https://norte.example",
    )
    assert joined.returncode == 0, joined.stderr
    assert "whatsapp +15550002222 is shop 'norte''s" in joined.stdout

    shown = salesagent(deployment, "shop", "show", "2")
    assert shown.returncode == 0, shown.stderr
    for line in (
        "shop 2 'norte': Norte",
        "currency: USD",
        "language: es (deployment)",
        "whatsapp: +15550002222",
        "web: wk-norte (sites: https://norte.example)",
    ):
        assert line in shown.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "Bad Slug", "--name", "x"], "a slug is lower-case letters"),
        (["create", "default", "--name", "x"], "a shop 'default' exists already"),
        (["show", "nowhere"], "no shop 'nowhere'"),
        (["connect", "default"], "say what to connect"),
    ],
)
def test_a_wrong_command_says_what_is_wrong(
    deployment: dict[str, str], args: list[str], message: str
) -> None:
    done = salesagent(deployment, "shop", *args)
    assert done.returncode == 1
    assert message in " ".join(done.stderr.split())


def test_an_endpoint_belongs_to_one_shop(deployment: dict[str, str]) -> None:
    assert salesagent(deployment, "shop", "create", "norte", "--name", "Norte").returncode == 0
    assert salesagent(deployment, "shop", "connect", "norte", "--whatsapp", "+1555").returncode == 0
    taken = salesagent(deployment, "shop", "connect", "default", "--whatsapp", "+1555")
    assert taken.returncode == 1
    assert "whatsapp +1555 belongs to shop 2" in taken.stderr


def test_keys_and_staff_made_for_a_shop_are_its_own(deployment: dict[str, str]) -> None:
    assert salesagent(deployment, "shop", "create", "norte", "--name", "Norte").returncode == 0
    made = salesagent(deployment, "apikey", "create", "erp-norte", "--shop", "norte")
    assert made.returncode == 0, made.stderr
    staff = salesagent(
        deployment,
        "staff",
        "create",
        "nora",
        "--name",
        "Nora",
        "--shop",
        "norte",
        "--password-stdin",
        stdin="una-clave-bien-larga\n",
    )
    assert staff.returncode == 0, staff.stderr
    keys = salesagent(deployment, "apikey", "list")
    people = salesagent(deployment, "staff", "list")
    assert "erp-norte" not in keys.stdout  # the default shop's keys
    assert "nora" not in people.stdout
    missing = salesagent(deployment, "apikey", "create", "x", "--shop", "sur")
    assert missing.returncode == 1 and "no shop 'sur'" in missing.stderr
