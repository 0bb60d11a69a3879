"""Turn latency in-process, no LLM: the demo catalog and a generated 10,000-product catalog,
against a no-op turn (same engine, persistence and commit; constant understanding and reply).

    .venv/bin/python bench/turn_latency.py [--conversations 40]

Prints p50/p95/p99 per turn and each figure's ratio to the no-op floor measured in the same run,
then the intent classifier's own time per message (p50/p99 µs) over the development set's messages.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import itertools
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select, update
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


async def prepare_database(folder: Path, extra_products: int) -> str:
    """A migrated, seeded database (plus a generated catalog) with stock that never runs out."""
    url = f"sqlite+aiosqlite:///{folder / f'bench-{extra_products}.db'}"
    await upgrade_async(url)
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    try:
        await seed_demo(sessions)
        if extra_products:
            catalog = folder / "generated.csv"
            generate_catalog(catalog, extra_products)
            async with transaction(sessions) as session:
                await import_products(session, catalog)
        async with transaction(sessions) as session:
            await session.execute(update(Product).values(stock=1_000_000))
    finally:
        await engine.dispose()
    return url


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


async def run_script(engine: TurnEngine, conversation: int) -> list[float]:
    """One scripted purchase; the latency of every turn in ms."""
    chat_id = f"bench-{uuid.uuid4().hex[:8]}"
    timings = []
    for text in SCRIPT:
        text = text.format(national_id=str(1_000_000_000 + conversation))
        started = time.perf_counter()
        result = await engine.handle(InboundMessage("bench", uuid.uuid4().hex, chat_id, text))
        timings.append((time.perf_counter() - started) * 1000)
        if result.intent == "purchase.add" and not result.cart and "1." in (result.reply or ""):
            started = time.perf_counter()
            await engine.handle(InboundMessage("bench", uuid.uuid4().hex, chat_id, "1"))
            timings.append((time.perf_counter() - started) * 1000)
    return timings


async def measure(
    settings: Settings, conversations: int, *, floor: bool
) -> tuple[list[float], int]:
    """Per-turn latencies over `conversations` scripted purchases (after one warm-up), and
    how many of them ended in an order (a check that the script really buys)."""
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
        await run_script(engine, 0)
        timings: list[float] = []
        for number in range(1, conversations + 1):
            timings += await run_script(engine, number)
        async with runtime.sessions() as session:
            orders = await session.scalar(
                select(func.count()).select_from(Order).where(Order.channel == "bench")
            )
        return timings, max(0, int(orders or 0) - 1)  # the warm-up's order is not counted
    finally:
        await runtime.close()


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


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--products", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="salesagent-bench-") as tmp:
        folder = Path(tmp)
        rows = []
        for label, extra, floor in [
            ("no-op turn (floor)", 0, True),
            ("demo catalog", 0, False),
            (f"demo + {args.products:,} products", args.products, False),
        ]:
            url = await prepare_database(folder, extra)
            settings = Settings(_env_file=None, database_url=url, auto_seed_demo=False)  # type: ignore[call-arg]
            timings, orders = await measure(settings, args.conversations, floor=floor)
            rows.append((label, len(timings), orders, *percentiles(timings)))
    base = rows[0]
    print(f"turn latency, in-process, SQLite, {args.conversations} scripted purchases each")
    header = f"{'':30}{'turns':>7}{'orders':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
    print(f"{header}   ratio to floor (p50/p95/p99)")
    for label, turns, orders, p50, p95, p99 in rows:
        ratio = f"{p50 / base[3]:.1f}× / {p95 / base[4]:.1f}× / {p99 / base[5]:.1f}×"
        print(f"{label:30}{turns:>7}{orders:>8}{p50:>9.2f}{p95:>9.2f}{p99:>9.2f}   {ratio}")
    reads = classifier_timings(Settings(_env_file=None))
    if reads is None:
        print("intent classifier: no corpus in agent/nlu/corpus/, the rules read alone")
    else:
        p50, _, p99 = percentiles(reads)
        print(f"intent classifier, CPU per message ({len(reads)} reads):", end=" ")
        print(f"p50 {p50:.0f} µs, p99 {p99:.0f} µs")


if __name__ == "__main__":
    asyncio.run(main())
