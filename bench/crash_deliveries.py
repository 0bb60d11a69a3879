"""Replies lost or sent twice when `salesagent serve` is killed with SIGKILL mid-burst.

    .venv/bin/python bench/crash_deliveries.py [--kills 5] [--chats 8] [--answer-delay 0.3]
        [--database-url URL]

Runs the crash test's harness (tests/fixtures/crash_burst.py): a local Twilio that answers
`--answer-delay` seconds after accepting a message; `salesagent serve` on a fresh SQLite demo
shop (or `--database-url`, an empty database: migrated and seeded on the first start); every
chat writes at once, the process is killed as soon as Twilio accepted a reply of the burst,
then restarted; `--kills` times, and the last process finishes. Prints kills, chats, messages,
replies, lost, duplicated, the messages in flight at each kill, and how long each restart
took to deliver what the killed process left (from its first answer to /health).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))  # first: tests/agent must not shadow agent

from fixtures.crash_burst import crash_run  # noqa: E402

from agent.migrate import upgrade  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--chats", type=int, default=8)
    parser.add_argument("--answer-delay", type=float, default=0.3)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crash-") as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'shop.db'}"
        if args.database_url is None:
            upgrade(url)
        figures = asyncio.run(
            crash_run(
                url,
                kills=args.kills,
                chats=args.chats,
                answer_delay=args.answer_delay,
                settle_within=120,
            )
        )
    print(f"database              {url.split(':', 1)[0]}")
    print("\n".join(figures.lines()))


if __name__ == "__main__":
    main()
