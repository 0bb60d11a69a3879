"""API keys for the shop's REST API: random, shown once, stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from agent.errors import InvalidInputError, NotFoundError
from agent.models import ApiKey, utcnow

KEY_PREFIX = "sk_live_"
DISPLAY_LENGTH = len(KEY_PREFIX) + 6
"""Characters kept in clear for display: `sk_live_Ab12Cd`, enough to tell keys apart."""

LAST_USED_RESOLUTION = timedelta(minutes=1)
"""`last_used_at` is written at most this often per key, so reading the API costs no writes."""


def generate_key() -> str:
    """A new key: the prefix and 32 URL-safe random characters (192 bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(24)


def hash_key(key: str) -> str:
    """The SHA-256 of a key, in hex: what the database holds."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


async def create_key(session: AsyncSession, *, name: str) -> tuple[ApiKey, str]:
    """Store a new key named `name`; returns the row and the key, which is never stored."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInputError("a key needs a name of 1 to 100 characters", field="name")
    key = generate_key()
    row = ApiKey(name=name, prefix=key[:DISPLAY_LENGTH], key_hash=hash_key(key))
    session.add(row)
    await session.commit()
    return row, key


async def list_keys(session: AsyncSession) -> Sequence[ApiKey]:
    """Every key, oldest first (revoked ones too)."""
    return (await session.execute(select(ApiKey).order_by(ApiKey.id))).scalars().all()


async def revoke_key(session: AsyncSession, *, id_or_prefix: str) -> ApiKey:
    """Revoke the key with this id or display prefix; revoking twice keeps the first date."""
    conditions = [ApiKey.prefix == id_or_prefix]
    if id_or_prefix.isdigit():
        conditions.append(ApiKey.id == int(id_or_prefix))
    rows = (await session.execute(select(ApiKey).where(or_(*conditions)))).scalars().all()
    if not rows:
        raise NotFoundError(f"no API key has the id or prefix {id_or_prefix!r}")
    if len(rows) > 1:
        ids = ", ".join(str(row.id) for row in rows)
        raise InvalidInputError(
            f"{id_or_prefix!r} names several keys ({ids}); give the id", field="id_or_prefix"
        )
    row = rows[0]
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        await session.commit()
    return row


async def authenticate(session: AsyncSession, *, key: str) -> ApiKey | None:
    """The active key matching `key`, or None; notes when it was last used (once a minute)."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    digest = hash_key(key)
    row = await session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
    # The lookup is by hash (an attacker cannot steer it); the comparison is constant-time
    # anyway so that no code path compares secrets byte by byte.
    if row is None or not hmac.compare_digest(row.key_hash, digest) or row.revoked_at is not None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        # Conditional: of many requests racing after a quiet minute, one writes.
        await session.execute(
            update(ApiKey)
            .where(
                ApiKey.id == row.id,
                or_(
                    ApiKey.last_used_at.is_(None),
                    ApiKey.last_used_at < now - LAST_USED_RESOLUTION,
                ),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        await session.commit()
    return row
