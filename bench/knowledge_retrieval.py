"""Retrieval quality of the knowledge base over a questions file (recall@k and "No sé").

    .venv/bin/python bench/knowledge_retrieval.py [--set tests/eval/knowledge] [--k 3]
        [--documents FOLDER] [--embeddings off|gemini|ollama] [--database-url URL]

Adds every document of `SET/documents` (or `--documents`: a question set over another set's
documents) to a fresh database (a SQLite file by default) and asks
each question of `SET/questions.jsonl` (`{"id", "lang", "question", "document",
"answer_contains"}`, README of the set). With `--embeddings`, vectors come from the tests'
local protocol server (tests/fixtures/llm_servers.py: fake but protocol-true vectors, through
the official SDK) and the rankings are fused.

Figures, overall and per language:
- document recall@k: a question whose `document` is among the documents of the top k passages;
- passage recall@k: one of the top k passages holds every `answer_contains` string;
- answered: the agent would answer (a passage above KB_MIN_MATCH) a question that has a
  document; "No sé" right: it would not answer one that has none (`document: null`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))  # not tests/: tests/agent would shadow agent

from llm_servers import GEMINI_KEY, ScriptedServer, running  # noqa: E402

from agent.db import create_engine, create_sessionmaker  # noqa: E402
from agent.knowledge import documents  # noqa: E402
from agent.knowledge.embeddings import Embedder, GeminiEmbedder, OllamaEmbedder  # noqa: E402
from agent.knowledge.search import KnowledgeBase  # noqa: E402
from agent.knowledge.sources import from_path  # noqa: E402
from agent.migrate import upgrade_async  # noqa: E402
from agent.settings import Settings  # noqa: E402


def _embedder(kind: str, server: ScriptedServer) -> Embedder:
    if kind == "gemini":
        return GeminiEmbedder(
            api_key=GEMINI_KEY, model="gemini-embedding-001", base_url=server.url, timeout=30
        )
    return OllamaEmbedder(host=server.url, model=ScriptedServer.model, timeout=30)


def _holds(text: str, strings: list[str]) -> bool:
    plain = " ".join(text.split())
    return all(" ".join(s.split()) in plain for s in strings)


async def evaluate(
    url: str, folder: Path, shelf: list[Path], embedder: Embedder | None, k: int
) -> dict[str, dict[str, float]]:
    """The figures per language (and `all`) of `folder`'s questions over the `shelf` files."""
    await upgrade_async(url)
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    sizes = documents.Sizes.from_settings(settings)
    try:
        for path in shelf:
            source = from_path(path, max_bytes=10**8)
            await documents.add(sessions, source, sizes=sizes, embedder=embedder)
        base = KnowledgeBase(sessions, embedder=embedder, min_match=settings.kb_min_match)
        counts: dict[str, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
        lines = (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        for line in lines:
            if not line.strip():
                continue
            item: dict[str, Any] = json.loads(line)
            found = await base.search(item["question"], limit=k)
            vector = await base.vector(item["question"])
            async with sessions() as session:
                answer = await base.answer_in(session, item["question"], vector=vector)
            for group in ("all", item["lang"]):
                tally = counts[group]
                if item["document"] is None:
                    tally["unanswerable"] += 1
                    tally["no_se_right"] += answer is None
                    continue
                tally["answerable"] += 1
                held = [path for path in shelf if path.name == item["document"]]
                if not held:
                    raise SystemExit(f"{item['id']}: {item['document']} is not among the documents")
                wanted = str(held[0].resolve())
                tally["document_hit"] += any(p.source == wanted for p in found)
                tally["passage_hit"] += any(
                    p.source == wanted and _holds(p.text, item["answer_contains"]) for p in found
                )
                tally["answered"] += answer is not None
    finally:
        if embedder is not None:
            await embedder.close()
        await engine.dispose()
    figures: dict[str, dict[str, float]] = {}
    for group, tally in counts.items():
        answerable = max(tally["answerable"], 1)
        figures[group] = {
            "questions": tally["answerable"] + tally["unanswerable"],
            "document_recall": tally["document_hit"] / answerable,
            "passage_recall": tally["passage_hit"] / answerable,
            "answered": tally["answered"] / answerable,
            "no_se_right": tally["no_se_right"] / max(tally["unanswerable"], 1),
            "unanswerable": tally["unanswerable"],
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", type=Path, default=ROOT / "tests" / "eval" / "knowledge")
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--documents", type=Path, default=None, help="default: SET/documents")
    parser.add_argument("--embeddings", choices=("off", "gemini", "ollama"), default="off")
    parser.add_argument("--database-url", default=None, help="default: a SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        embedder = None
        if args.embeddings != "off":
            embedder = _embedder(args.embeddings, stack.enter_context(running()))
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/kb.db"
        shelf = sorted((args.documents or args.set / "documents").iterdir())
        figures = asyncio.run(evaluate(url, args.set, shelf, embedder, args.k))
    print(f"embeddings: {args.embeddings}, k = {args.k}")
    for group in sorted(figures, key=lambda g: g != "all"):
        f = figures[group]
        print(
            f"{group:>3}: {f['questions']:.0f} questions; document recall@{args.k} "
            f"{f['document_recall']:.3f}, passage recall@{args.k} {f['passage_recall']:.3f}, "
            f'answered {f["answered"]:.3f}; "No sé" right {f["no_se_right"]:.3f} '
            f"of {f['unanswerable']:.0f}"
        )


if __name__ == "__main__":
    main()
