"""Text that can be stored and sent back: no NUL character and no lone surrogate.

PostgreSQL refuses a NUL in text, and a lone surrogate (JSON's `"\\ud800"`) is not Unicode a
database or a UTF-8 socket can take. Both are refused where they come in (422 naming the field),
so a turn never meets them.
"""

from __future__ import annotations

from typing import Any

from agent.errors import InvalidInputError


def text_problem(value: str) -> str | None:
    """Why `value` is not storable text, or None when it is."""
    if "\x00" in value:
        return "must not contain NUL characters"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "must not contain lone surrogates (it is not valid Unicode)"
    return None


def require_clean(value: str | None, *, field: str) -> None:
    """`InvalidInputError` naming `field` when `value` is not storable text."""
    problem = text_problem(value) if value is not None else None
    if problem is not None:
        raise InvalidInputError(f"{field}: {problem}", field=field)


def first_unclean(data: Any) -> tuple[str, str] | None:
    """The first string (key or value) of decoded JSON that is not storable text: its field
    (`message`, `items.0.name`; `body` at the top) and the problem; None when all are."""
    stack: list[tuple[tuple[str, ...], Any]] = [((), data)]
    while stack:  # a loop, not recursion: the nesting is the sender's to choose
        path, value = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem is not None:
                return ".".join(path) or "body", problem
        elif isinstance(value, dict):
            for key, item in value.items():
                problem = text_problem(key)
                if problem is not None:
                    return ".".join(path) or "body", f"a field name {problem}"
                stack.append(((*path, _printable(key)), item))
        elif isinstance(value, list):
            stack.extend(((*path, str(i)), item) for i, item in enumerate(value))
    return None


def _printable(key: str) -> str:
    return key if len(key) <= 64 else key[:61] + "..."
