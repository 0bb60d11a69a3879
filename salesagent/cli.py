"""The `salesagent` command line (also `python -m agent`)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text
from sqlalchemy.ext.asyncio import AsyncSession

from agent.errors import SalesAgentError
from agent.messages import InboundMessage, TurnResult
from agent.settings import Settings, get_settings
from agent.voice.cli import voice_app
from channels.odoo_livechat.quotations import PushState
from salesagent.kb_cli import kb_app
from salesagent.runtime import Runtime
from salesagent.shop_cli import shop_app
from salesagent.telegram_cli import telegram_app

if TYPE_CHECKING:
    from exports.finetune.dataset import FinetuneOptions

app = typer.Typer(
    help="salesagent: a conversational sales agent that sells from your real inventory.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
seed_app = typer.Typer(help="Load data.", no_args_is_help=True)
import_app = typer.Typer(help="Import a shop's own data.", no_args_is_help=True)
apikey_app = typer.Typer(help="Keys for the shop's REST API.", no_args_is_help=True)
odoo_app = typer.Typer(
    help="Odoo: products from Odoo, orders pushed as quotations.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(seed_app, name="seed")
app.add_typer(import_app, name="import")
app.add_typer(apikey_app, name="apikey")
app.add_typer(telegram_app, name="telegram")
app.add_typer(odoo_app, name="odoo")
staff_app = typer.Typer(help="Staff accounts for the console (/console).", no_args_is_help=True)
app.add_typer(staff_app, name="staff")
outbox_app = typer.Typer(
    help="Replies not delivered yet (a channel down) or given up.", no_args_is_help=True
)
app.add_typer(outbox_app, name="outbox")
app.add_typer(voice_app, name="voice")
app.add_typer(kb_app, name="kb")
app.add_typer(shop_app, name="shop")

console = Console()
errors = Console(stderr=True)
T = TypeVar("T")

CLI_CHANNEL = "cli"


@app.callback()
def options(
    debug: Annotated[
        bool, typer.Option("--debug", help="Log everything and show errors' tracebacks.")
    ] = False,
) -> None:
    """salesagent: a conversational sales agent that sells from your real inventory."""
    if debug:  # the same as LOG_LEVEL=DEBUG, which the settings read
        os.environ["LOG_LEVEL"] = "DEBUG"


def _debugging() -> bool:
    """Whether errors show their traceback: `--debug` or LOG_LEVEL=DEBUG."""
    try:
        level = get_settings().log_level
    except ValidationError:  # the settings are what failed: the environment alone says
        level = os.environ.get("LOG_LEVEL", "")
    return level.upper() == "DEBUG"


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    # Each migration step is news only when something goes wrong.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.root.level))


def _run(work: Callable[[Settings], Coroutine[Any, Any, T]]) -> T:
    """Run an async command (its product errors are printed by `main`)."""
    settings = get_settings()
    _configure_logging(settings)
    return asyncio.run(work(settings))


async def _with_runtime(settings: Settings, work: Callable[[Runtime], Coroutine[Any, Any, T]]) -> T:
    async with await Runtime.start(settings) as runtime:
        return await work(runtime)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Migrate, seed the demo shop on first start, and serve the HTTP API."""
    import uvicorn

    from salesagent.app import create_app
    from salesagent.serving import ShopServer

    settings = get_settings()
    _configure_logging(settings)
    shop = create_app(settings)
    server = ShopServer(
        uvicorn.Config(
            shop,
            host=host or settings.host,
            port=port or settings.port,
            log_level=settings.log_level.lower(),
            # X-Forwarded-For/-Proto are believed only from the proxies FORWARDED_ALLOW_IPS names.
            proxy_headers=bool(settings.forwarded_allow_ips),
            forwarded_allow_ips=settings.forwarded_allow_ips or None,
        ),
        announce=_announce,
        tracebacks=_debugging(),
    )
    try:
        server.run()
    except SystemExit as stop:  # uvicorn's code 3: the app refused to start, or the port is taken
        if server.refused is not None:
            errors.print(f"[red]error:[/red] {server.refused}", highlight=False, soft_wrap=True)
        raise typer.Exit(stop.code if isinstance(stop.code, int) else 1) from None


