"""`salesagent eval`: runs an evaluation file against a private copy of the demo shop."""

from __future__ import annotations

import tempfile
from pathlib import Path

from agent.db import create_engine, create_sessionmaker
from agent.errors import ConfigurationError
from agent.evaluation import evaluate_utterances, format_utterance_report, load_utterances
from agent.migrate import upgrade_async
from agent.nlu.types import DialogState, Understanding
from agent.seed import seed_demo
from agent.settings import Settings
from salesagent.eval_conversations import format_script_results, load_scripts, run_script
from salesagent.eval_holdout import (
    CONVERSATIONS,
    UTTERANCES,
    format_holdout,
    load_holdout_conversations,
    load_holdout_utterances,
    run_conversation,
    score_utterances,
)
from salesagent.runtime import Runtime

MACRO_F1_TARGET = 0.92


PROVIDERS = ("offline", "gemini", "ollama")


async def run_eval(
    settings: Settings, path: Path, *, provider: str | None = None, holdout: bool = False
) -> tuple[str, bool]:
    """The report for `path` (.jsonl utterances; .yaml conversations or a folder of them; with
    `holdout`, a folder in the v2 holdout format), and whether it met its target. The shop's
    own database is never touched.

    `provider` overrides LLM_PROVIDER; with a model, the report adds the model calls made
    per utterance or per turn (retries included, cache hits not)."""
    if provider is not None and provider not in PROVIDERS:
        raise ConfigurationError(f"--provider must be one of {', '.join(PROVIDERS)}")
    with tempfile.TemporaryDirectory(prefix="salesagent-eval-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'eval.db'}"
        await upgrade_async(url)
        db = create_engine(url)
        try:
            await seed_demo(create_sessionmaker(db))
        finally:
            await db.dispose()
        update: dict[str, object] = {"database_url": url, "auto_seed_demo": False}
        if provider is not None:
            update["llm_provider"] = provider
        eval_settings = settings.model_copy(update=update)
        async with await Runtime.start(eval_settings, migrate=False) as runtime:
            if holdout:
                return await _holdout(runtime, path)
            if path.suffix == ".jsonl":
                return await _utterances(runtime, path)
            scripts = load_scripts(path)
            results = [await run_script(runtime, s) for s in scripts]
            report = format_script_results(results)
            turns = sum(len(s.turns) for s in scripts)
            return report + _model_calls(runtime, turns, "turn"), all(r.passed for r in results)


async def _utterances(runtime: Runtime, path: Path) -> tuple[str, bool]:
    understander = runtime.engine.understander
    async with runtime.sessions() as session:
        await understander.prepare(session)
    items = load_utterances(path)
    readings: list[Understanding] = []
    for item in items:
        # The model (when there is one) is asked here, before scoring, one utterance at a time.
        readings.append((await understander.read(item.text, item.state)).understanding)
    given = iter(readings)

    def read(text: str, state: DialogState) -> Understanding:
        return next(given)

    report = evaluate_utterances(items, read)
    text = format_utterance_report(report) + _model_calls(runtime, len(items), "utterance")
    return text, report.macro_f1 >= MACRO_F1_TARGET


async def _holdout(runtime: Runtime, folder: Path) -> tuple[str, bool]:
    """Score a v2 holdout folder: its utterances, then its conversations (either may be absent)."""
    utterances = conversations = None
    if (folder / UTTERANCES).exists():
        items = load_holdout_utterances(folder / UTTERANCES)
        understander = runtime.engine.understander
        async with runtime.sessions() as session:
            await understander.prepare(session)
        readings = [(await understander.read(i.text, i.state)).understanding for i in items]
        utterances = score_utterances(items, readings)
    if (folder / CONVERSATIONS).exists():
        scripts = load_holdout_conversations(folder / CONVERSATIONS)
        conversations = [await run_conversation(runtime, script) for script in scripts]
    if utterances is None and conversations is None:
        raise ConfigurationError(f"{folder} holds neither {UTTERANCES} nor {CONVERSATIONS}")
    return format_holdout(utterances, conversations)


def _model_calls(runtime: Runtime, count: int, unit: str) -> str:
    """The model-calls line of a report; empty with the offline provider (nothing changes)."""
    llm = runtime.engine.llm
    if llm is None or not llm.service.enabled or not count:
        return ""
    stats = llm.service.stats
    kinds = ", ".join(f"{kind} {stats.calls[kind]}" for kind in sorted(stats.calls)) or "none"
    return (
        f"\nmodel: {llm.service.provider.name} {llm.service.model}"
        f"\nmodel calls per {unit}: {stats.total_calls / count:.3f}"
        f" ({stats.total_calls} calls: {kinds}; failures {sum(stats.failures.values())},"
        f" cache hits {stats.cache_hits}, skipped by the breaker {stats.skipped})"
    )
