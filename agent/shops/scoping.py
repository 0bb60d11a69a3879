"""The one place every ORM query is limited to the current shop, and every new row stamped.

Sessions made by `agent.db.create_sessionmaker` are `ShopSession`s. Their shop is
`session.info["shop_id"]` when the code set it, else the shop of the request or turn under way
(`agent.shops.current`). Every SELECT, UPDATE and DELETE of a shop-owned model gets the criterion
`shop_id = <shop>` (also on joined, aliased and related rows); every new shop-owned row gets the
shop's id; on PostgreSQL each transaction tells the database the shop, for row-level security
(migration 0020). Core statements run on a bare connection are not seen here: those of the
product (exports, the knowledge base's keyword index) name their shop themselves.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, with_loader_criteria

from agent.errors import ConflictError
from agent.models import ShopOwned
from agent.shops.current import NoCurrentShop, current_shop_id

SHOP_KEY = "shop_id"
"""The key of `Session.info` that pins a session to a shop (None: across shops)."""


class ShopMismatch(ConflictError):
    """A new row names a shop other than its session's."""


class ShopSession(Session):
    """A session that sees and writes one shop's rows (see the module's docstring)."""


def session_shop_id(session: Session) -> int | None:
    """The shop `session` works for; None when it works across shops."""
    if SHOP_KEY in session.info:
        shop_id: int | None = session.info[SHOP_KEY]
        return shop_id
    return current_shop_id()


def tell_database(connection: Connection, shop_id: int | None) -> None:
    """Tell PostgreSQL whose rows this transaction may touch (row-level security, 0020)."""
    connection.execute(
        text(
            "SELECT set_config('salesagent.shop_id', :shop, true), "
            "set_config('salesagent.all_shops', :every, true)"
        ),
        {"shop": "" if shop_id is None else str(shop_id), "every": "on" if shop_id is None else ""},
    )


@event.listens_for(ShopSession, "do_orm_execute")
def _only_this_shop(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the criterion travels with the statement that loaded the parent
    shop_id = session_shop_id(state.session)
    if shop_id is None:
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            ShopOwned,
            lambda cls: cls.shop_id == shop_id,
            include_aliases=True,
        )
    )


@event.listens_for(ShopSession, "before_flush")
def _stamp_new_rows(session: Session, _context: Any, _instances: Any) -> None:
    shop_id = session_shop_id(session)
    for row in session.new:
        if not isinstance(row, ShopOwned):
            continue
        given = vars(row).get("shop_id")  # None until its maker or this hook sets it
        if given is None:
            if shop_id is None:
                raise NoCurrentShop(f"a new {type(row).__name__} across shops needs its shop_id")
            row.shop_id = shop_id
        elif shop_id is not None and given != shop_id:
            raise ShopMismatch(f"a row of shop {given} in a session of shop {shop_id}")


@event.listens_for(ShopSession, "after_begin")
def _tell_postgres(session: Session, _transaction: SessionTransaction, connection: Any) -> None:
    if connection.dialect.name != "postgresql":
        return
    shop_id = session_shop_id(session)
    if shop_id != current_shop_id():  # the engine's begin told it the context's shop
        tell_database(connection, shop_id)