@app.command()
def worker(
    name: Annotated[str, typer.Option(help="This worker's name in the logs.")] = "worker",
) -> None:
    """Run queued turns, deliveries, exports and the schedule (TASK_QUEUE=postgres)."""
    from salesagent.worker import work

    async def run(settings: Settings) -> None:
        await _with_runtime(settings, lambda runtime: work(runtime, name=name))

    _run(run)


def _announce(text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True)
    console.file.flush()  # seen at once even when the output goes to a pipe or a log


@app.command()
def chat(
    chat_id: Annotated[
        str | None, typer.Option("--chat", help="Continue this chat id (default: a new one).")
    ] = None,
) -> None:
    """Chat with the agent in the terminal, through the same pipeline as every channel."""
    chat_id = chat_id or f"terminal-{uuid.uuid4().hex[:8]}"

    async def work(runtime: Runtime) -> None:
        console.print(f"[dim]chat {chat_id} · /exit to leave[/dim]")
        while True:
            try:
                line = await asyncio.to_thread(_read_line, "[bold]tú>[/bold] ")
            except EOFError:
                return
            if line.strip() in ("/exit", "/salir", "/quit"):
                return
            if not line.strip():
                continue
            result = await runtime.engine.handle(_inbound(chat_id, line))
            _print_reply(result)

    _run(lambda settings: _with_runtime(settings, work))


def _read_line(prompt: str) -> str:
    console.print(prompt, end="")
    raw = sys.stdin.buffer.readline()
    if not raw:
        raise EOFError
    return raw.decode("utf-8", errors="replace").rstrip("\r\n")


def _print_reply(result: TurnResult) -> None:
    if result.reply is None:
        console.print("[dim](a person from the shop will answer)[/dim]")
        return
    console.print("[bold green]agente>[/bold green] ", end="")
    # The reply is the customer's and the shop's text: never Rich markup, never re-wrapped.
    console.print(_styled(result.reply), highlight=False, soft_wrap=True)


_BOLD = re.compile(r"\*([^*\n]+)\*")


def _styled(reply: str) -> Text:
    """The reply as a terminal shows it: its WhatsApp-style `*bold*` in bold (plain text, without
    the stars, when the output is not a terminal)."""
    styled = Text()
    shown = 0
    for bold in _BOLD.finditer(reply):
        styled.append(reply[shown : bold.start()])
        styled.append(bold.group(1), style="bold")
        shown = bold.end()
    styled.append(reply[shown:])
    return styled


def _inbound(chat_id: str, text: str, message_id: str | None = None) -> InboundMessage:
    return InboundMessage(
        channel=CLI_CHANNEL,
        external_message_id=message_id or uuid.uuid4().hex,
        external_chat_id=chat_id,
        text=text,
        sender=chat_id,
    )


