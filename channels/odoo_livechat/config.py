"""What the Odoo parts need from the settings, checked at start-up (a missing piece is named)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

from agent.errors import ConfigurationError
from agent.settings import Settings

MIN_SECRET_CHARS = 16
"""A shared secret shorter than this is refused: the addon generates 43 characters."""


@dataclass(frozen=True, slots=True)
class OdooConfig:
    """Where the shop's Odoo is and how to call it."""

    url: str
    database: str
    api_key: str | None
    user: str | None
    password: str | None
    version: Literal["auto", "18", "19"]
    timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> OdooConfig:
        """The connection settings; `ConfigurationError` names the first one missing."""
        missing = [
            name
            for name, value in (("ODOO_URL", settings.odoo_url), ("ODOO_DB", settings.odoo_db))
            if not (value or "").strip()
        ]
        api_key = _secret(settings.odoo_api_key)
        password = _secret(settings.odoo_password)
        if not api_key and not password:
            missing.append("ODOO_API_KEY")
        if settings.odoo_version == "18" and not settings.odoo_user:
            missing.append("ODOO_USER")
        if missing:
            raise ConfigurationError(
                f"{missing[0]} is required for the Odoo integration "
                f"(set {', '.join(missing)}; see README 'Odoo')"
            )
        assert settings.odoo_url is not None and settings.odoo_db is not None
        return cls(
            url=settings.odoo_url.strip().rstrip("/"),
            database=settings.odoo_db.strip(),
            api_key=api_key,
            user=(settings.odoo_user or "").strip() or None,
            password=password,
            version=settings.odoo_version,
            timeout=settings.odoo_timeout,
        )


def webhook_secret(settings: Settings) -> str:
    """The shared secret of the livechat webhooks; `ConfigurationError` when unusable."""
    secret = _secret(settings.odoo_webhook_secret)
    if not secret:
        raise ConfigurationError(
            "ODOO_WEBHOOK_SECRET is required when ODOO_LIVECHAT_ENABLED is true: copy the "
            "shared secret from Odoo (Settings > Sales agent)"
        )
    if len(secret) < MIN_SECRET_CHARS:
        raise ConfigurationError(
            f"ODOO_WEBHOOK_SECRET is too short ({len(secret)} characters, at least "
            f"{MIN_SECRET_CHARS}): use the secret the addon generated"
        )
    return secret


def odoo_wanted(settings: Settings) -> bool:
    """True when any Odoo part is switched on."""
    return (
        settings.odoo_livechat_enabled
        or settings.odoo_push_orders
        or settings.odoo_push_leads
        or settings.odoo_sync_products_minutes > 0
        or settings.odoo_shop
    )


def _secret(value: SecretStr | None) -> str | None:
    return (value.get_secret_value().strip() or None) if value is not None else None
