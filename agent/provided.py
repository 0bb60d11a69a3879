"""What the wiring builds and the routes take, without a route importing the wiring.

Each part a route needs has a key: its name on the app's state and its type. The wiring
(salesagent/app.py) gives the app every part when it starts; a route takes one through an
`Annotated` alias of its key, checked by type. The core's parts have their keys here; an edge
declares the keys of its own parts beside its routes (channels/deps.py, console/auth.py,
exports/routes.py, storage/routes.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Generic, TypeVar

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import HTTPConnection

from agent.catalog.search import ProductIndex
from agent.channel import OutputChannel
from agent.company import CompanyInfo
from agent.engine import TurnEngine
from agent.errors import ConfigurationError
from agent.outbox import OutboxDispatcher
from agent.settings import Settings

T = TypeVar("T")


class Provided(Generic[T]):
    """A part the wiring gives the app and the routes take, by its name on `app.state`."""

    def __init__(self, name: str, kind: type[T]) -> None:
        self.name = name
        self.kind = kind

    def give(self, app: Starlette, part: T | None) -> None:
        """Hand the app its part (nothing when the product runs without one)."""
        if part is not None:
            setattr(app.state, self.name, part)

    def find(self, connection: HTTPConnection) -> T | None:
        """The app's part, or None when it runs without one."""
        part = getattr(connection.app.state, self.name, None)
        return part if isinstance(part, self.kind) else None

    def get(self, connection: HTTPConnection) -> T:
        """The app's part, for a request or a socket (a FastAPI dependency)."""
        part = self.find(connection)
        if part is None:
            raise ConfigurationError(f"this app runs without its {self.name}")
        return part


SETTINGS = Provided("settings", Settings)
SESSIONS: Provided[async_sessionmaker[AsyncSession]] = Provided("sessions", async_sessionmaker)
ENGINE = Provided("engine", TurnEngine)
DISPATCHER = Provided("dispatcher", OutboxDispatcher)
INDEX = Provided("index", ProductIndex)
COMPANY = Provided("company", CompanyInfo)
OUTPUTS: Provided[dict[str, OutputChannel]] = Provided("outputs", dict)
"""Every channel's output, by the channel's name (what the outbox delivers through)."""

SettingsDep = Annotated[Settings, Depends(SETTINGS.get)]
SessionsDep = Annotated[async_sessionmaker[AsyncSession], Depends(SESSIONS.get)]
EngineDep = Annotated[TurnEngine, Depends(ENGINE.get)]
DispatcherDep = Annotated[OutboxDispatcher, Depends(DISPATCHER.get)]
IndexDep = Annotated[ProductIndex, Depends(INDEX.get)]
CompanyDep = Annotated[CompanyInfo, Depends(COMPANY.get)]
OutputsDep = Annotated[dict[str, OutputChannel], Depends(OUTPUTS.get)]


async def get_session(sessions: SessionsDep) -> AsyncIterator[AsyncSession]:
    """A database session for one request."""
    async with sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
