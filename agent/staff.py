"""Staff accounts and console sessions: scrypt password hashes, session tokens stored hashed.

A password is hashed with scrypt (OWASP's parameters: N=2^17, r=8, p=1, about 128 MiB and a
few hundred milliseconds), its parameters and salt kept with the hash so they can be raised
later. A session cookie is 32 random bytes; the database keeps its SHA-256 and the session's
CSRF token, so a leaked database opens no session.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from agent.errors import InvalidInputError, NotFoundError
from agent.models import Staff, StaffRole, StaffSession, utcnow

SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=HASH_BYTES
    )


def hash_password(password: str) -> str:
    """The stored form of `password`: `scrypt$N$r$p$salt$hash`."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches the stored hash (compared in constant time)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, _unb64(digest))


@functools.cache
def _decoy() -> str:
    """Checked against when the user name is unknown, so both cases take the same time."""
    return hash_password(secrets.token_urlsafe(16))


def _verify(password: str, stored: str | None) -> bool:
    # An unknown user is checked against a decoy hash: the answer takes as long either way.
    return verify_password(password, stored or _decoy()) and stored is not None


def check_password(password: str) -> None:
    """InvalidInputError when a new password is too weak to be accepted."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInputError(
            f"the password needs at least {MIN_PASSWORD} characters", field="password"
        )
    if len(password) > MAX_PASSWORD:
        raise InvalidInputError("the password is too long", field="password")
    if len(set(password)) < 4:
        raise InvalidInputError("the password repeats too few characters", field="password")


def normalize_username(username: str) -> str:
    """A user name as stored: lowercase, 2 to 64 of a-z 0-9 . _ -."""
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise InvalidInputError(
            "a user name has 2 to 64 characters: letters a-z, digits, '.', '_' or '-'",
            field="username",
        )
    return name


async def create_staff(
    session: AsyncSession, *, username: str, name: str, role: StaffRole, password: str
) -> Staff:
    """A new staff account; InvalidInputError for a taken user name or a weak password."""
    username = normalize_username(username)
    check_password(password)
    if not name.strip():
        raise InvalidInputError("the name must not be empty", field="name")
    taken = await session.scalar(select(Staff.id).where(Staff.username == username))
    if taken is not None:
        raise InvalidInputError(f"the user name {username!r} is taken", field="username")
    hashed = await asyncio.to_thread(hash_password, password)
    staff = Staff(username=username, name=name.strip()[:100], role=role, password_hash=hashed)
    session.add(staff)
    await session.commit()
    return staff


async def list_staff(session: AsyncSession) -> list[Staff]:
    """Every account, by user name."""
    return list((await session.execute(select(Staff).order_by(Staff.username))).scalars())


async def has_manager(session: AsyncSession) -> bool:
    """Whether an active manager account exists (the console's first login needs one)."""
    found = await session.scalar(
        select(Staff.id).where(Staff.active.is_(True), Staff.role == StaffRole.MANAGER).limit(1)
    )
    return found is not None


async def find_staff(session: AsyncSession, username: str) -> Staff:
    """The account with this user name; NotFoundError otherwise."""
    staff = await session.scalar(select(Staff).where(Staff.username == username.strip().lower()))
    if staff is None:
        raise NotFoundError(f"no staff account named {username!r}")
    return staff


async def set_password(session: AsyncSession, username: str, password: str) -> Staff:
    """Change the password and end every session of the account."""
    check_password(password)
    staff = await find_staff(session, username)
    staff.password_hash = await asyncio.to_thread(hash_password, password)
    await session.execute(delete(StaffSession).where(StaffSession.staff_id == staff.id))
    await session.commit()
    return staff


async def set_active(session: AsyncSession, username: str, active: bool) -> Staff:
    """Enable or disable an account; disabling ends its sessions."""
    staff = await find_staff(session, username)
    staff.active = active
    if not active:
        await session.execute(delete(StaffSession).where(StaffSession.staff_id == staff.id))
    await session.commit()
    return staff


async def authenticate(session: AsyncSession, username: str, password: str) -> Staff | None:
    """The active account these credentials open, or None (the same time either way)."""
    staff = await session.scalar(select(Staff).where(Staff.username == username.strip().lower()))
    stored = staff.password_hash if staff is not None else None
    good = await asyncio.to_thread(_verify, password[:MAX_PASSWORD], stored)
    if staff is None or not good or not staff.active:
        return None
    return staff


@dataclass(frozen=True, slots=True)
class Login:
    """A console session just opened: the cookie value (shown once) and its CSRF token."""

    token: str
    csrf_token: str
    expires_at: datetime


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(session: AsyncSession, staff: Staff, *, hours: float) -> Login:
    """Start a session for `staff`, lasting `hours`."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + timedelta(hours=hours)
    session.add(
        StaffSession(
            staff_id=staff.id,
            token_hash=_token_hash(token),
            csrf_token=csrf,
            created_at=now,
            expires_at=expires,
            last_seen_at=now,
        )
    )
    staff.last_login_at = now
    await session.execute(
        delete(StaffSession).where(StaffSession.staff_id == staff.id, StaffSession.expires_at < now)
    )
    await session.commit()
    return Login(token, csrf, expires)


async def find_session(session: AsyncSession, token: str) -> StaffSession | None:
    """The live session of a cookie value (its account active), or None."""
    if not token or len(token) > 200:
        return None
    row = await session.scalar(
        select(StaffSession).where(StaffSession.token_hash == _token_hash(token))
    )
    if row is None or row.expires_at <= utcnow() or not row.staff.active:
        return None
    if utcnow() - row.last_seen_at > timedelta(minutes=1):
        await session.execute(
            update(StaffSession).where(StaffSession.id == row.id).values(last_seen_at=utcnow())
        )
        await session.commit()
    return row


async def close_session(session: AsyncSession, token: str) -> None:
    """End the session of a cookie value (logging out)."""
    await session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    await session.commit()
