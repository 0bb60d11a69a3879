"""What the product adds around a model call, and how many model calls a turn makes.

Against the local Gemini protocol server of the tests (tests/fixtures/llm_servers.py, reached
by the google-genai SDK over HTTP on 127.0.0.1; it answers at once, so the figures are the
product's and the SDK's, not a model's):

1. per call, the time the product spends around it (prompt building, redaction, parsing and
   validation, the grounding guard) against the time waiting on the SDK and the server;
2. over the scripted conversations (tests/eval/conversations), the model calls per turn with
   LLM_MODE=fallback (the default) and =always, and the calls made on turns the offline
   reading was sure of (the goal: none).

    .venv/bin/python bench/llm_overhead.py [--calls 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))  # not tests/: tests/agent would shadow agent

from llm_servers import GEMINI_KEY, ScriptedServer, running  # noqa: E402

from agent.db import create_engine, create_sessionmaker  # noqa: E402
from agent.llm.privacy import Redactor  # noqa: E402
from agent.llm.service import Spend  # noqa: E402
from agent.messages import InboundMessage  # noqa: E402
from agent.migrate import upgrade_async  # noqa: E402
from agent.nlu.types import DialogState  # noqa: E402
from agent.seed import seed_demo  # noqa: E402
from agent.settings import Settings  # noqa: E402
from salesagent.eval_conversations import load_scripts  # noqa: E402
from salesagent.runtime import Runtime  # noqa: E402

CONVERSATIONS = ROOT / "tests" / "eval" / "conversations"
TEMPLATE = (
    "En *Protección de cabeza* tenemos 15 productos; estos son algunos:\n"
    "• *Casco dieléctrico tipo II clase E* — $95.000 · 7 disponibles\n"
    "• *Casco de ala completa clase E* — $65.000 · 9 disponibles\n\n¿Te agrego alguno al carrito?"
)
FACTS = {
    "category": "Protección de cabeza",
    "count": 15,
    "products": [
        {"name": "Casco dieléctrico tipo II clase E", "price": "95000.00", "stock": 7},
        {"name": "Casco de ala completa clase E", "price": "65000.00", "stock": 9},
    ],
}


async def demo_shop(folder: Path) -> str:
    url = f"sqlite+aiosqlite:///{folder / f'{uuid.uuid4().hex}.db'}"
    await upgrade_async(url)
    db = create_engine(url)
    try:
        await seed_demo(create_sessionmaker(db))
    finally:
        await db.dispose()
    return url


def settings_for(url: str, server: ScriptedServer | None, **values: object) -> Settings:
    model: dict[str, object] = {}
    if server is not None:
        model = {
            "llm_provider": "gemini",
            "google_api_key": GEMINI_KEY,
            "gemini_base_url": server.url,
            "llm_cache_size": 0,  # every call goes out: the figures are per call
        }
    return Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=url, auto_seed_demo=False, **model, **values
    )


async def per_call(server: ScriptedServer, url: str, calls: int) -> None:
    runtime = await Runtime.start(settings_for(url, server), migrate=False)
    try:
        llm = runtime.engine.llm
        assert llm is not None
        stats = llm.service.stats
        offline = runtime.engine.understander.understand(
            "quisiera algo para proteger la cabeza en obra", DialogState()
        )
        rows = []
        for kind in ("understand", "phrase"):
            product, wire = [], []
            for i in range(calls):
                before = (stats.product_seconds, stats.wire_seconds)
                redactor = Redactor([("national_id", "1088123456")])
                if kind == "understand":
                    await llm.reader.propose(
                        f"quisiera algo para proteger la cabeza en obra {i}",
                        DialogState(),
                        offline,
                        history="cliente: hola\ntienda: ¡Hola! ¿Qué necesitas?",
                        redactor=redactor,
                        spend=Spend(),
                    )
                else:
                    await llm.phraser.phrase(
                        template=TEMPLATE,
                        facts=FACTS,
                        language="es",
                        question=f"¿qué cascos tienen? {i}",
                        history="cliente: hola",
                        redactor=redactor,
                    )
                product.append(stats.product_seconds - before[0])
                wire.append(stats.wire_seconds - before[1])
            rows.append((kind, product, wire))
        print(f"per model call ({calls} calls each, local protocol server, google-genai SDK)")
        header = f"{'call':<11} {'product p50':>12} {'product p95':>12} {'SDK+HTTP p50':>13}"
        print(f"{header} {'ratio':>7}")
        for kind, product, wire in rows:
            p50, p95 = _ms(product, 50), _ms(product, 95)
            w50 = _ms(wire, 50)
            print(f"{kind:<11} {p50:>10.3f}ms {p95:>10.3f}ms {w50:>11.3f}ms {p50 / w50:>7.3f}")
        print("(ratio: the product's median time around a call over the median wait on the SDK")
        print(" and a server that answers at once; a real model's seconds dwarf both)\n")
    finally:
        await runtime.close()


def _ms(values: list[float], percentile: int) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(percentile / 100 * (len(ordered) - 1)))
    return ordered[index] * 1000 if percentile != 50 else statistics.median(values) * 1000


async def play(runtime: Runtime) -> list[tuple[float, int]]:
    """Play every scripted conversation; (confidence, model calls) per turn."""
    llm = runtime.engine.llm
    turns = []
    for script in load_scripts(CONVERSATIONS):
        chat_id = f"bench-{uuid.uuid4().hex[:10]}"
        for turn in script.turns:
            before = llm.service.stats.total_calls if llm is not None else 0
            result = await runtime.engine.handle(
                InboundMessage(script.channel, uuid.uuid4().hex, chat_id, turn.say)
            )
            after = llm.service.stats.total_calls if llm is not None else 0
            turns.append((result.confidence, after - before))
    return turns


async def per_turn(server: ScriptedServer, folder: Path) -> None:
    offline_rt = await Runtime.start(settings_for(await demo_shop(folder), None), migrate=False)
    try:
        started = time.perf_counter()
        offline = await play(offline_rt)
        offline_seconds = time.perf_counter() - started
        threshold = offline_rt.settings.nlu_confidence_threshold
    finally:
        await offline_rt.close()
    sure = [confidence >= threshold for confidence, _ in offline]
    print(
        f"model calls per turn over {len(offline)} scripted turns "
        f"({sum(not s for s in sure)} the offline reading is unsure of)"
    )
    print(
        f"{'LLM_MODE / LLM_PHRASING':<26} {'calls/turn':>10} {'on sure turns':>14} "
        f"{'max/turn':>9} {'turn ms':>8}"
    )
    print(
        f"{'offline':<26} {0:>10.3f} {0:>14} {0:>9} {offline_seconds / len(offline) * 1000:>8.1f}"
    )
    for mode, phrasing in (
        ("fallback", "unsure"),
        ("fallback", "off"),
        ("always", "off"),
        ("always", "always"),
    ):
        url = await demo_shop(folder)
        runtime = await Runtime.start(
            settings_for(url, server, llm_mode=mode, llm_phrasing=phrasing), migrate=False
        )
        try:
            started = time.perf_counter()
            turns = await play(runtime)
            seconds = time.perf_counter() - started
        finally:
            await runtime.close()
        calls = [c for _, c in turns]
        on_sure = sum(c for (_, c), s in zip(turns, sure, strict=True) if s)
        label = f"{mode} / {phrasing}"
        print(
            f"{label:<26} {sum(calls) / len(calls):>10.3f} {on_sure:>14} {max(calls):>9} "
            f"{seconds / len(turns) * 1000:>8.1f}"
        )
    print(
        "(goal: at most 1 call per turn on average, none on the turns the offline reading is"
        " sure of, with the defaults fallback / unsure)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    with running() as server, tempfile.TemporaryDirectory(prefix="llm-bench-") as tmp:
        folder = Path(tmp)
        await per_call(server, await demo_shop(folder), args.calls)
        await per_turn(server, folder)


if __name__ == "__main__":
    asyncio.run(main())
