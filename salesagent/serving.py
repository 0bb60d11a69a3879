"""uvicorn's server as `salesagent serve` runs it: once it listens it says where the shop's pages
are (and how to make the first console account); a start-up the app refused for a product error
(a setting missing, say) is reported as its message alone, without uvicorn's traceback."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from agent.errors import SalesAgentError
from agent.staff import has_manager
from salesagent.runtime import Runtime


class ShopServer(uvicorn.Server):
    """A uvicorn server that announces the shop's addresses once it listens."""

    def __init__(
        self, config: uvicorn.Config, *, announce: Callable[[str], None], tracebacks: bool
    ) -> None:
        super().__init__(config)
        self.announce = announce
        self.refused: SalesAgentError | None = None
        """The product error the app's start-up stopped at, for the caller to print."""
        if not tracebacks:
            logging.getLogger("uvicorn.error").addFilter(self._hide_refusal)

    def _hide_refusal(self, record: logging.LogRecord) -> bool:
        """Keep uvicorn's error records, except its report (the traceback, "Application startup
        failed") of a start-up refused by a product error."""
        assert isinstance(self.config.app, FastAPI)
        refused = getattr(self.config.app.state, "startup_error", None)
        if record.levelno < logging.ERROR or not isinstance(refused, SalesAgentError):
            return True
        self.refused = refused
        return False

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)  # exits with code 3 when the start-up fails
        assert isinstance(self.config.app, FastAPI)
        runtime: Runtime = self.config.app.state.runtime
        async with runtime.sessions() as session:
            manager = await has_manager(session)
        self.announce(banner(self._address(), shop=runtime.settings.shop_name, manager=manager))

    def _address(self) -> str:
        host = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(self.config.host, self.config.host)
        port = self.config.port
        if port == 0 and self.servers:  # a free port the system chose
            port = self.servers[0].sockets[0].getsockname()[1]
        return f"http://{host}:{port}"


def banner(base: str, *, shop: str, manager: bool) -> str:
    """What `salesagent serve` prints once the shop is open."""
    lines = [
        f"{shop} is open at {base}",
        f"  chat widget (demo page)  {base}/",
        f"  staff console            {base}/console",
        f"  dashboard (managers)     {base}/console/dashboard",
        f"  API documentation        {base}/docs  (or {base}/redoc)",
    ]
    if not manager:
        lines += [
            "No manager account yet. Create the first one (it asks for a password), then log in",
            "to the console with it:",
            f'  {program()} staff create admin --name "Your name" --role manager',
        ]
    lines.append("Press Ctrl+C to stop.")
    return "\n".join(lines)


def program() -> str:
    """How to run this command again from here: `salesagent`, `.venv/bin/salesagent`, or
    `python -m agent`."""
    called = Path(sys.argv[0])
    if called.name != "salesagent":
        return "python -m agent"
    found = shutil.which("salesagent", path=os.environ.get("PATH"))
    if found is not None and Path(found).resolve() == called.resolve():
        return "salesagent"
    return str(called)
