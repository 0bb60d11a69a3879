"""The `salesagent` command line, run as a shop owner runs it: a real process per command."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from fixtures.cli_process import cli_env, salesagent
from fixtures.live_server import free_port

PURCHASE = [
    "hola",
    "necesito dos extintores multipropósito de 10 libras",
    "eso es todo",
    "1032456789",
    "Laura Restrepo",
    "3104567890",
    "Pereira",
    "Calle 19 # 8-34",
    "sí",
    "/salir",
]


@pytest.fixture
def shop(tmp_path: Path, demo_template: Path) -> dict[str, str]:
    """The environment of a shop whose database is a copy of the demo shop."""
    database = tmp_path / "shop.db"
    database.write_bytes(demo_template.read_bytes())
    return cli_env(f"sqlite:///{database}")


def query(env: dict[str, str], sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(env["DATABASE_URL"].removeprefix("sqlite:///")) as connection:
        return connection.execute(sql).fetchall()


def test_say_json_prints_the_turn(shop: dict[str, str]) -> None:
    done = salesagent(shop, "say", "--chat", "c1", "--json", "¿cuánto vale el casco dieléctrico?")

    assert done.returncode == 0, done.stderr
    turn = json.loads(done.stdout)
    assert turn["intent"] == "inventory.price"
    assert turn["products"][0]["sku"] == "CAS-II-E"
    assert turn["products"][0]["price"] == "95000.00"
    assert "$95.000" in turn["reply"]
    assert {"confidence", "sale_state", "order_id", "cart"} <= set(turn)


def test_say_with_the_same_message_id_answers_once(shop: dict[str, str]) -> None:
    first = salesagent(shop, "say", "--chat", "c1", "--message-id", "m-1", "--json", "hola")
    second = salesagent(shop, "say", "--chat", "c1", "--message-id", "m-1", "--json", "hola")

    assert json.loads(first.stdout) == json.loads(second.stdout)
    assert query(shop, "select count(*) from messages where direction = 'out'") == [(1,)]


def test_chat_buys_two_extinguishers_from_greeting_to_order(shop: dict[str, str]) -> None:
    (before,) = query(shop, "select stock from products where sku = 'EXT-PQS-10'")[0]

    done = salesagent(shop, "chat", "--chat", "terminal-1", stdin="\n".join(PURCHASE) + "\n")

    assert done.returncode == 0, done.stderr
    assert "¿Me regalas tu número de cédula?" in done.stdout
    assert "¿Confirmas el pedido?" in done.stdout and "$170.000" in done.stdout
    assert "quedó confirmado" in done.stdout
    orders = query(shop, "select id, total from orders where sale_id is not null")
    assert [float(total) for _, total in orders] == [170000.0]
    lines = query(shop, f"select sku, quantity from order_lines where order_id = {orders[0][0]}")
    assert lines == [("EXT-PQS-10", 2)]
    assert query(shop, "select stock from products where sku = 'EXT-PQS-10'") == [(before - 2,)]


def test_chat_survives_invalid_utf8_input(shop: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "agent", "chat"],
        env=shop,
        input=b"hola \xff\xfe extintor\n/salir\n",
        capture_output=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    assert "agente>" in done.stdout.decode()


def test_import_reports_bad_rows_and_imports_the_good_ones(
    shop: dict[str, str], tmp_path: Path
) -> None:
    catalog = tmp_path / "mine.csv"
    catalog.write_text(
        "sku,name,category,price,stock\n"
        "MY-1,Guante de nitrilo azul,Protección de manos,4500,100\n"
        "MY-2,,Protección de manos,xyz,10\n"
        "MY-3,Careta para esmerilar,Protección visual y facial,abc,5\n"
        "MY-4,Tapón auditivo reutilizable,Protección auditiva,1.800,300\n",
        encoding="utf-8",
    )

    done = salesagent(shop, "import", "products", str(catalog))
    again = salesagent(shop, "import", "products", str(catalog))

    assert done.returncode == 3, done.stderr  # some rows imported, some not
    assert "created 2, updated 0, unchanged 0, rows with errors 2" in done.stdout
    assert "line 3 (name)" in done.stdout and "line 3 (price)" in done.stdout  # one row, 2 faults
    assert "line 4 (price)" in done.stdout
    assert again.returncode == 3
    assert "created 0, updated 0, unchanged 2, rows with errors 2" in again.stdout
    imported = query(
        shop, "select sku, price, stock from products where sku like 'MY-%' order by sku"
    )
    assert [(sku, float(price), stock) for sku, price, stock in imported] == [
        ("MY-1", 4500.0, 100),
        ("MY-4", 1800.0, 300),
    ]


@pytest.mark.parametrize(
    ("rows", "code", "summary"),
    [
        pytest.param(
            ["MY-1,Guante de nitrilo azul,Protección de manos,4500,100"],
            0,
            "created 1, updated 0, unchanged 0, rows with errors 0",
            id="all-imported",
        ),
        pytest.param(
            ["MY-1,,Protección de manos,4500,100", "MY-2,Careta,Protección visual,abc,5"],
            1,
            "created 0, updated 0, unchanged 0, rows with errors 2",
            id="none-imported",
        ),
    ],
)
def test_import_exit_code_says_whether_every_row_was_imported(
    shop: dict[str, str], tmp_path: Path, rows: list[str], code: int, summary: str
) -> None:
    catalog = tmp_path / "mine.csv"
    catalog.write_text("sku,name,category,price,stock\n" + "\n".join(rows) + "\n", "utf-8")

    done = salesagent(shop, "import", "products", str(catalog))

    assert done.returncode == code, done.stderr
    assert summary in done.stdout


def test_db_upgrade_and_seed_demo_on_a_new_database(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}", "LOG_LEVEL": "WARNING"}

    assert salesagent(env, "db", "upgrade").returncode == 0
    seeded = salesagent(env, "seed", "demo")
    again = salesagent(env, "seed", "demo")

    assert seeded.returncode == 0 and again.returncode == 0, seeded.stderr + again.stderr
    assert seeded.stdout.startswith("demo shop: 204 products (204 new, 0 updated, 0 unchanged;")
    assert "8 customers and 15 past orders added, 0 errors" in seeded.stdout
    assert again.stdout.startswith("demo shop: 204 products (0 new, 0 updated, 204 unchanged;")
    assert "0 customers and 0 past orders added, 0 errors" in again.stdout
    (products,) = query(env, "select count(*) from products where active")[0]
    assert isinstance(products, int) and products >= 150
    assert query(env, "select count(*) from customers")[0][0] == 8


def test_an_unreadable_company_file_is_a_clear_error(shop: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "company.yaml"
    broken.write_text("name: Tienda\nhours: [not, a, mapping]\n", encoding="utf-8")

    done = salesagent({**shop, "COMPANY_FILE": str(broken)}, "say", "--chat", "c1", "hola")

    assert done.returncode == 1
    assert "company.yaml" in done.stderr and "Traceback" not in done.stderr


HALF_SET = [
    pytest.param(
        {"LLM_PROVIDER": "gemini"},
        "error: LLM_PROVIDER=gemini needs GOOGLE_API_KEY (an API key from Google AI Studio)",
        id="gemini-without-key",
    ),
    pytest.param(
        {"STORAGE_BACKEND": "s3", "STORAGE_BUCKET": "reports"},
        "error: STORAGE_BACKEND=s3 needs S3_ACCESS_KEY_ID",
        id="s3-without-keys",
    ),
    pytest.param(
        {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32},
        "error: WhatsApp is half configured: set TWILIO_AUTH_TOKEN, TWILIO_WHATSAPP_FROM "
        "(or unset every TWILIO_*)",
        id="half-of-twilio",
    ),
]


@pytest.mark.parametrize(("setting", "message"), HALF_SET)
def test_serve_refuses_a_wrong_setting_with_its_message_alone(
    shop: dict[str, str], setting: dict[str, str], message: str
) -> None:
    env = {**shop, **setting}

    done = salesagent(env, "serve", "--port", str(free_port()))
    debugged = salesagent(env, "--debug", "serve", "--port", str(free_port()))

    assert done.returncode == 3  # uvicorn's code for a start-up that failed
    assert done.stderr.splitlines() == [message]
    assert done.stdout == ""
    assert debugged.returncode == 3
    assert "Traceback (most recent call last)" in debugged.stderr
    assert message.removeprefix("error: ") in debugged.stderr


def test_a_setting_that_is_not_valid_is_named_without_a_traceback(shop: dict[str, str]) -> None:
    done = salesagent({**shop, "LLM_MODE": "sometimes"}, "say", "--chat", "c1", "hola")
    debugged = salesagent(
        {**shop, "LLM_MODE": "sometimes", "LOG_LEVEL": "DEBUG"}, "say", "--chat", "c1", "hola"
    )

    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "error: a setting is not valid: LLM_MODE: Input should be 'fallback' or 'always'"
    ]
    assert debugged.returncode == 1 and "Traceback (most recent call last)" in debugged.stderr


def serve_until_open(env: dict[str, str], port: int) -> list[str]:
    """Start `salesagent serve` in a process of its own, and stop it once it says it is open;
    the lines it printed."""
    env = {k: v for k, v in env.items() if k != "PYTHONUNBUFFERED"}  # as in a shop's terminal
    server = subprocess.Popen(
        [sys.executable, "-m", "agent", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdout is not None
    lines: list[str] = []
    watchdog = threading.Timer(90, server.kill)  # a server that never says it is open
    watchdog.start()
    try:
        for line in server.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl+C"):
                assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
                return lines
    finally:
        watchdog.cancel()
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    pytest.fail(f"serve did not say it was open: {lines}")


def test_serve_prints_the_addresses_and_how_to_make_the_first_manager(
    shop: dict[str, str],
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    first = serve_until_open(shop, port)
    made = salesagent(
        shop, "staff", "create", "admin", "--name", "Dueña", "--role", "manager",
        "--password-stdin", stdin="una clave larga\n",
    )  # fmt: skip
    again = serve_until_open(shop, port)

    assert first[0] == f"Extintores y Seguridad Industrial del Risaralda is open at {base}"
    assert f"  chat widget (demo page)  {base}/" in first
    assert f"  staff console            {base}/console" in first
    assert f"  dashboard (managers)     {base}/console/dashboard" in first
    assert f"  API documentation        {base}/docs  (or {base}/redoc)" in first
    assert '  python -m agent staff create admin --name "Your name" --role manager' in first
    assert made.returncode == 0, made.stderr
    assert not any("staff create" in line for line in again)
    assert again[:5] == first[:5]


def test_the_terminal_shows_bold_as_bold_without_the_stars(shop: dict[str, str]) -> None:
    plain = salesagent(shop, "say", "--chat", "c1", "hola")
    colour = salesagent({**shop, "FORCE_COLOR": "1"}, "say", "--chat", "c2", "hola")

    assert "asistente virtual de Extintores y Seguridad Industrial del Risaralda." in plain.stdout
    assert "*" not in plain.stdout
    assert "\x1b[1mExtintores y Seguridad Industrial del Risaralda\x1b[0m." in colour.stdout


@pytest.mark.parametrize(
    ("more", "named"),
    [
        ({}, "TASK_QUEUE=postgres"),
        ({"TASK_QUEUE": "postgres"}, "REDIS_URL"),
        ({"TASK_QUEUE": "postgres", "REDIS_URL": "redis://127.0.0.1:6379/0"}, "DATABASE_URL"),
    ],
)
def test_worker_names_what_it_needs(shop: dict[str, str], more: dict[str, str], named: str) -> None:
    done = salesagent({**shop, **more}, "worker")

    assert done.returncode == 1
    assert named in done.stderr and "Traceback" not in done.stderr
