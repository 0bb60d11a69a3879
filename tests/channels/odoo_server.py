"""A local server that answers as Odoo 19 (JSON-2) or Odoo 18 (JSON-RPC) answer, for the tests.

It listens on 127.0.0.1 and is reached by the product's Odoo client over real HTTP:

- Odoo 19: `GET /web/version`; `POST /json/2/<model>/<method>` with `Authorization: bearer
  <key>` and `X-Odoo-Database`, named arguments (`ids` for the records), a created record as
  `[id]`, and refusals as 4xx JSON `{"name", "message", "arguments", "context", "debug"}`;
- Odoo 18: no `/web/version` (404), and `POST /jsonrpc` `{"jsonrpc": "2.0", "method": "call",
  "params": {"service": "common"|"object", "method": ..., "args": [...]}}`: `common.version`,
  `common.authenticate`, `object.execute_kw(db, uid, password, model, method, args, kwargs)`,
  a created record as `id`, and refusals in `error.data`.

Behind either protocol one small database: livechat sessions (messages posted, handoffs asked
with the addon's `salesagent_handoff`), products, partners and sale orders. `down()` stops
answering (connections refused) until `up()`; every call is recorded.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DATABASE = "tienda"
API_KEY = "odoo-test-api-key-not-a-secret"
LOGIN = "agente@tienda.example"
PASSWORD = "clave-de-prueba"
UID = 6
BOT_PARTNER_ID = 41
OPERATOR = {"name": "Laura Operadora", "partner_id": 52}


class OdooRefusal(Exception):
    """What Odoo raises for a bad call: its exception's name and message, and the HTTP status."""

    def __init__(self, name: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.status = status


@dataclass
class Call:
    """One model method call the server answered (whatever the protocol)."""

    protocol: str
    model: str
    method: str
    ids: list[int] | None
    kwargs: dict[str, Any]
    args: list[Any] = field(default_factory=list)


@dataclass
class FakeOdooData:
    """The records behind the API."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    handoffs: list[dict[str, Any]] = field(default_factory=list)
    operators_online: bool = False
    products: list[dict[str, Any]] = field(default_factory=list)
    partners: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    stock_app: bool = True
    fail_after_create: int = 0
    """Answer 500 after creating this many sale orders (the answer lost, the order made)."""
    next_id: int = 1000

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


class FakeOdoo:
    """The server: start it with `running(version)`; scripted through `data`."""

    def __init__(self, version: int) -> None:
        self.version = version
        self.data = FakeOdooData()
        self.calls: list[Call] = []
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> None:
        """Listen (again, on the same port once one was chosen)."""
        handler = _handler_for(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Stop listening: calls are refused until `up()`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def posted(self, channel_id: int | None = None) -> list[dict[str, Any]]:
        """Messages posted with message_post, oldest first (of one session if given)."""
        return [m for m in self.data.messages if channel_id in (None, m["channel_id"])]

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    # The model methods, as the addon and Odoo define them.
    def call(
        self, protocol: str, model: str, method: str, ids: list[int] | None, kw: dict[str, Any]
    ):
        with self._lock:
            self.calls.append(Call(protocol, model, method, ids, dict(kw)))
            handler = getattr(self, f"_{model.replace('.', '_')}__{method}", None)
            if handler is None:
                raise OdooRefusal(
                    "werkzeug.exceptions.NotFound", f"{model}.{method} does not exist", 404
                )
            return handler(ids, **kw)

    def _discuss_channel__message_post(
        self,
        ids,
        *,
        body,
        message_type="notification",
        subtype_xmlid=None,
        author_id=None,
        body_is_html=False,
        **extra,
    ):
        if not ids or len(ids) != 1:
            raise OdooRefusal("builtins.ValueError", "Expected singleton: discuss.channel()")
        if extra:
            raise OdooRefusal("builtins.TypeError", f"unexpected arguments {sorted(extra)}")
        message = {
            "id": self.data.new_id(),
            "channel_id": ids[0],
            "body": body,
            "body_is_html": body_is_html,
            "text": _text(body) if body_is_html else body,
            "author_id": author_id,
            "message_type": message_type,
            "subtype_xmlid": subtype_xmlid,
        }
        self.data.messages.append(message)
        return [message["id"]]

    def _discuss_channel__salesagent_info(self, ids):
        return {"bot_partner_id": BOT_PARTNER_ID, "bot_name": "Asistente", "odoo_version": "x"}

    def _discuss_channel__salesagent_handoff(self, ids, *, reason=None, message=None):
        found = self.data.operators_online
        self.data.handoffs.append(
            {"channel_id": ids[0], "reason": reason, "message": message, "found": found}
        )
        if not found:
            return {"operator_found": False, "operator_name": False, "operator_partner_id": False}
        if message:
            self._discuss_channel__message_post(
                ids,
                body=message,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                author_id=BOT_PARTNER_ID,
            )
        return {
            "operator_found": True,
            "operator_name": OPERATOR["name"],
            "operator_partner_id": OPERATOR["partner_id"],
            "already_present": False,
        }

    def _product_product__fields_get(self, ids, *, attributes=None, allfields=None):
        names = [
            "name",
            "default_code",
            "list_price",
            "categ_id",
            "description_sale",
            "active",
            "sale_ok",
        ]
        if self.data.stock_app:
            names.append("qty_available")
        return {name: {"type": "char"} for name in names}

    def _product_product__search_read(
        self, ids, *, domain=(), fields=None, offset=0, limit=None, order=None, context=None
    ):
        active_test = (context or {}).get("active_test", True)
        rows = [
            p
            for p in self.data.products
            if _matches(p, domain) and (p.get("active", True) or not active_test)
        ]
        rows = rows[offset : offset + limit if limit else None]
        return [_read(p, fields) for p in rows]

    def _res_partner__search(
        self, ids, *, domain=(), limit=None, offset=0, order=None, context=None
    ):
        found = [p["id"] for p in self.data.partners if _matches(p, domain)]
        return found[:limit] if limit else found

    def _res_partner__create(self, ids, *, vals_list):
        return [self._create(self.data.partners, values) for values in vals_list]

    def _sale_order__search_read(
        self, ids, *, domain=(), fields=None, offset=0, limit=None, order=None, context=None
    ):
        rows = [o for o in self.data.orders if _matches(o, domain)]
        return [_read(o, fields) for o in (rows[:limit] if limit else rows)]

    def _sale_order__create(self, ids, *, vals_list):
        created = []
        for values in vals_list:
            for command in values.get("order_line", []):
                if command[0] != 0 or "product_id" not in command[2]:
                    raise OdooRefusal("odoo.exceptions.ValidationError", "bad order line")
            record = {**values, "name": f"S{len(self.data.orders) + 1:05d}", "state": "draft"}
            created.append(self._create(self.data.orders, record))
        if self.data.fail_after_create:
            self.data.fail_after_create -= 1
            raise OdooRefusal("psycopg2.OperationalError", "the answer was lost", 500)
        return created

    def _sale_order__read(self, ids, *, fields=None, load=None):
        return [_read(o, fields) for o in self.data.orders if o["id"] in ids]

    def _create(self, table: list[dict[str, Any]], values: dict[str, Any]) -> int:
        record = {**values, "id": self.data.new_id()}
        table.append(record)
        return int(record["id"])


def _text(body: str) -> str:
    """What the chat window shows of an HTML body (line breaks kept, tags dropped)."""
    return html.unescape(re.sub(r"<[^>]+>", "", body.replace("<br>", "\n")))


def _matches(record: dict[str, Any], domain: Any) -> bool:
    for field_name, operator, value in domain:
        have = record.get(field_name)
        if operator == "=" and have != value:
            return False
        if operator == "in" and have not in value:
            return False
    return True


def _read(record: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    names = fields or [k for k in record if k != "id"]
    return {"id": record["id"], **{name: record.get(name, False) for name in names}}


def _handler_for(odoo: FakeOdoo) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"null")

        def do_GET(self) -> None:
            if self.path == "/web/version" and odoo.version >= 19:
                self._send(
                    200,
                    {
                        "version_info": [odoo.version, 0, 0, "final", 0, ""],
                        "version": f"{odoo.version}.0",
                    },
                )
            else:
                self._send(404, b"<html>Not Found</html>", "text/html; charset=utf-8")

        def do_POST(self) -> None:
            if odoo.version >= 19 and self.path.startswith("/json/2/"):
                self._json2()
            elif odoo.version < 19 and self.path == "/jsonrpc":
                self._jsonrpc()
            else:
                self._send(404, b"<html>Not Found</html>", "text/html; charset=utf-8")

        def _json2(self) -> None:
            if self.headers.get("X-Odoo-Database") != DATABASE:
                self._send(404, b"<html>database not found</html>", "text/html; charset=utf-8")
                return
            if (self.headers.get("Authorization") or "").lower() != f"bearer {API_KEY}":
                self._error(
                    401,
                    "werkzeug.exceptions.Unauthorized",
                    "User not authenticated, use an API Key with a Bearer Authorization header.",
                )
                return
            _, _, _, model, method = self.path.split("/", 4)
            body = self._body()
            if not isinstance(body, dict):
                self._error(
                    422, "werkzeug.exceptions.UnprocessableEntity", "body must be an object"
                )
                return
            ids = body.pop("ids", None)
            context = body.pop("context", None)
            if context is not None:
                body["context"] = context
            try:
                result = odoo.call("json2", model, method, ids, body)
            except OdooRefusal as refusal:
                self._error(refusal.status, refusal.name, refusal.message)
            except TypeError as err:
                self._error(422, "werkzeug.exceptions.UnprocessableEntity", str(err))
            else:
                self._send(200, result)

        def _error(self, status: int, name: str, message: str) -> None:
            self._send(
                status,
                {
                    "name": name,
                    "message": message,
                    "arguments": [message, status],
                    "context": {},
                    "debug": "",
                },
            )

        def _jsonrpc(self) -> None:
            request = self._body()
            params = request["params"]
            service, method, args = params["service"], params["method"], params["args"]
            try:
                result = self._rpc(service, method, args)
            except OdooRefusal as refusal:
                if refusal.status >= 500:
                    self._send(
                        500, b"<html>Internal Server Error</html>", "text/html; charset=utf-8"
                    )
                    return
                self._send(
                    200,
                    {
                        "jsonrpc": "2.0",
                        "id": request.get("id"),
                        "error": {
                            "code": 200,
                            "message": "Odoo Server Error",
                            "data": {
                                "name": refusal.name,
                                "message": refusal.message,
                                "arguments": [],
                                "context": {},
                            },
                        },
                    },
                )
            else:
                self._send(200, {"jsonrpc": "2.0", "id": request.get("id"), "result": result})

        def _rpc(self, service: str, method: str, args: list[Any]) -> Any:
            if service == "common" and method == "version":
                return {
                    "server_version": f"{odoo.version}.0",
                    "server_version_info": [odoo.version, 0, 0, "final", 0, ""],
                    "server_serie": f"{odoo.version}.0",
                    "protocol_version": 1,
                }
            if service == "common" and method == "authenticate":
                db, login, password, _ = args
                return (
                    UID
                    if (db, login, password)
                    in ((DATABASE, LOGIN, PASSWORD), (DATABASE, LOGIN, API_KEY))
                    else False
                )
            if service == "object" and method == "execute_kw":
                db, uid, password, model, model_method, margs, kwargs = args
                if db != DATABASE or uid != UID or password not in (PASSWORD, API_KEY):
                    raise OdooRefusal("odoo.exceptions.AccessDenied", "Access Denied")
                if model_method == "create":
                    values = margs[0]
                    created = odoo.call(
                        "jsonrpc",
                        model,
                        "create",
                        None,
                        {"vals_list": [values] if isinstance(values, dict) else values},
                    )
                    return created[0] if isinstance(values, dict) else created
                multi = model_method in ("message_post", "salesagent_handoff", "read")
                ids = margs[0] if multi else None
                rest = margs[1:] if multi else margs
                if rest:
                    raise OdooRefusal("builtins.TypeError", "positional arguments are not expected")
                result = odoo.call("jsonrpc", model, model_method, ids, kwargs)
                if model_method == "message_post":
                    return result[0]  # @api.returns('mail.message', lambda value: value.id)
                return result
            raise OdooRefusal("werkzeug.exceptions.NotFound", f"{service}.{method}")

    return Handler


@contextmanager
def running(version: int) -> Iterator[FakeOdoo]:
    """A fake Odoo of `version` (19 or 18) on a free port until the block ends."""
    odoo = FakeOdoo(version)
    odoo.up()
    try:
        yield odoo
    finally:
        with contextlib.suppress(Exception):
            odoo.down()
