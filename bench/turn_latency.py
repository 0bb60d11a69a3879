"""Turn latency and cost in-process, no LLM: the demo catalog and a generated 10,000-product
catalog, against a no-op turn (same engine, persistence and commit; constant understanding and
reply), on SQLite and on PostgreSQL.

    .venv/bin/python bench/turn_latency.py [--conversations 40] [--postgres DSN | --no-postgres]

Per scenario: p50/p95/p99 wall-clock ms per turn, CPU ms per turn (`time.process_time`, every
thread of the process), database statements and commits per turn (counted by SQLAlchemy
events), each with its ratio to the no-op floor of the same backend in the same run; then the
Python-level time of one profiled conversation (cProfile, the event loop's thread only) split
by module family; last, the intent classifier's own time per message (p50/p99 µs) over the
development set's messages. PostgreSQL runs in fresh databases on the server of `--postgres`,
dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import csv
import itertools
import os
import pstats
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
from sqlalchemy import event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from agent.catalog.importer import import_products
from agent.db import create_engine, create_sessionmaker, transaction
from agent.domain import DomainResult, TurnContext
from agent.engine import TurnEngine
from agent.evaluation import load_utterances
from agent.messages import InboundMessage
from agent.migrate import upgrade_async
from agent.models import Order, Product
from agent.nlu.model_store import load_or_train
from agent.nlu.types import DialogState, Understanding
from agent.seed import seed_demo
from agent.settings import Settings
from agent.understanding import Understander
from salesagent.runtime import Runtime

SCRIPT = [
    "hola",
    "¿tienen extintores de 10 libras?",
    "¿cuánto vale el casco dieléctrico?",
    "quiero 2 guantes de carnaza",
    "¿cuál es el horario de atención?",
    "muéstrame el carrito",
    "eso es todo",
    "{national_id}",
    "Laura Restrepo",
    "3104567890",
    "Pereira",
    "Calle 19 # 8-34",
    "sí, confirmo",
]

KINDS = {
    "Extintores": ["Extintor PQS ABC", "Extintor CO2", "Extintor agente limpio", "Extintor tipo K"],
    "Cascos": ["Casco de seguridad tipo I", "Casco dieléctrico clase E", "Casco con ratchet"],
    "Guantes": ["Guante de carnaza", "Guante de nitrilo", "Guante dieléctrico", "Guante anticorte"],
    "Calzado": ["Bota punta de acero", "Bota dieléctrica", "Bota de caucho", "Zapato de seguridad"],
    "Alturas": ["Arnés de cuerpo completo", "Eslinga de posicionamiento", "Línea de vida"],
    "Protección visual": ["Monogafa antiempañante", "Gafa de seguridad oscura", "Careta facial"],
    "Protección respiratoria": ["Respirador media cara", "Tapabocas N95", "Filtro para vapores"],
    "Señalización": [
        "Señal salida de emergencia",
        "Señal riesgo eléctrico",
        "Cinta de demarcación",
    ],
}
VARIANTS = ["5 lb", "10 lb", "20 lb", "talla S", "talla M", "talla L", "talla 38", "talla 40"]
COLOURS = ["amarillo", "blanco", "rojo", "azul", "negro", "naranja", "verde", "gris"]
MAKERS = [f"Marca {c}" for c in "ABCDEFGHIJKLMNOPQRST"]
DEV_SET = Path(__file__).resolve().parents[1] / "tests" / "eval" / "utterances.jsonl"


def generate_catalog(path: Path, size: int) -> None:
    """A realistic-looking catalog of `size` products in the product's own CSV format."""
    rng = random.Random(7)
    combos = itertools.product(KINDS.items(), VARIANTS, COLOURS, MAKERS)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "name", "category", "description", "price", "stock", "synonyms"])
        for number, ((category, names), variant, colour, maker) in enumerate(combos):
            if number >= size:
                break
            name = f"{names[number % len(names)]} {variant} {colour} {maker}"
            writer.writerow(
                [f"GEN-{number:05d}", name, category, f"{name}, uso industrial.",
                 rng.randrange(8, 900) * 1000, rng.randrange(0, 200), ""]
            )  # fmt: skip


async def prepare_database(url: str, catalog: Path | None) -> None:
    """Migrate and seed `url` (plus the generated catalog) with stock that never runs out."""
    await upgrade_async(url)
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    try:
        await seed_demo(sessions)
        if catalog is not None:
            async with transaction(sessions) as session:
                await import_products(session, catalog)
        async with transaction(sessions) as session:
            await session.execute(update(Product).values(stock=1_000_000))
    finally:
        await engine.dispose()


