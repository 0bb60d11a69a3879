"""Jinja2 templates kept in a package's `templates/` folder, autoescaped: text is escaped as shown.

Templates are written one tag a line; the line breaks and the indentation after them are dropped
when a template is loaded, so a page comes out as one line, as it did when it was built from
joined strings (a line break between two inline tags would show as a gap). A space that must
stay is written inside a line, never at its end, and no `{{ }}` or `{% %}` spans two lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from jinja2.ext import Extension
from markupsafe import Markup

LINE_BREAK = re.compile(r"\n[ \t]*")


class JoinLines(Extension):
    """Drops every line break of a template's source with the indentation that follows it."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        """The source as one line."""
        return LINE_BREAK.sub("", source)


class Templates:
    """The templates of one package, with the filters and the constant values they use."""

    def __init__(
        self,
        package: str,
        *,
        filters: dict[str, Callable[..., Any]],
        constants: dict[str, object],
    ) -> None:
        self.environment = Environment(
            loader=PackageLoader(package, "templates"),
            autoescape=select_autoescape(),
            undefined=StrictUndefined,
            extensions=[JoinLines],
        )
        self.environment.filters.update(filters)
        self.environment.globals.update(constants)

    def render(self, name: str, **values: object) -> Markup:
        """The template `name` filled with `values`: safe HTML, to answer or to put in a page."""
        return Markup(self.environment.get_template(name).render(values))