@app.command()
def say(
    text: Annotated[str, typer.Argument(help="What the customer says.")],
    chat_id: Annotated[str, typer.Option("--chat", help="The chat id of the conversation.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole turn as JSON.")] = False,
    message_id: Annotated[
        str | None, typer.Option(help="The message's id; the same id twice is answered once.")
    ] = None,
) -> None:
    """Send one message and print the reply."""

    async def work(runtime: Runtime) -> TurnResult:
        return await runtime.engine.handle(_inbound(chat_id, text, message_id))

    result = _run(lambda settings: _with_runtime(settings, work))
    if as_json:
        print(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        _print_reply(result)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the newest migration."""
    from agent.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    console.print(f"database at the newest schema ({_safe_url(settings.database_url)})")


def _safe_url(url: str) -> str:
    """The URL without its password."""
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"


@seed_app.command("demo")
def seed_demo() -> None:
    """Load the demo shop (catalog, company, customers with past orders); safe to repeat."""
    from agent.db import create_engine, create_sessionmaker
    from agent.migrate import upgrade_async
    from agent.seed import seed_demo as seed

    async def work(settings: Settings) -> None:
        await upgrade_async(settings.database_url)
        db = create_engine(settings.database_url)
        try:
            report = await seed(create_sessionmaker(db))
        finally:
            await db.dispose()
        console.print(str(report), highlight=False, soft_wrap=True)

    _run(work)


IMPORT_PARTLY = 3
"""`import products`' exit code when some rows were imported and others had errors."""


@import_app.command("products")
def import_products(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A catalog CSV.")],
) -> None:
    """Import (create or update by SKU) the products of a CSV; bad rows are reported.
    Exit code 0: every row imported; 3: some rows had errors (the rest were imported);
    1: nothing imported (the file or every row is wrong); 2: a wrong command line."""
    from agent.catalog.importer import import_products as run_import
    from agent.db import create_engine, create_sessionmaker, transaction
    from agent.migrate import upgrade_async

    async def work(settings: Settings) -> int:
        await upgrade_async(settings.database_url)
        db = create_engine(settings.database_url)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        try:
            with Progress(*columns, console=errors) as progress:
                task = progress.add_task(f"importing {file.name}", total=None)

                def advance(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)

                async with transaction(create_sessionmaker(db)) as session:
                    report = await run_import(session, file, progress=advance)
        finally:
            await db.dispose()
        failed = len({error.row for error in report.errors})  # a row can have several
        console.print(
            f"created {report.created}, updated {report.updated}, "
            f"unchanged {report.unchanged}, rows with errors {failed}"
        )
        for error in report.errors:
            where = f" ({error.field})" if error.field else ""
            console.print(f"  line {error.row}{where}: {error.message}", highlight=False)
        if not failed:
            return 0
        return IMPORT_PARTLY if report.imported else 1

    code = _run(work)
    if code:
        raise typer.Exit(code)


@app.command("eval")
def evaluate(
    file: Annotated[
        Path, typer.Argument(exists=True, help="Labelled utterances (.jsonl) or conversations.")
    ],
    provider: Annotated[
        str | None,
        typer.Option(help="offline, gemini or ollama (default: LLM_PROVIDER); adds model calls."),
    ] = None,
    holdout: Annotated[
        bool,
        typer.Option(
            "--holdout",
            help="FILE is a holdout folder in the v2 format (utterances.jsonl with `lang`, "
            "conversations.yaml with `expect`): per-language scores and turns right.",
        ),
    ] = False,
) -> None:
    """Score the understanding on labelled utterances, or run scripted conversations."""
    from salesagent.eval_runner import run_eval

    async def work(settings: Settings) -> bool:
        report, passed = await run_eval(settings, file, provider=provider, holdout=holdout)
        console.print(report, highlight=False)
        return passed

    if not _run(work):
        raise typer.Exit(1)


async def _with_sessions(
    settings: Settings, work: Callable[[AsyncSession], Coroutine[Any, Any, T]]
) -> T:
    """Migrate, then run `work` in a session on the database (no runtime, no seeding)."""
    from agent.db import create_engine, create_sessionmaker
    from agent.migrate import upgrade_async

    await upgrade_async(settings.database_url)
    db = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(db)() as session:
            return await work(session)
    finally:
        await db.dispose()


def _in_session(work: Callable[[AsyncSession], Coroutine[Any, Any, T]]) -> T:
    """Run `work` as `_run` does, in a session on the migrated database."""
    return _run(lambda settings: _with_sessions(settings, work))


ShopOption = Annotated[
    str | None, typer.Option("--shop", help="The shop's slug or id (default: the default shop).")
]


def _shop_id(shop: str | None) -> int:
    """The id of the shop a command works for (README "Shops")."""
    from agent.shops.current import DEFAULT_SHOP_ID
    from agent.shops.directory import find_shop

    if shop is None:
        return DEFAULT_SHOP_ID
    return _in_session(lambda s: find_shop(s, shop)).id


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Argument(help="Who or what uses the key (e.g. 'erp').")],
    shop: ShopOption = None,
) -> None:
    """Create a key and print it once: only its SHA-256 is stored."""
    from agent.api_keys import create_key
    from agent.shops.current import shop_scope

    with shop_scope(_shop_id(shop)):
        row, key = _in_session(lambda s: create_key(s, name=name))
    print(key)
    errors.print(
        f"key {row.id} ({row.prefix}…) created for {row.name!r}. Copy it now: "
        "it cannot be shown again.",
        highlight=False,
        soft_wrap=True,
    )


@apikey_app.command("list")
def apikey_list() -> None:
    """List the keys: id, prefix, name, created, last used, revoked."""
    from rich.table import Table

    from agent.api_keys import list_keys

    rows = _in_session(list_keys)
    if not rows:
        console.print("no API keys yet: create one with `salesagent apikey create NAME`")
        return
    table = Table("id", "prefix", "name", "created", "last used", "revoked")
    for row in rows:
        table.add_row(
            str(row.id),
            f"{row.prefix}…",
            row.name,
            _when(row.created_at),
            _when(row.last_used_at),
            _when(row.revoked_at),
        )
    console.print(table)


