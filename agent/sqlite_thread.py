"""SQLite under SQLAlchemy's asyncio with one hand-over to the connection's thread per statement.

aiosqlite runs each connection in a thread of its own and SQLAlchemy's adapter hands it every
step of a statement apart: make a cursor, execute, fetch the rows, close; each hand-over wakes
that thread and then the event loop, the GIL passing twice, which on a busy machine costs more
than SQLite's work. Here a statement goes to the thread once and comes back whole (its rows,
row count, last row id), a transaction's BEGIN travels with its first statement, and a COMMIT or
ROLLBACK with nothing open is not sent. The connection, its thread, its closing and its errors
are still aiosqlite's, and the dialect still SQLAlchemy's `sqlite+aiosqlite`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_

_BEGINS = frozenset({"BEGIN", "BEGIN IMMEDIATE", "BEGIN DEFERRED", "BEGIN EXCLUSIVE"})

_Outcome = tuple[Any, list[Any], int, int | None, bool]
"""What a statement brings back from the thread: description, rows, row count, last row id,
and whether a transaction is open after it."""


def _run(
    conn: sqlite3.Connection, begin: str | None, operation: str, parameters: Any, many: bool
) -> _Outcome:
    """In the connection's thread: BEGIN if one waits, the statement, all its rows."""
    if begin is not None:
        conn.execute(begin)
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid, conn.in_transaction
    finally:
        cursor.close()


class WholeStatementCursor:
    """A DBAPI cursor whose statement runs whole in one hand-over; its rows wait here."""

    server_side = False
    arraysize = 1

    def __init__(self, connection: OneHandOverConnection) -> None:
        self._adapt_connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []
        self._next = 0

    def execute(self, operation: str, parameters: Any = None) -> None:
        self._adapt_connection._statement(self, operation, parameters, many=False)

    def executemany(self, operation: str, seq_of_parameters: Sequence[Any]) -> None:
        self._adapt_connection._statement(self, operation, seq_of_parameters, many=True)

    def _take(self, outcome: _Outcome) -> None:
        self.description, self._rows, self.rowcount, self.lastrowid, _open = outcome
        self._next = 0

    def fetchone(self) -> Any:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchmany(self, size: int | None = None) -> list[Any]:
        start = self._next
        self._next = min(len(self._rows), start + (size or self.arraysize))
        return self._rows[start : self._next]

    def fetchall(self) -> list[Any]:
        start, self._next = self._next, len(self._rows)
        return self._rows[start:] if start else self._rows

    def __iter__(self) -> Iterator[Any]:
        while (row := self.fetchone()) is not None:
            yield row

    def setinputsizes(self, *_sizes: Any) -> None:
        return None

    def setoutputsize(self, *_args: Any) -> None:
        return None

    def close(self) -> None:
        self._rows = []

    async def _async_soft_close(self) -> None:
        """Nothing waits in the thread: the statement's cursor there is closed already."""
        return None


class OneHandOverConnection(AsyncAdapt_aiosqlite_connection):
    """aiosqlite's connection under SQLAlchemy, one hand-over per statement or commit."""

    __slots__ = ("_begin", "_open")
    _cursor_cls = WholeStatementCursor  # type: ignore[assignment]

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._begin: str | None = None
        """A BEGIN asked for and not sent yet: it goes with the next statement."""
        self._open = False
        """Whether the thread's connection is inside a transaction."""

    def _statement(
        self, cursor: WholeStatementCursor, operation: str, parameters: Any, *, many: bool
    ) -> None:
        if not many and self._begin is None and operation.strip().upper() in _BEGINS:
            self._begin = operation
            cursor._take((None, [], -1, None, True))
            return
        begin, self._begin = self._begin, None
        aio = self._connection
        try:
            outcome = await_(aio._execute(_run, aio._conn, begin, operation, parameters, many))
        except Exception as error:
            self._open = True  # the thread knows; a ROLLBACK will ask it
            self._handle_exception(error)
        self._open = outcome[4]
        cursor._take(outcome)

    def _settle(self) -> bool:
        """Forget a BEGIN not sent; whether a transaction is open in the thread to end."""
        self._begin = None
        return self._open and self._connection._connection is not None

    def commit(self) -> None:
        if self._settle():
            super().commit()
            self._open = False

    def rollback(self) -> None:
        if self._settle():
            super().rollback()
            self._open = False


class OneHandOverDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The `module` for `sqlite+aiosqlite` engines whose connections are `OneHandOverConnection`."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> OneHandOverConnection:
        adapted = super().connect(*arg, **kw)
        return OneHandOverConnection(self, adapted._connection)