class ConstantUnderstander(Understander):
    """Understands every message as a greeting, instantly."""

    async def prepare(self, session: AsyncSession) -> None:
        return None

    def understand(self, text: str, state: DialogState) -> Understanding:
        return Understanding(intent="smalltalk.greeting", confidence=1.0)


class ConstantHandler:
    """Answers every message with the same text."""

    name = "smalltalk"

    async def handle(self, ctx: TurnContext) -> DomainResult:
        return DomainResult(reply="ok")


async def run_script(engine: TurnEngine, conversation: int, meter: Meter) -> None:
    """One scripted purchase, every turn measured by `meter`."""
    chat_id = f"bench-{uuid.uuid4().hex[:8]}"
    for text in SCRIPT:
        text = text.format(national_id=str(1_000_000_000 + conversation))
        with meter.turn():
            result = await engine.handle(InboundMessage("bench", uuid.uuid4().hex, chat_id, text))
        if result.intent == "purchase.add" and not result.cart and "1." in (result.reply or ""):
            with meter.turn():
                await engine.handle(InboundMessage("bench", uuid.uuid4().hex, chat_id, "1"))


@dataclass
class Meter:
    """Wall-clock ms, CPU ms, statements and commits of every turn."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    commits: list[int] = field(default_factory=list)
    handovers: list[int] = field(default_factory=list)
    """Calls handed to a SQLite connection's thread (each a wake-up of that thread and one of
    the loop's, the GIL passing twice): zero on PostgreSQL."""
    trips: list[int] = field(default_factory=list)
    """Round trips to PostgreSQL: statements, plus each transaction's pool ping (pre-ping),
    BEGIN and COMMIT or ROLLBACK, which asyncpg sends outside the cursor. On SQLite (no
    network; BEGIN is a statement) statements and commits."""
    _counts: Counter[str] = field(default_factory=Counter)
    _network: bool = False

    def listen(self, db: Any) -> None:
        """Count the statements and commits of `db` (an AsyncEngine)."""

        @event.listens_for(db.sync_engine, "before_cursor_execute")
        def _statement(*_args: Any) -> None:
            self._counts["statements"] += 1

        @event.listens_for(db.sync_engine, "commit")
        def _commit(*_args: Any) -> None:
            self._counts["commits"] += 1

        @event.listens_for(db.sync_engine, "rollback")
        def _rollback(*_args: Any) -> None:
            self._counts["rollbacks"] += 1

        @event.listens_for(db.sync_engine, "begin")
        def _begin(*_args: Any) -> None:
            self._counts["begins"] += 1

        @event.listens_for(db.sync_engine.pool, "checkout")
        def _checkout(*_args: Any) -> None:
            self._counts["checkouts"] += 1

        self._network = db.dialect.name == "postgresql"

    def turn(self) -> _Turn:
        """A block that is one turn."""
        return _Turn(self)

    def reset(self) -> None:
        """Forget the turns measured so far (the warm-up)."""
        figures: list[Any]
        for figures in (
            self.wall, self.cpu, self.statements, self.commits, self.handovers, self.trips
        ):  # fmt: skip
            figures.clear()


class _Turn:
    def __init__(self, meter: Meter) -> None:
        self._meter = meter

    def __enter__(self) -> None:
        self._counts = Counter(self._meter._counts)
        self._handovers = HANDOVERS["calls"]
        self._cpu = time.process_time()
        self._wall = time.perf_counter()

    def __exit__(self, *_exc: object) -> None:
        meter = self._meter
        meter.wall.append((time.perf_counter() - self._wall) * 1000)
        meter.cpu.append((time.process_time() - self._cpu) * 1000)
        meter.statements.append(meter._counts["statements"] - self._counts["statements"])
        done = meter._counts - self._counts
        meter.commits.append(done["commits"])
        meter.handovers.append(HANDOVERS["calls"] - self._handovers)
        trips = done["statements"] + done["commits"] + done["rollbacks"]
        if meter._network:
            trips += done["begins"] + done["checkouts"]
        meter.trips.append(trips)


HANDOVERS: Counter[str] = Counter()
"""Calls handed to aiosqlite's threads so far (every statement, fetch, cursor, commit, close
goes through `Connection._execute`, one queue put and one wake-up of the thread each)."""