@apikey_app.command("revoke")
def apikey_revoke(
    id_or_prefix: Annotated[str, typer.Argument(help="The key's id or its prefix.")],
) -> None:
    """Revoke a key: requests with it are refused from now on."""
    from agent.api_keys import revoke_key

    row = _in_session(lambda s: revoke_key(s, id_or_prefix=id_or_prefix))
    console.print(
        f"key {row.id} ({row.prefix}…, {row.name!r}) revoked at {_when(row.revoked_at)}",
        highlight=False,
    )


@odoo_app.command("sync-products")
def odoo_sync_products() -> None:
    """Import Odoo's sellable products into the catalog (create or update by SKU)."""
    from agent.db import create_engine, create_sessionmaker
    from agent.migrate import upgrade_async
    from channels.odoo_livechat.catalog_sync import sync_products
    from channels.odoo_livechat.client import OdooClient
    from channels.odoo_livechat.config import OdooConfig

    async def work(settings: Settings) -> int:
        client = OdooClient(OdooConfig.from_settings(settings))
        await upgrade_async(settings.database_url)
        db = create_engine(settings.database_url)
        try:
            report = await sync_products(client, create_sessionmaker(db))
        finally:
            await db.dispose()
            await client.close()
        console.print(
            f"{report.rows} Odoo products: created {report.created}, updated {report.updated}, "
            f"unchanged {report.unchanged}, with errors {len(report.errors)}"
        )
        for error in report.errors:
            console.print(f"  product {error}", highlight=False)
        return 1 if report.errors and not report.imported else 0

    if _run(work):
        raise typer.Exit(1)


@odoo_app.command("status")
def odoo_status(
    limit: Annotated[int, typer.Option(help="How many of the newest orders to show.")] = 20,
) -> None:
    """Whether the agent can work with Odoo (key, database, rights), then the quotations."""
    from agent.errors import ConfigurationError
    from channels.odoo_livechat.client import OdooClient
    from channels.odoo_livechat.config import OdooConfig
    from channels.odoo_livechat.quotations import push_states
    from channels.odoo_livechat.rights import OdooCheck, check_odoo

    async def check(settings: Settings) -> OdooCheck | None:
        try:
            client = OdooClient(OdooConfig.from_settings(settings))
        except ConfigurationError as err:
            console.print(f"Odoo is not set up: {err}", highlight=False, soft_wrap=True)
            return None
        try:
            return await check_odoo(client, leads=settings.odoo_push_leads)
        finally:
            await client.close()

    checked = _run(check)
    if checked is not None:
        console.print(checked.sentence, highlight=False, soft_wrap=True)
    states = _in_session(lambda s: push_states(s, limit=limit))
    if not states:
        console.print("no order has been queued for Odoo yet (ODOO_PUSH_ORDERS)")
    else:
        _print_push_states(states)
    if checked is not None and not checked.ok:
        raise typer.Exit(1)


def _print_push_states(states: list[PushState]) -> None:
    """The orders queued for Odoo as a table."""
    from rich.table import Table

    table = Table("order", "created", "status", "Odoo", "attempts", "last error")
    for state in states:
        table.add_row(
            f"#{state.order_id}",
            _when(state.created_at),
            state.status,
            state.reference or "-",
            str(state.attempts),
            state.error or "",
        )
    console.print(table)


@odoo_app.command("retry-failed")
def odoo_retry_failed() -> None:
    """Push again the quotations that gave up (after fixing the cause in Odoo)."""
    from agent.i18n import count
    from channels.odoo_livechat.quotations import retry_failed

    async def work(session: AsyncSession) -> int:
        due = await retry_failed(session)
        await session.commit()
        return due

    due = count(_in_session(work), "quotation push is", "quotation pushes are")
    console.print(f"{due} due again; a running server sends them now")


@outbox_app.command("list")
def outbox_list(
    limit: Annotated[int, typer.Option(help="How many of the newest to show.")] = 50,
) -> None:
    """Replies retried after a failure, or given up: id, channel, chat, status, last error."""
    from rich.table import Table

    from agent.undelivered import undelivered

    rows = _in_session(lambda s: undelivered(s, limit=limit))
    if not rows:
        console.print("every reply was delivered")
        return
    table = Table("id", "channel", "chat", "written", "status", "attempts", "next", "last error")
    for row in rows:
        table.add_row(
            str(row.outbox_id),
            row.channel,
            row.external_chat_id,
            _when(row.created_at),
            "given up" if row.next_attempt_at is None else "retrying",
            str(row.attempts),
            _when(row.next_attempt_at),
            row.last_error or "",
        )
    console.print(table)


