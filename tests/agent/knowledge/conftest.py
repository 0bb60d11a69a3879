"""The knowledge base's tests' database: SQLite or PostgreSQL, migrated and empty."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.migrate import upgrade


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def kb_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of either kind."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'kb.db'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    upgrade(url)
    return url
