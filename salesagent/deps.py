"""FastAPI dependencies as `Annotated` aliases, so routes stay thin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, cast

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from agent.engine import TurnEngine
from agent.settings import Settings
from salesagent.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    """The process's runtime, created in the app's lifespan."""
    return cast(Runtime, request.app.state.runtime)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_engine(runtime: RuntimeDep) -> TurnEngine:
    """The turn engine."""
    return runtime.engine


def get_settings(runtime: RuntimeDep) -> Settings:
    """The settings the runtime was built from."""
    return runtime.settings


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """A database session for one request."""
    async with runtime.sessions() as session:
        yield session


EngineDep = Annotated[TurnEngine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
