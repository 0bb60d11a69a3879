"""`salesagent eval`: runs an evaluation file against a private copy of the demo shop."""

from __future__ import annotations

import tempfile
from pathlib import Path

from agent.db import create_engine, create_sessionmaker
from agent.eval_conversations import format_script_results, load_scripts, run_script
from agent.evaluation import evaluate_utterances, format_utterance_report, load_utterances
from agent.migrate import upgrade_async
from agent.nlu.types import DialogState, Understanding
from agent.runtime import Runtime
from agent.seed import seed_demo
from agent.settings import Settings

MACRO_F1_TARGET = 0.92


async def run_eval(settings: Settings, path: Path) -> tuple[str, bool]:
    """The report for `path` (.jsonl utterances; .yaml conversations or a folder of them),
    and whether it met its target. The shop's own database is never touched."""
    with tempfile.TemporaryDirectory(prefix="salesagent-eval-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'eval.db'}"
        await upgrade_async(url)
        db = create_engine(url)
        try:
            await seed_demo(create_sessionmaker(db))
        finally:
            await db.dispose()
        eval_settings = settings.model_copy(update={"database_url": url, "auto_seed_demo": False})
        runtime = await Runtime.start(eval_settings, migrate=False)
        try:
            if path.suffix == ".jsonl":
                return await _utterances(runtime, path)
            results = [await run_script(runtime, s) for s in load_scripts(path)]
            return format_script_results(results), all(r.passed for r in results)
        finally:
            await runtime.close()


async def _utterances(runtime: Runtime, path: Path) -> tuple[str, bool]:
    understander = runtime.engine.understander
    async with runtime.sessions() as session:
        await understander.prepare(session)

    def read(text: str, state: DialogState) -> Understanding:
        return understander.understand(text, state)

    report = evaluate_utterances(load_utterances(path), read)
    return format_utterance_report(report), report.macro_f1 >= MACRO_F1_TARGET
