"""Text out of a document, as blocks under their headings, read a page or a part at a time.

PDF (pypdf), DOCX (python-docx), HTML (BeautifulSoup with lxml), Markdown, CSV and plain text.
PDF and plain text have no marked headings: a short line that reads like a title is one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal
from zipfile import BadZipFile

from bs4 import BeautifulSoup
from docx import Document as open_docx
from docx.table import Table
from docx.text.paragraph import Paragraph
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from agent.errors import InvalidInputError

Kind = Literal["pdf", "docx", "html", "markdown", "csv", "text"]

KINDS: dict[str, Kind] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".csv": "csv",
    ".txt": "text",
    ".text": "text",
}
"""The format of a file by its extension."""

MEDIA_TYPES: dict[str, Kind] = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/markdown": "markdown",
    "text/csv": "csv",
    "text/plain": "text",
}
"""The format of a fetched page by its Content-Type."""

_TITLE_LINE = re.compile(r"^(?:(\d+(?:\.\d+)*)\.?\s+)?[A-ZÁÉÍÓÚÑ¿][^.!?;:]{2,79}$")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_MARKS = re.compile(r"(\*\*|__|`|!?\[([^\]]*)\]\([^)]*\))")
_HTML_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_HTML_BLOCKS = frozenset(
    {"p", "li", "tr", "pre", "blockquote", "dd", "dt", "figcaption", "caption", "address"}
)
_HTML_NOISE = ("script", "style", "noscript", "nav", "footer", "header", "form", "aside")


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph (or a table row) and the headings it sits under, outermost first."""

    headings: tuple[str, ...]
    text: str


class _Outline:
    """The current heading path while a document is read."""

    def __init__(self) -> None:
        self._levels: list[tuple[int, str]] = []

    def enter(self, level: int, title: str) -> None:
        self._levels = [(lv, t) for lv, t in self._levels if lv < level] + [(level, title)]

    def block(self, text: str) -> Block | None:
        text = " ".join(text.split())
        return Block(tuple(t for _, t in self._levels), text) if text else None


def kind_of(name: str) -> Kind:
    """The format of a file named `name`; unknown extensions are refused."""
    kind = KINDS.get(Path(name.split("?", 1)[0]).suffix.lower())
    if kind is None:
        known = ", ".join(sorted(KINDS))
        raise InvalidInputError(f"{name}: not a format the knowledge base reads ({known})")
    return kind


def blocks(data: IO[bytes], kind: Kind) -> Iterator[Block]:
    """The blocks of a document in reading order."""
    if kind == "pdf":
        return _pdf(data)
    if kind == "docx":
        return _docx(data)
    if kind == "html":
        return _html(data.read())
    text = _decode(data.read())
    if kind == "markdown":
        return _markdown(text.splitlines())
    if kind == "csv":
        return _csv(text)
    return _plain(text.splitlines())


def html_title(data: bytes) -> str | None:
    """A page's <title>, or its first <h1>."""
    soup = BeautifulSoup(data, "lxml")
    for tag in (soup.title, soup.find("h1")):
        if tag is not None and tag.get_text(strip=True):
            return " ".join(tag.get_text(" ", strip=True).split())
    return None


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _pdf(data: IO[bytes]) -> Iterator[Block]:
    try:
        reader = PdfReader(data)
        pages = reader.pages
        # One page's text at a time: a long PDF is never held whole as text.
        yield from _plain(
            line for page in pages for line in [*page.extract_text().splitlines(), ""]
        )
    except PyPdfError as err:
        raise InvalidInputError(f"not a readable PDF: {err}") from err


def _plain(lines: Iterable[str]) -> Iterator[Block]:
    """Paragraphs split at blank lines; a short title-like line between sentences (after one
    that ends, before one that starts with a capital) is a heading: unnumbered the outermost,
    `2.` and `2.1` one and two levels under it. A line after a colon is what the colon
    announces (`cuentas de ahorros:` then `Bancolombia, cuenta 123-456789-01`), never a
    heading; a numbered one after a blank line is a heading whatever follows it (`3. CÓMO
    PONERSE EL ARNÉS` then `a) Tome el arnés…`)."""
    outline = _Outline()
    paragraph: list[str] = []
    for line, following in _lookahead(lines):
        if not line:
            if paragraph and (block := outline.block(" ".join(paragraph))):
                yield block
            paragraph = []
            continue
        after_sentence = not paragraph or paragraph[-1].endswith((".", "?", "!", ";"))
        before_sentence = not following or following[:1].isupper() or following[:1].isdigit()
        title = _TITLE_LINE.match(line)
        numbered = bool(title and title[1]) and not paragraph
        between_sentences = after_sentence and before_sentence
        if title and (numbered or between_sentences) and len(line.split()) <= 10:
            if paragraph and (block := outline.block(" ".join(paragraph))):
                yield block
            paragraph = []
            outline.enter(title[1].count(".") + 2 if title[1] else 1, line)
        else:
            paragraph.append(line)
    if paragraph and (block := outline.block(" ".join(paragraph))):
        yield block


