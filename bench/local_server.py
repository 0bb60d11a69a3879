"""A `salesagent serve` for a benchmark: a free local port, a fresh demo shop, stopped at the end.

The benchmarks run as scripts (`.venv/bin/python bench/NAME.py`), so they import this module by
its bare name from their own folder.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

START_SECONDS = 120


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def local_server(
    database_url: str | None,
    *,
    prefix: str,
    env: Mapping[str, str],
    staff: tuple[str, str] | None = None,
) -> Iterator[str]:
    """The server's URL until the block ends: on `database_url` or a fresh SQLite demo shop.

    `env` adds to the server's environment; `staff` (user name, password) creates a console
    account first with `salesagent staff create`.
    """
    port = free_port()
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        environment = {
            **os.environ,
            "DATABASE_URL": database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}",
            "AUTO_SEED_DEMO": "true",
            "LOG_LEVEL": "WARNING",
            **env,
        }
        if staff is not None:
            username, password = staff
            create = [sys.executable, "-m", "agent", "staff", "create", username]
            create += ["--name", "Bench", "--password-stdin"]
            subprocess.run(
                create, input=password + "\n", text=True, cwd=folder, env=environment, check=True
            )
        command = [sys.executable, "-m", "agent", "serve", "--port", str(port)]
        server = subprocess.Popen(command, cwd=folder, env=environment)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(server, url)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_healthy(server: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"the server did not start within {START_SECONDS} s")
        time.sleep(0.2)


def measure_server(
    measure: Callable[[str, argparse.Namespace], Coroutine[Any, Any, None]],
    args: argparse.Namespace,
    *,
    prefix: str,
    env: Mapping[str, str],
    staff: tuple[str, str] | None = None,
) -> None:
    """Run `measure` against `--url`, or against a local server started for the run."""
    if args.url:
        asyncio.run(measure(args.url.rstrip("/"), args))
        return
    with local_server(args.database_url, prefix=prefix, env=env, staff=staff) as url:
        asyncio.run(measure(url, args))


def database_label(args: argparse.Namespace) -> str:
    """The database a run measured, for its printed conditions."""
    if (args.database_url or "").startswith("postgres"):
        return "PostgreSQL"
    return "the server's database" if args.url else "SQLite"