@outbox_app.command("retry")
def outbox_retry(
    ids: Annotated[list[int], typer.Argument(help="The replies' ids (`salesagent outbox list`).")],
) -> None:
    """Try these replies again now (a running server sends them, in order per chat)."""
    from agent.undelivered import retry

    async def work(session: AsyncSession) -> list[int]:
        done = await retry(session, ids)
        await session.commit()
        return done

    done = _in_session(work)
    _report(ids, done, "due again; a running server sends them now")


@outbox_app.command("give-up")
def outbox_give_up(
    ids: Annotated[list[int], typer.Argument(help="The replies' ids (`salesagent outbox list`).")],
) -> None:
    """Stop retrying these replies: someone follows the customer up instead."""
    from agent.undelivered import give_up

    async def work(session: AsyncSession) -> list[int]:
        done = await give_up(session, ids, by="salesagent outbox give-up")
        await session.commit()
        return done

    done = _in_session(work)
    _report(ids, done, "given up")


def _report(asked: list[int], done: list[int], what: str) -> None:
    """Say which replies were changed, and which not (unknown, or not in a state for it)."""
    if done:
        console.print(f"{', '.join(map(str, done))}: {what}", highlight=False)
    left = [outbox_id for outbox_id in asked if outbox_id not in done]
    if left:
        errors.print(
            f"{', '.join(map(str, left))}: not changed (delivered, already given up, or unknown)",
            highlight=False,
        )
        raise typer.Exit(1)


def _password(from_stdin: bool) -> str:
    """A new password: one line of standard input, or typed twice at a hidden prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


@staff_app.command("create")
def staff_create(
    username: Annotated[str, typer.Argument(help="The login name (a-z, 0-9, . _ -).")],
    name: Annotated[str, typer.Option(help="The name customers and colleagues see.")],
    role: Annotated[str, typer.Option(help="agent, or manager (reports and reassigning).")] = (
        "agent"
    ),
    password_stdin: PasswordStdin = False,
    shop: ShopOption = None,
) -> None:
    """Create a console account; the password is asked for (at least 10 characters)."""
    from agent.models import StaffRole
    from agent.shops.current import shop_scope
    from agent.staff import create_staff

    if role not in ("agent", "manager"):
        errors.print("[red]error:[/red] --role is agent or manager")
        raise typer.Exit(2)
    password = _password(password_stdin)
    with shop_scope(_shop_id(shop)):
        row = _in_session(
            lambda s: create_staff(
                s, username=username, name=name, role=StaffRole(role), password=password
            )
        )
    console.print(
        f"staff account {row.username!r} ({row.name}, {row.role.value}) created; "
        "log in at /console",
        highlight=False,
    )


@staff_app.command("list")
def staff_list() -> None:
    """List the console accounts: user name, name, role, active, last login."""
    from rich.table import Table

    from agent.staff import list_staff

    rows = _in_session(list_staff)
    if not rows:
        console.print("no staff accounts yet: create one with `salesagent staff create USERNAME`")
        return
    table = Table("id", "username", "name", "role", "active", "created", "last login")
    for row in rows:
        table.add_row(
            str(row.id),
            row.username,
            row.name,
            row.role.value,
            "yes" if row.active else "no",
            _when(row.created_at),
            _when(row.last_login_at),
        )
    console.print(table)


@staff_app.command("password")
def staff_password(
    username: Annotated[str, typer.Argument(help="The account's login name.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a new password; the account's open sessions end."""
    from agent.staff import set_password

    password = _password(password_stdin)
    row = _in_session(lambda s: set_password(s, username, password))
    console.print(f"password of {row.username!r} changed; its sessions were closed")


@staff_app.command("disable")
def staff_disable(
    username: Annotated[str, typer.Argument(help="The account's login name.")],
) -> None:
    """Stop an account from logging in (its sessions end); `enable` undoes it."""
    from agent.staff import set_active

    row = _in_session(lambda s: set_active(s, username, False))
    console.print(f"{row.username!r} disabled")


