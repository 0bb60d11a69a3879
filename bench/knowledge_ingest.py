"""Ingestion speed and memory of the knowledge base: many PDFs into a fresh database.

    .venv/bin/python bench/knowledge_ingest.py [--pdfs 100] [--pages 20] [--database-url URL]

Writes `--pdfs` PDFs of `--pages` pages each with fpdf2 (a heading and three paragraphs a page,
Spanish text from a fixed seed; not timed), then adds them one by one as `salesagent kb add`
does (pypdf a page at a time, passages with their headings, batched INSERTs, keyword index),
with a progress bar. Prints documents/s, pages/s, passages, the process's peak RSS after the
first tenth of the documents and at the end (memory is bounded when the two are close), and
the peak of Python's own allocations during one document (tracemalloc).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from fpdf import FPDF
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.db import create_engine, create_sessionmaker  # noqa: E402
from agent.knowledge import documents  # noqa: E402
from agent.knowledge.sources import from_path  # noqa: E402
from agent.migrate import upgrade_async  # noqa: E402

_WORDS = (
    "extintor recarga garantía casco guante bota arnés señal brigada inspección presión válvula "
    "manómetro cilindro polvo químico seco dióxido carbono norma técnica mantenimiento anual "
    "etiqueta certificado cliente pedido envío factura devolución cambio plazo días meses "
    "empresa seguridad industrial protección incendio evacuación ruta emergencia botiquín"
)
WORDS = _WORDS.split()


def _paragraph(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def write_pdfs(folder: Path, count: int, pages: int) -> int:
    """`count` PDFs of `pages` pages in `folder`; their total size in bytes."""
    rng = random.Random(17)
    total = 0
    for number in range(count):
        pdf = FPDF()
        pdf.set_auto_page_break(auto=True, margin=15)
        for page in range(pages):
            pdf.add_page()
            pdf.set_font("helvetica", "B", 14)
            pdf.multi_cell(
                0, 8, f"Sección {page + 1} del manual {number + 1}", new_x="LMARGIN", new_y="NEXT"
            )
            pdf.set_font("helvetica", size=11)
            for _ in range(3):
                pdf.multi_cell(0, 6, _paragraph(rng, 90), new_x="LMARGIN", new_y="NEXT")
                pdf.ln(3)
        path = folder / f"manual-{number + 1:03d}.pdf"
        path.write_bytes(bytes(pdf.output()))
        total += path.stat().st_size
    return total


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


async def ingest(url: str, files: list[Path]) -> None:
    """Add the PDFs to the database at `url`, and print the figures."""
    await upgrade_async(url)
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    tenth = max(1, len(files) // 10)
    rss_tenth = 0.0
    passages = 0
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    started = time.perf_counter()
    try:
        with Progress(*columns) as progress:
            task = progress.add_task("adding PDFs", total=len(files))
            for index, path in enumerate(files, 1):
                info = await documents.add(sessions, from_path(path, max_bytes=10**9))
                passages += info.chunks
                progress.advance(task)
                if index == tenth:
                    rss_tenth = _rss_mb()
        elapsed = time.perf_counter() - started
        tracemalloc.start()
        await documents.add(sessions, from_path(files[0], max_bytes=10**9))  # a replace
        _, python_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        await engine.dispose()
    print(f"documents: {len(files)}, passages: {passages}, seconds: {elapsed:.1f}")
    print(f"documents/s: {len(files) / elapsed:.2f}, passages/s: {passages / elapsed:.0f}")
    end = _rss_mb()
    print(f"peak RSS after {tenth} documents: {rss_tenth:.0f} MB; after {len(files)}: {end:.0f} MB")
    print(f"Python allocations' peak while adding one document again: {python_peak / 1e6:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pdfs", type=int, default=100)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "pdfs"
        folder.mkdir()
        started = time.perf_counter()
        size = write_pdfs(folder, args.pdfs, args.pages)
        print(
            f"wrote {args.pdfs} PDFs of {args.pages} pages ({size / 1e6:.1f} MB) "
            f"in {time.perf_counter() - started:.1f} s (not timed below)"
        )
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/kb.db"
        asyncio.run(ingest(url, sorted(folder.glob("*.pdf"))))


if __name__ == "__main__":
    main()