def count_handovers() -> None:
    """Count in HANDOVERS every call aiosqlite hands to a connection's thread."""
    handing: Any = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        HANDOVERS["calls"] += 1
        return await handing(self, fn, *args, **kwargs)

    aiosqlite.Connection._execute = counted  # type: ignore[method-assign]


FAMILIES = [
    ("database", ("sqlalchemy", "aiosqlite", "asyncpg", "sqlite3", "SimpleQueue", "greenlet")),
    ("understanding", ("agent/nlu/", "agent/understanding", "agent/turn/understand")),
    ("search", ("agent/catalog/", "rag_domains/inventory")),
    ("sales", ("rag_domains/sales/", "rag_domains/customers")),
    ("engine", ("agent/", "rag_domains/", "salesagent/")),
    ("logging", ("logging/",)),
    ("asyncio", ("asyncio/", "threading", "queue", "concurrent/", "selectors")),
    ("waiting", ("'poll' of 'select.epoll'",)),
    ("socket", ("of '_socket.socket'",)),
]
"""Module families of the profile, first match wins. `put_nowait` of a SimpleQueue is
aiosqlite handing a call to its thread; `poll` is the loop waiting (for that thread, or the
network); `socket` is sending to and receiving from PostgreSQL (a send that wakes the
server's process is where a loaded machine makes a round trip cost)."""


def family(filename: str, function: str) -> str:
    """The module family a profiled function belongs to."""
    where = f"{filename} {function}"
    for name, marks in FAMILIES:
        if any(mark in where for mark in marks):
            return name
    return "other"


@dataclass
class Scenario:
    """One scenario's turns, orders and profile."""

    label: str
    meter: Meter
    orders: int
    families: dict[str, float]
    calls: int
    top: list[tuple[str, float]]


async def measure(settings: Settings, label: str, conversations: int, *, floor: bool) -> Scenario:
    """`conversations` scripted purchases (after one warm-up), then one more under cProfile."""
    runtime = await Runtime.start(settings, migrate=False)
    try:
        engine = runtime.engine
        if floor:
            engine = TurnEngine(
                sessions=runtime.sessions,
                settings=settings,
                understander=ConstantUnderstander(runtime.index),
                handlers={"smalltalk": ConstantHandler()},
            )
        meter = Meter()
        meter.listen(runtime.db)
        await run_script(engine, 0, meter)
        meter.reset()
        for number in range(1, conversations + 1):
            await run_script(engine, number, meter)
        profiled = Meter()
        profiler = cProfile.Profile()
        profiler.enable()
        await run_script(engine, conversations + 1, profiled)
        profiler.disable()
        async with runtime.sessions() as session:
            orders = await session.scalar(
                select(func.count()).select_from(Order).where(Order.channel == "bench")
            )
    finally:
        await runtime.close()
    stats = pstats.Stats(profiler)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    families: Counter[str] = Counter()
    calls = 0
    for (filename, _line, name), (_cc, total_calls, self_time, _cum, _callers) in raw.items():
        families[family(filename, name)] += self_time * 1000 / len(profiled.wall)
        calls += total_calls
    top = sorted(
        (
            (f"{Path(fn).name}:{name}", cum * 1000 / len(profiled.wall))
            for (fn, _l, name), (*_, cum, _c) in raw.items()
            if "agent" in fn or "rag_domains" in fn
        ),
        key=lambda item: -item[1],
    )[:8]
    # Neither the warm-up's order nor the profiled conversation's is counted.
    return Scenario(
        label, meter, max(0, int(orders or 0) - 2), dict(families), calls // len(profiled.wall), top
    )