def _lookahead(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """Each stripped line with the next non-blank one ("" at the end)."""
    pending: list[str] = []
    for raw in lines:
        line = raw.strip()
        if line:
            for earlier in pending:
                yield earlier, line
            pending = [line]
        else:
            pending.append(line)
    for line in pending:
        yield line, ""


def _markdown(lines: Iterable[str]) -> Iterator[Block]:
    outline, fenced = _Outline(), False
    paragraph: list[str] = []
    for raw in lines:
        line = raw.rstrip()
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        heading = None if fenced else _MD_HEADING.match(line)
        if heading or not line.strip():
            if paragraph and (block := outline.block(" ".join(paragraph))):
                yield block
            paragraph = []
            if heading:
                outline.enter(len(heading[1]), _unmark(heading[2]))
            continue
        if set(line.strip()) <= set("|-: "):
            continue  # a table's rule line
        text = _unmark(line.strip().strip("|").replace("|", " · "))
        item = (
            line.lstrip().startswith(("- ", "* ", "+ ", "|"))
            or line.lstrip()[:3].rstrip(".").isdigit()
        )
        if item:
            if paragraph and (block := outline.block(" ".join(paragraph))):
                yield block  # a list item or a table row is a block of its own
            paragraph = []
        paragraph.append(text.lstrip("-*+ "))
    if paragraph and (block := outline.block(" ".join(paragraph))):
        yield block


def _unmark(text: str) -> str:
    return _MD_MARKS.sub(lambda m: m[2] if m[2] is not None else "", text)


def _csv(text: str) -> Iterator[Block]:
    """Each row as `column: value · column: value`."""
    dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if text.strip() else csv.excel
    rows = csv.reader(io.StringIO(text), dialect)
    header = next(rows, None)
    if header is None:
        return
    outline = _Outline()
    for row in rows:
        cells = [
            f"{name.strip()}: {value.strip()}"
            for name, value in zip(header, row, strict=False)
            if value.strip()
        ]
        if cells and (block := outline.block(" · ".join(cells) + ".")):
            yield block


def _docx(data: IO[bytes]) -> Iterator[Block]:
    try:
        document = open_docx(data)
    except (ValueError, KeyError, OSError, BadZipFile) as err:
        raise InvalidInputError(f"not a readable DOCX: {err}") from err
    outline = _Outline()
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells = [" ".join(c.text.split()) for c in row.cells]
                if block := outline.block(" · ".join(dict.fromkeys(c for c in cells if c))):
                    yield block
            continue
        level = _docx_heading(item)
        if level is not None and item.text.strip():
            outline.enter(level, " ".join(item.text.split()))
        elif block := outline.block(item.text):
            yield block


def _docx_heading(paragraph: Paragraph) -> int | None:
    """The level of a Heading N (Título N) paragraph; 1 for the Title style."""
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    if name in ("Title", "Título"):
        return 1
    parts = name.split()
    if len(parts) == 2 and parts[0] in ("Heading", "Título") and parts[1].isdigit():
        return int(parts[1])
    return None


def _html(data: bytes) -> Iterator[Block]:
    soup = BeautifulSoup(data, "lxml")
    for noise in soup.find_all(_HTML_NOISE):
        noise.decompose()
    root = soup.body or soup
    outline = _Outline()
    for tag in root.find_all(True):
        if tag.name in _HTML_HEADINGS:
            title = " ".join(tag.get_text(" ", strip=True).split())
            if title:
                outline.enter(_HTML_HEADINGS[tag.name], title)
        elif tag.name in _HTML_BLOCKS and not tag.find(_HTML_BLOCKS):
            cells = tag.find_all(("td", "th")) if tag.name == "tr" else []
            text = (
                " · ".join(c.get_text(" ", strip=True) for c in cells)
                if cells
                else tag.get_text(" ", strip=True)
            )
            if block := outline.block(text):
                yield block
