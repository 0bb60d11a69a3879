"""Run the Alembic migrations from code (start-up, CLI, tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_KEYWORD_INDEX = ("kb_chunks_fts", "ix_kb_chunks_terms_fts")
"""The knowledge base's keyword index (migration 0015): SQL the models cannot describe."""


def described_by_models(name: str | None, type_: str, _parents: object) -> bool:
    """Whether the models describe a table or index (Alembic's `include_name`): the FTS5 table
    (and its shadow tables) and the full-text GIN index are made by hand in the migration."""
    return not (name or "").startswith(_KEYWORD_INDEX)


def alembic_config(database_url: str) -> Config:
    """The project's Alembic configuration pointed at `database_url`."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema to `revision` (blocking; runs its own event loop)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    """Take the schema back to `revision` (blocking)."""
    command.downgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str) -> None:
    """`upgrade` from inside a running event loop."""
    await asyncio.to_thread(upgrade, database_url)