def classifier_timings(settings: Settings, rounds: int = 3) -> list[float] | None:
    """The intent classifier's own time to read each development-set message, in µs of this
    thread's CPU (a busy machine's preemptions are not its time); None without a corpus."""
    classifier = load_or_train(settings.nlu_model_dir)
    if classifier is None:
        return None
    items = load_utterances(DEV_SET)
    timings = []
    for _ in range(rounds):
        for item in items:
            started = time.thread_time_ns()
            classifier.predict(item.text, item.state)
            timings.append((time.thread_time_ns() - started) / 1000)
    return timings


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99."""
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


async def run_backend(
    name: str, urls: list[str], catalog: Path, conversations: int, products: int
) -> list[Scenario]:
    """The floor, the demo catalog and the big catalog, each in its own database of `urls`."""
    scenarios = []
    for url, (label, big, floor) in zip(
        urls,
        [
            ("no-op turn (floor)", False, True),
            ("demo catalog", False, False),
            (f"demo + {products:,} products", True, False),
        ],
        strict=True,
    ):
        await prepare_database(url, catalog if big else None)
        settings = Settings(_env_file=None, database_url=url, auto_seed_demo=False)  # type: ignore[call-arg]
        scenarios.append(await measure(settings, label, conversations, floor=floor))
    report(name, conversations, scenarios)
    return scenarios


def report(backend: str, conversations: int, scenarios: list[Scenario]) -> None:
    """Print the scenarios' figures and their ratios to the floor (the first scenario)."""
    base = scenarios[0].meter
    bp = percentiles(base.wall)
    bcpu = statistics.median(base.cpu)
    btrips = statistics.mean(base.trips)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nturn cost, in-process, {backend}, {conversations} scripted purchases each, "
          f"load average {load}")  # fmt: skip
    print(f"{'':28}{'turns':>6}{'orders':>7}{'p50 ms':>8}{'p95':>8}{'p99':>8}{'cpu ms':>8}"
          f"{'stmts':>7}{'commit':>7}{'trips':>7}{'hand':>6}"
          "   vs floor: p50/p95/p99, cpu, trips")  # fmt: skip
    for s in scenarios:
        m = s.meter
        p50, p95, p99 = percentiles(m.wall)
        cpu = statistics.median(m.cpu)
        st, co, tr, ho = (
            statistics.mean(x) for x in (m.statements, m.commits, m.trips, m.handovers)
        )
        ratio = (f"{p50 / bp[0]:.1f}×/{p95 / bp[1]:.1f}×/{p99 / bp[2]:.1f}×, "
                 f"{cpu / bcpu:.1f}×, {tr / btrips:.1f}×")  # fmt: skip
        print(f"{s.label:28}{len(m.wall):>6}{s.orders:>7}{p50:>8.2f}{p95:>8.2f}{p99:>8.2f}"
              f"{cpu:>8.2f}{st:>7.1f}{co:>7.1f}{tr:>7.1f}{ho:>6.1f}   {ratio}")  # fmt: skip
    print("Python ms per turn by family (cProfile self time of one more conversation, so")
    print("inflated by the profiler; the loop's thread only; calls per turn)")
    names = [name for name, _ in FAMILIES] + ["other"]
    print(f"{'':28}" + "".join(f"{n[:12]:>13}" for n in names) + f"{'calls':>8}")
    for s in scenarios:
        print(f"{s.label:28}" + "".join(f"{s.families.get(n, 0.0):>13.2f}" for n in names)
              + f"{s.calls:>8,}")  # fmt: skip
    for s in scenarios:
        print(f"top cumulative ms per turn, {s.label}: "
              + ", ".join(f"{name} {ms:.1f}" for name, ms in s.top))  # fmt: skip


async def fresh_postgres(admin_dsn: str, count: int) -> list[str]:
    """`count` new databases on the server of `admin_dsn`, as SQLAlchemy URLs."""
    conn = await asyncpg.connect(admin_dsn)
    names = [f"salesagent_bench_{uuid.uuid4().hex[:10]}" for _ in range(count)]
    try:
        for name in names:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = admin_dsn.rsplit("/", 1)[0].split("://", 1)[1]
    return [f"postgresql+asyncpg://{base}/{name}" for name in names]


async def drop_postgres(admin_dsn: str, urls: list[str]) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        for url in urls:
            await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    count_handovers()
    with tempfile.TemporaryDirectory(prefix="salesagent-bench-") as tmp:
        folder = Path(tmp)
        catalog = folder / "generated.csv"
        generate_catalog(catalog, args.products)
        if not args.no_sqlite:
            urls = [f"sqlite+aiosqlite:///{folder / f'bench-{n}.db'}" for n in range(3)]
            await run_backend("SQLite", urls, catalog, args.conversations, args.products)
        if not args.no_postgres:
            urls = await fresh_postgres(args.postgres, 3)
            try:
                await run_backend("PostgreSQL", urls, catalog, args.conversations, args.products)
            finally:
                await drop_postgres(args.postgres, urls)
    reads = classifier_timings(Settings(_env_file=None))
    if reads is None:
        print("intent classifier: no corpus in agent/nlu/corpus/, the rules read alone")
    else:
        p50, _, p99 = percentiles(reads)
        print(f"intent classifier, CPU per message ({len(reads)} reads):", end=" ")
        print(f"p50 {p50:.0f} µs, p99 {p99:.0f} µs")


if __name__ == "__main__":
    asyncio.run(main())
