"""API keys for the REST API tests, made as `salesagent apikey create` makes them."""

from __future__ import annotations

from agent.api_keys import create_key
from agent.db import create_engine, create_sessionmaker
from agent.settings import Settings


async def new_key(settings: Settings, name: str = "tests") -> str:
    """A fresh API key in the settings' database."""
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            _row, key = await create_key(session, name=name)
    finally:
        await engine.dispose()
    return key