@staff_app.command("enable")
def staff_enable(
    username: Annotated[str, typer.Argument(help="The account's login name.")],
) -> None:
    """Let a disabled account log in again."""
    from agent.staff import set_active

    row = _in_session(lambda s: set_active(s, username, True))
    console.print(f"{row.username!r} enabled")


DAY = {"formats": ["%Y-%m-%d"], "metavar": "YYYY-MM-DD", "show_default": False}


@app.command("export")
def export(
    kind: Annotated[
        str,
        typer.Argument(
            help="inventory, customers, sales, conversations, messages, leads, full (ZIP), or "
            "finetune (chat tuning files in a folder)."
        ),
    ],
    date_from: Annotated[
        datetime | None, typer.Option("--from", help="First day, in SHOP_TIMEZONE.", **DAY)
    ] = None,
    date_to: Annotated[
        datetime | None, typer.Option("--to", help="Last day (included).", **DAY)
    ] = None,
    channel: Annotated[str | None, typer.Option(help="Only this channel (e.g. whatsapp).")] = None,
    state: Annotated[
        str | None, typer.Option(help="Only this order status or conversation outcome.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(dir_okay=False, help="Also copy the file here.")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option(file_okay=False, help="finetune: the folder to write to.")
    ] = None,
    closed_only: Annotated[
        bool, typer.Option(help="finetune: only conversations that ended in an order.")
    ] = False,
    uncorrected_only: Annotated[
        bool, typer.Option(help="finetune: cut each conversation before a reply staff corrected.")
    ] = False,
    valid_ratio: Annotated[
        float | None, typer.Option(help="finetune: share of conversations in valid.jsonl [0.1].")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="finetune: seed of the split [0].")] = None,
    system: Annotated[
        str | None, typer.Option(help="finetune: a system instruction for every example.")
    ] = None,
) -> None:
    """Write a report to the file store as a job (no server needed), with a progress bar;
    print its rows, size, time, key and download link. `finetune` writes tuning files to a
    folder instead and prints what it left out. Bad input exits with code 2."""
    import time

    from agent.db import create_engine, create_sessionmaker
    from agent.errors import InvalidInputError
    from agent.i18n import count
    from agent.migrate import upgrade_async
    from agent.models import ExportStatus
    from exports.filters import ExportFilters
    from exports.jobs import ExportJobs
    from exports.reports import check_filters, count_rows
    from storage.factory import build_storage

    filters = ExportFilters(
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
        channel=channel or None,
        state=state or None,
    )
    tuning = {
        "--out-dir": out_dir,
        "--closed-only": closed_only or None,
        "--uncorrected-only": uncorrected_only or None,
        "--valid-ratio": valid_ratio,
        "--seed": seed,
        "--system": system,
    }
    if kind == "finetune":
        from exports.finetune.dataset import FinetuneOptions

        options = FinetuneOptions(
            filters=filters,
            closed_only=closed_only,
            uncorrected_only=uncorrected_only,
            valid_ratio=0.1 if valid_ratio is None else valid_ratio,
            seed=seed or 0,
            system=system or None,
        )
        _export_finetune(options, out_dir or Path("finetune"), out)
        return
    try:
        if unused := next((name for name, value in tuning.items() if value is not None), None):
            raise InvalidInputError(f"{unused} is an option of finetune only", field=unused)
        check_filters(kind, filters)
        if out is not None and not out.parent.is_dir():
            raise InvalidInputError(f"there is no folder {out.parent} to write to", field="--out")
    except InvalidInputError as err:
        errors.print(f"[red]error:[/red] {err} ({err.field})", highlight=False)
        raise typer.Exit(2) from err

    async def work(settings: Settings) -> None:
        storage = build_storage(settings)
        await upgrade_async(settings.database_url)
        db = create_engine(settings.database_url)
        try:
            await storage.start()
            jobs = ExportJobs(
                settings=settings, db=db, sessions=create_sessionmaker(db), storage=storage
            )
            total = await count_rows(kind, filters, db=db, timezone=settings.shop_timezone)
            began = time.monotonic()
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=errors) as progress:
                bar = progress.add_task(f"exporting {kind}", total=total)
                job = await jobs.run_now(
                    kind,
                    filters,
                    requested_by=CLI_CHANNEL,
                    progress=lambda rows: progress.update(bar, completed=rows),
                )
                progress.update(bar, completed=job.rows or 0, total=max(total, job.rows or 0))
            seconds = time.monotonic() - began
            if job.status != ExportStatus.DONE or job.file_name is None:
                errors.print(f"[red]error:[/red] the export failed: {job.error}", highlight=False)
                raise typer.Exit(1)
            link = await jobs.link(job)
            if out is not None:
                await _copy(storage.read(job.file_name), out)
        finally:
            await storage.close()
            await db.dispose()
        console.print(
            f"{count(job.rows or 0, 'row', 'rows')}, {count(job.bytes or 0, 'byte', 'bytes')} "
            f"in {seconds:.1f} s; job {job.id}\n"
            f"key: {job.file_name}",
            highlight=False,
        )
        if link is not None:
            where = (
                ""
                if "://" in link.url
                else " (a path on the server: PUBLIC_BASE_URL makes it whole)"
            )
            console.print(
                f"link (until {link.expires_at:%Y-%m-%d %H:%M} UTC){where}: {link.url}",
                highlight=False,
                soft_wrap=True,
            )
        if out is not None:
            console.print(f"copied to {out}", highlight=False)

    _run(work)


