"""The one settings class, read from the environment and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_SHOP_DIR = Path(__file__).parent / "demo_shop"


class Settings(BaseSettings):
    """Everything the product can be told from outside; `env.example` documents each."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite+aiosqlite:///./salesagent.db"
    database_echo: bool = False

    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"

    shop_name: str = "Extintores y Seguridad Industrial del Risaralda"
    company_file: Path = DEMO_SHOP_DIR / "company.yaml"
    default_language: Literal["es", "en"] = "es"
    currency: str = "COP"

    session_idle_hours: float = Field(default=24.0, gt=0)
    memory_messages: int = Field(default=10, ge=1, le=100)
    max_message_chars: int = Field(default=4000, ge=100)
    nlu_confidence_threshold: float = Field(default=0.6, ge=0, le=1)
    search_results: int = Field(default=5, ge=1, le=20)
    catalog_refresh_seconds: float = Field(default=1.0, ge=0)
    auto_seed_demo: bool = True

    web_allowed_origins: str = ""
    """Sites (comma-separated origins) whose pages may open the web chat; its own always may."""
    web_heartbeat_seconds: float = Field(default=25.0, gt=0)
    """How often the web chat socket sends a `ping` event to keep the connection alive."""

    # Rate limits (token buckets): a sustained rate per minute and a burst; 0 turns one off.
    api_rate_limit_per_minute: float = Field(default=600, ge=0)
    api_rate_limit_burst: int = Field(default=100, ge=1)
    chat_rate_limit_per_minute: float = Field(default=60, ge=0)
    chat_rate_limit_burst: int = Field(default=20, ge=1)
    forwarded_allow_ips: str = ""
    """Proxies (IPs or CIDRs, comma-separated) trusted to set X-Forwarded-For; none if empty."""

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        """Accept the usual URL spellings and pick the async driver for them."""
        if url.startswith(("postgres://", "postgresql://")):
            return "postgresql+asyncpg://" + url.split("://", 1)[1]
        if url.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
        return url

    @property
    def is_sqlite(self) -> bool:
        """True when the embedded SQLite database is in use."""
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
