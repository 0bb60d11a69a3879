"""The HTTP client under the twilio SDK: a deadline, another endpoint if configured, and the
vendor's 429/5xx turned into `RetryableError` with its Retry-After (the SDK drops headers)."""

from __future__ import annotations

import asyncio
import base64
import re
from typing import Any

from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response

from agent.errors import RetryableError

_TWILIO_HOST = re.compile(r"^https://[A-Za-z0-9.-]+\.twilio\.com")


def retry_after(headers: Any) -> float | None:
    """Seconds from a Retry-After header given in seconds, when there is one."""
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class TwilioHttp(AsyncTwilioHttpClient):  # type: ignore[misc]
    """Twilio's own async client with a deadline per request and an optional other endpoint."""

    def __init__(self, *, base_url: str | None = None, deadline: float = 15.0) -> None:
        super().__init__(pool_connections=True)
        self._base_url = base_url.rstrip("/") if base_url else None
        self._deadline = deadline

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (the SDK calls it with this name)
        allow_redirects: bool = False,
    ) -> Response:
        """Send one request to Twilio's REST API (or the configured endpoint)."""
        if self._base_url:
            url = _TWILIO_HOST.sub(self._base_url, url)
        if auth is not None:  # as a header: aiohttp deprecates its BasicAuth
            login = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            headers = {**(headers or {}), "Authorization": f"Basic {login}"}
        async with asyncio.timeout(timeout or self._deadline):
            response: Response = await super().request(
                method, url, params, data, headers, None, None, allow_redirects
            )
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableError(
                f"Twilio answered {response.status_code}: {response.text[:200]}",
                retry_after=retry_after(response.headers),
            )
        return response