def _export_finetune(options: FinetuneOptions, folder: Path, out: Path | None) -> None:
    """`export finetune`: the tuning files and report.json in `folder`, the report printed."""
    from agent.db import create_engine, create_sessionmaker
    from agent.errors import InvalidInputError
    from agent.i18n import count
    from agent.migrate import upgrade_async
    from exports.finetune.dataset import export_finetune

    try:
        if out is not None:
            raise InvalidInputError("finetune writes a folder: use --out-dir", field="--out")
        options.check()
        if folder.exists() and not folder.is_dir():
            raise InvalidInputError(f"{folder} is not a folder", field="--out-dir")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise InvalidInputError(f"cannot write to {folder}: {err}", field="--out-dir") from err
    except InvalidInputError as err:
        errors.print(f"[red]error:[/red] {err} ({err.field})", highlight=False)
        raise typer.Exit(2) from err

    async def work(settings: Settings) -> dict[str, Any]:
        await upgrade_async(settings.database_url)
        db = create_engine(settings.database_url)
        try:
            report = await export_finetune(
                create_sessionmaker(db), options, folder, timezone=settings.shop_timezone
            )
        finally:
            await db.dispose()
        return report.as_json(options)

    report = _run(work)
    written = report["conversations_written"]
    console.print(
        f"{written['train']} conversations in train.jsonl, {written['valid']} in valid.jsonl "
        f"({report['turns_written']} turns), of {report['conversations_seen']}; in {folder}",
        highlight=False,
    )
    for what, reasons in report["left_out"].items():
        for reason, number in reasons.items():
            console.print(f"left out: {count(number, what[:-1], what)} ({reason})", highlight=False)
    replaced = ", ".join(f"{n} {kind}" for kind, n in report["personal_data_replaced"].items())
    console.print(f"personal data replaced: {replaced or 'none'}", highlight=False)
    console.print(f"report: {folder / 'report.json'}", highlight=False)


async def _copy(chunks: AsyncIterator[bytes], target: Path) -> None:
    """Stream a stored file into `target` without holding it in memory."""
    handle = await asyncio.to_thread(target.open, "wb")
    try:
        async for chunk in chunks:
            await asyncio.to_thread(handle.write, chunk)
    finally:
        await asyncio.to_thread(handle.close)


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "-"


def main() -> None:
    """Entry point of the `salesagent` script: a product error or a setting that is not valid
    ends the command with its message alone and code 1 (the traceback with `--debug`)."""
    try:
        app()
    except SalesAgentError as err:
        if _debugging():
            raise
        _refuse(str(err))
    except ValidationError as err:
        if err.title != Settings.__name__ or _debugging():
            raise
        _refuse(f"a setting is not valid: {_settings_problems(err)}")


def _refuse(message: str) -> NoReturn:
    errors.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    sys.exit(1)


def _settings_problems(err: ValidationError) -> str:
    """Each problem under the variable's name (the value is not repeated: it may be a secret)."""
    return "; ".join(
        f"{'_'.join(str(part) for part in problem['loc']).upper() or 'settings'}: "
        + problem["msg"].removeprefix("Value error, ")
        for problem in err.errors()
    )
