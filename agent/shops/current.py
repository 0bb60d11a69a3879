"""The shop the code running now works for: set where a request or a turn enters, read by the
scoping of every query (agent/shops/scoping.py) and by the default of every new row's `shop_id`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from agent.errors import SalesAgentError

DEFAULT_SHOP_ID = 1
"""The shop a single-shop install is: made by migration 0019, used when nothing says otherwise."""

_current: ContextVar[int | None] = ContextVar("salesagent_shop_id", default=DEFAULT_SHOP_ID)


class NoCurrentShop(SalesAgentError):
    """A row was made for no shop: code working across shops (`all_shops`) must name its shop."""


def current_shop_id() -> int | None:
    """The shop of the request or turn under way (the default shop when none was set); None
    inside `all_shops`."""
    return _current.get()


def new_row_shop_id() -> int:
    """The shop a new row belongs to when its maker did not say (the column's default)."""
    shop_id = _current.get()
    if shop_id is None:
        raise NoCurrentShop("a row made across shops needs its shop_id")
    return shop_id


def message_shop_id() -> int:
    """The shop a message made now is for: the current shop (the default one across shops)."""
    shop_id = _current.get()
    return DEFAULT_SHOP_ID if shop_id is None else shop_id


@contextmanager
def shop_scope(shop_id: int) -> Iterator[int]:
    """Work for `shop_id` inside the block: sessions opened in it see only that shop's rows."""
    token = _current.set(shop_id)
    try:
        yield shop_id
    finally:
        _current.reset(token)


@contextmanager
def all_shops() -> Iterator[None]:
    """Work across shops inside the block (the shop directory, jobs that serve every shop): no
    shop filter, and on PostgreSQL the row-level security lets every shop's rows through."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)
