"""Calling a shop's Odoo: JSON-2 on Odoo 19, JSON-RPC `execute_kw` on Odoo 18.

Odoo ships no async client for either protocol, and both are a few lines of JSON over HTTP,
so they are spoken here with httpx. The protocol is chosen from the server's version
(`GET /web/version` on 19, the `common.version` JSON-RPC call on 18) unless `ODOO_VERSION`
fixes it. Network failures, 429 and 5xx raise `RetryableError` (the outbox retries them);
Odoo's refusals raise `OdooError` with Odoo's exception name and message.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from typing import Any

import httpx

from agent.errors import ChannelError, RetryableError
from channels.odoo_livechat.config import OdooConfig

log = logging.getLogger(__name__)

JSON2_FROM = 19
"""The first Odoo major version with the JSON-2 API."""


class OdooError(ChannelError):
    """Odoo refused a call: `name` is Odoo's exception (e.g. `odoo.exceptions.AccessError`)."""

    def __init__(self, message: str, *, name: str | None = None, status: int | None = None):
        super().__init__(message)
        self.name = name
        self.status = status


class OdooClient:
    """One Odoo database, called as the user of the API key (or login and password on 18)."""

    def __init__(self, config: OdooConfig, *, transport: httpx.AsyncBaseTransport | None = None):
        self.config = config
        self._http = httpx.AsyncClient(
            base_url=config.url, timeout=config.timeout, transport=transport
        )
        self._major: int | None = None if config.version == "auto" else int(config.version)
        self._uid: int | None = None
        self._ids = itertools.count(1)

    @property
    def database(self) -> str:
        """The database every call goes to."""
        return self.config.database

    async def close(self) -> None:
        """Release the HTTP connections."""
        await self._http.aclose()

    async def major_version(self) -> int:
        """The server's major version (19, 18...), asked once."""
        if self._major is None:
            self._major = await self._detect_version()
            log.info("Odoo at %s is version %s", self.config.url, self._major)
        return self._major

    async def user_id(self, context: dict[str, Any]) -> int:
        """The id of the agent's Odoo user: the login's on 18 (whose `context_get` may not say
        it), the `uid` of `res.users.context_get` (the `context` given) on 19."""
        if await self.major_version() < JSON2_FROM:
            return await self._login()
        return int(context["uid"])

    async def call(
        self, model: str, method: str, *, ids: Sequence[int] | None = None, **kwargs: Any
    ) -> Any:
        """Call `model.method` (on `ids` when given) with named arguments; Odoo's result."""
        if await self.major_version() >= JSON2_FROM:
            return await self._json2(model, method, ids, kwargs)
        args: list[Any] = [list(ids)] if ids is not None else []
        return await self._execute_kw(model, method, args, kwargs)

    async def create(self, model: str, values: dict[str, Any]) -> int:
        """Create one record and return its id.

        JSON-2 takes `vals_list` and answers `[id]`; `execute_kw` needs the values as its
        positional argument and answers `id`.
        """
        if await self.major_version() >= JSON2_FROM:
            result = await self._json2(model, "create", None, {"vals_list": [values]})
        else:
            result = await self._execute_kw(model, "create", [values], {})
        return int(result[0] if isinstance(result, list) else result)

    # JSON-2 (Odoo 19): POST /json/2/<model>/<method>, named arguments, bearer API key.
    async def _json2(
        self, model: str, method: str, ids: Sequence[int] | None, kwargs: dict[str, Any]
    ) -> Any:
        if not self.config.api_key:
            raise OdooError("ODOO_API_KEY is required by Odoo 19's JSON-2 API")
        body = dict(kwargs)
        if ids is not None:
            body["ids"] = list(ids)
        headers = {
            "Authorization": f"bearer {self.config.api_key}",
            "X-Odoo-Database": self.config.database,
        }
        response = await self._send("POST", f"/json/2/{model}/{method}", json=body, headers=headers)
        if response.status_code >= 400:
            raise _http_error(response, f"{model}.{method}")
        return response.json()

    # JSON-RPC (Odoo 18): object.execute_kw(db, uid, password, model, method, args, kwargs).
    async def _execute_kw(
        self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]
    ) -> Any:
        uid = await self._login()
        secret = self.config.api_key or self.config.password
        return await self._rpc(
            "object",
            "execute_kw",
            [self.config.database, uid, secret, model, method, args, kwargs],
            what=f"{model}.{method}",
        )

    async def _login(self) -> int:
        if self._uid is None:
            if not self.config.user:
                raise OdooError("ODOO_USER is required by Odoo 18's JSON-RPC API")
            secret = self.config.api_key or self.config.password
            uid = await self._rpc(
                "common",
                "authenticate",
                [self.config.database, self.config.user, secret, {}],
                what="login",
            )
            if not uid:
                raise OdooError(
                    f"Odoo refused the login {self.config.user!r} on {self.config.database!r} "
                    "(check ODOO_USER and ODOO_API_KEY or ODOO_PASSWORD)",
                    name="AccessDenied",
                )
            self._uid = int(uid)
        return self._uid

    async def _rpc(self, service: str, method: str, args: list[Any], *, what: str) -> Any:
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
            "id": next(self._ids),
        }
        response = await self._send("POST", "/jsonrpc", json=payload)
        if response.status_code >= 400:
            raise _http_error(response, what)
        answer = response.json()
        error = answer.get("error")
        if error:
            data = error.get("data") or {}
            raise OdooError(
                f"Odoo refused {what}: {data.get('message') or error.get('message')}",
                name=data.get("name"),
                status=response.status_code,
            )
        return answer.get("result")

    async def _detect_version(self) -> int:
        response = await self._send("GET", "/web/version")
        if response.status_code == 200:
            try:
                return int(response.json()["version_info"][0])
            except (ValueError, KeyError, IndexError, TypeError):
                log.debug("GET /web/version did not answer JSON; asking JSON-RPC")
        info = await self._rpc("common", "version", [], what="version")
        return int(info["server_version_info"][0])

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as err:
            raise RetryableError(f"Odoo at {self.config.url} did not answer: {err!r}") from err
        if response.status_code == 429 or response.status_code >= 500:
            raise _http_error(response, path)
        return response


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


def _http_error(response: httpx.Response, what: str) -> ChannelError:
    name, detail = _error_fields(response)
    message = f"Odoo answered {response.status_code} to {what}: {detail or response.reason_phrase}"
    if response.status_code == 429 or response.status_code >= 500:
        return RetryableError(message, retry_after=_retry_after(response))
    return OdooError(message, name=name, status=response.status_code)


def _error_fields(response: httpx.Response) -> tuple[str | None, str | None]:
    """Odoo's JSON error body: `{"name": ..., "message": ..., "arguments": ..., ...}`."""
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    return body.get("name"), body.get("message")
