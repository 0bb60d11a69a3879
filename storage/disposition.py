"""The `Content-Disposition` header that makes a browser save a download under a name."""

from __future__ import annotations

import re
from urllib.parse import quote

_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()\[\]+-]")


def attachment(filename: str) -> str:
    """`attachment; filename="..."` with an ASCII fallback and the exact name (RFC 6266)."""
    fallback = _UNSAFE.sub("_", filename) or "download"
    if fallback == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
