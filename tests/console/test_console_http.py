"""The staff console over real HTTP and WebSocket: login, sessions, CSRF, roles, the flow."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fixtures.console_login import LOGIN_CSRF, PASSWORD, add_staff, csrf_of, log_in, login_form
from fixtures.live_server import LiveServer, serving
from fixtures.llm_setup import configured
from sqlalchemy import select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from agent.models import Conversation, Owner, StaffRole
from agent.settings import Settings
from agent.staff import set_active


@pytest.fixture
async def live(
    demo_settings: Settings, request: pytest.FixtureRequest
) -> AsyncIterator[LiveServer]:
    overrides = getattr(request, "param", {})
    async with serving(configured(demo_settings, **overrides)) as running:
        yield running


@pytest.fixture
async def client(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.url, timeout=20) as http:
        yield http


async def customer_says(live: LiveServer, chat_id: str, text: str) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=live.url, timeout=20) as http:
        answer = await http.post("/chat/text", json={"chat_id": chat_id, "message": text})
    answer.raise_for_status()
    body: dict[str, object] = answer.json()
    return body


async def conversation_id(live: LiveServer, chat_id: str) -> int:
    async with live.runtime.sessions() as session:
        found = await session.scalar(
            select(Conversation.id).where(Conversation.external_chat_id == chat_id)
        )
    assert found is not None
    return int(found)


async def owner_of(live: LiveServer, chat_id: str) -> Owner:
    async with live.runtime.sessions() as session:
        found = await session.scalar(
            select(Conversation.owner).where(Conversation.external_chat_id == chat_id)
        )
    assert found is not None
    return found


def cookie_header(client: httpx.AsyncClient) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)


# Refused.


async def test_without_a_session_everything_is_refused(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    await customer_says(live, "c-anon", "quiero hablar con un asesor")
    number = await conversation_id(live, "c-anon")

    page = await client.get("/console", headers={"accept": "text/html"})
    assert page.status_code == 303
    assert page.headers["location"] == "/console/login?next=/console"
    for path in ("/console/list", "/console/counts", f"/console/conversations/{number}/live"):
        assert (await client.get(path)).status_code == 401, path
    for action in ("take", "reply", "note", "hand-back", "reassign"):
        refused = await client.post(
            f"/console/conversations/{number}/{action}", data={"text": "hola"}
        )
        assert refused.status_code == 401, action
    async with connect(live.ws_url + "/console/ws") as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert await owner_of(live, "c-anon") == Owner.WAITING_HUMAN


@pytest.mark.parametrize(
    ("username", "password"),
    [("ana", "una-clave-equivocada"), ("nadie", PASSWORD), ("ana", ""), ("ANA ", "x" * 5000)],
    ids=["wrong-password", "unknown-user", "empty", "huge"],
)
async def test_a_wrong_login_is_refused_without_a_session(
    live: LiveServer, client: httpx.AsyncClient, username: str, password: str
) -> None:
    await add_staff(live.runtime, "ana")

    refused = await log_in(client, username, password)

    assert refused.status_code == 401
    assert "Usuario o contraseña incorrectos" in refused.text
    assert "salesagent_staff" not in refused.headers.get("set-cookie", "")
    assert (await client.get("/console/list")).status_code == 401


async def test_a_disabled_account_cannot_log_in(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    await add_staff(live.runtime, "ana")
    async with live.runtime.sessions() as session:
        await set_active(session, "ana", False)

    assert (await log_in(client, "ana")).status_code == 401


async def test_the_login_form_without_its_csrf_token_is_refused(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    await add_staff(live.runtime, "ana")
    await login_form(client)  # the browser has the form's cookie...

    missing = await client.post("/console/login", data={"username": "ana", "password": PASSWORD})
    forged = await client.post(
        "/console/login", data={"username": "ana", "password": PASSWORD, "csrf_token": "x" * 43}
    )
    elsewhere = await log_in_from(client, "https://evil.example")

    for refused in (missing, forged, elsewhere):
        assert refused.status_code == 403
        assert "salesagent_staff" not in refused.headers.get("set-cookie", "")


async def log_in_from(client: httpx.AsyncClient, origin: str) -> httpx.Response:
    token = await login_form(client)
    return await client.post(
        "/console/login",
        data={"username": "ana", "password": PASSWORD, "csrf_token": token},
        headers={"origin": origin},
    )


async def test_the_session_cookie_is_httponly_lax_and_scoped_to_the_console(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    await add_staff(live.runtime, "ana")

    opened = await log_in(client, "ana")

    assert opened.status_code == 303 and opened.headers["location"] == "/console"
    cookie = next(
        v for k, v in opened.headers.multi_items() if k == "set-cookie" and "salesagent_staff" in v
    )
    attributes: dict[str, str] = {}
    for part in cookie.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        attributes[name.lower()] = value
    assert {"httponly", "path", "max-age"} <= set(attributes)
    # As long as the session (12 hours), whatever the browser's own clock says.
    lifetime = live.runtime.settings.staff_session_hours * 3600
    assert lifetime - 60 <= int(attributes["max-age"]) <= lifetime
    assert "samesite=lax" in cookie.lower() and "path=/console" in cookie.lower()
    assert "secure" not in attributes  # plain http on this machine
    assert (await client.get("/console/list")).status_code == 200


@pytest.mark.parametrize("live", [{"forwarded_allow_ips": "127.0.0.1"}], indirect=True)
async def test_over_https_the_session_cookie_is_secure(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    await add_staff(live.runtime, "ana")
    https = {"x-forwarded-proto": "https"}  # a TLS proxy in front (FORWARDED_ALLOW_IPS)
    form = await client.get("/console/login", headers=https)
    token = LOGIN_CSRF.search(form.text)
    assert token is not None
    login_cookie = form.headers["set-cookie"].split(";")[0]
    assert "secure" in form.headers["set-cookie"].lower()

    opened = await client.post(
        "/console/login",
        data={"username": "ana", "password": PASSWORD, "csrf_token": token.group(1)},
        headers=https | {"cookie": login_cookie},
    )

    assert opened.status_code == 303
    cookie = next(
        v for k, v in opened.headers.multi_items() if k == "set-cookie" and "salesagent_staff" in v
    )
    assert "secure" in {part.strip().lower() for part in cookie.split(";")}


@pytest.mark.parametrize(
    "live",
    [{"staff_login_rate_limit_burst": 3, "staff_login_rate_limit_per_minute": 1}],
    indirect=True,
)
async def test_login_attempts_are_rate_limited(live: LiveServer, client: httpx.AsyncClient) -> None:
    await add_staff(live.runtime, "ana")
    for _ in range(3):
        assert (await log_in(client, "ana", "no-es-la-clave")).status_code == 401

    limited = await log_in(client, "ana")  # even the right password, while limited

    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert "Demasiados intentos" in limited.text


async def test_actions_without_the_csrf_token_are_refused(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    await add_staff(live.runtime, "ana")
    await log_in(client, "ana")
    token = await csrf_of(client)
    await customer_says(live, "c-csrf", "asesor")
    take = f"/console/conversations/{await conversation_id(live, 'c-csrf')}/take"
    json_accept = {"accept": "application/json"}

    missing = await client.post(take, headers=json_accept)
    wrong = await client.post(take, headers=json_accept | {"x-csrf-token": "a" * 43})
    in_form_wrong = await client.post(take, data={"csrf_token": "b" * 43}, headers=json_accept)
    elsewhere = await client.post(
        take, headers=json_accept | {"x-csrf-token": token, "origin": "https://evil.example"}
    )
    logout = await client.post("/console/logout")

    for refused in (missing, wrong, in_form_wrong, elsewhere, logout):
        assert refused.status_code == 403
    assert await owner_of(live, "c-csrf") == Owner.WAITING_HUMAN

    taken = await client.post(take, headers=json_accept | {"x-csrf-token": token})
    assert taken.status_code == 200 and taken.json()["ok"] is True
    assert await owner_of(live, "c-csrf") == Owner.HUMAN


async def test_logging_out_ends_the_session(live: LiveServer, client: httpx.AsyncClient) -> None:
    await add_staff(live.runtime, "ana")
    await log_in(client, "ana")
    stolen = dict(client.cookies)

    out = await client.post("/console/logout", data={"csrf_token": await csrf_of(client)})

    assert out.status_code == 303 and out.headers["location"] == "/console/login"
    async with httpx.AsyncClient(base_url=live.url, cookies=stolen) as replay:
        assert (await replay.get("/console/list")).status_code == 401


async def test_only_managers_see_reports_and_reassign(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    await add_staff(live.runtime, "ana")
    luis = await add_staff(live.runtime, "luis")
    await add_staff(live.runtime, "marta", StaffRole.MANAGER)
    await customer_says(live, "c-roles", "quiero poner una queja")
    number = await conversation_id(live, "c-roles")

    await log_in(client, "ana")
    assert (await client.get("/console/reports")).status_code == 403
    agent_token = await csrf_of(client)
    refused = await client.post(
        f"/console/conversations/{number}/reassign",
        data={"staff_id": str(luis.id)},
        headers={"x-csrf-token": agent_token, "accept": "application/json"},
    )
    assert refused.status_code == 403

    async with httpx.AsyncClient(base_url=live.url, timeout=20) as manager:
        await log_in(manager, "marta")
        token = await csrf_of(manager)
        moved = await manager.post(
            f"/console/conversations/{number}/reassign",
            data={"staff_id": str(luis.id)},
            headers={"x-csrf-token": token, "accept": "application/json"},
        )
        assert moved.status_code == 200
        report = await manager.get("/console/reports")
    assert report.status_code == 200
    assert "Queja o reclamo" in report.text and "Reasignada" in report.text
    assert "Pasos a asesor por motivo" in report.text


async def test_refusals_are_written_in_the_staffs_language(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    await add_staff(live.runtime, "ana")
    await add_staff(live.runtime, "marta", StaffRole.MANAGER)
    await customer_says(live, "c-words", "quiero hablar con un asesor")
    number = await conversation_id(live, "c-words")
    page = f"/console/conversations/{number}"
    limit = live.runtime.settings.max_message_chars
    await log_in(client, "ana")
    scripted = {"x-csrf-token": await csrf_of(client), "accept": "application/json"}

    empty = await client.post(f"{page}/reply", data={"text": "  "}, headers=scripted)
    long = await client.post(f"{page}/note", data={"text": "x" * (limit + 1)}, headers=scripted)
    no_reply = await client.post(f"{page}/deliveries/999999/retry", headers=scripted)
    no_action = await client.post(f"{page}/deliveries/999999/forget", headers=scripted)
    no_conversation = await client.get("/console/conversations/999999/summary")
    managers = await client.get("/console/reports", headers={"accept": "application/json"})
    async with httpx.AsyncClient(base_url=live.url, timeout=20) as manager:
        await log_in(manager, "marta")
        nobody = await manager.post(
            f"{page}/reassign",
            data={"staff_id": ""},
            headers={"x-csrf-token": await csrf_of(manager), "accept": "application/json"},
        )
        stranger = await manager.post(
            f"{page}/reassign",
            data={"staff_id": "999999"},
            headers={"x-csrf-token": await csrf_of(manager), "accept": "application/json"},
        )
        no_take = await manager.post(
            "/console/conversations/999999/take",
            headers={"x-csrf-token": await csrf_of(manager), "accept": "application/json"},
        )

    assert (empty.status_code, empty.json()) == (
        422,
        {"detail": "Escribe el texto: está vacío.", "code": "invalid", "field": "text"},
    )
    assert long.status_code == 422
    assert long.json()["detail"] == f"El texto tiene {limit + 1} caracteres; el máximo es {limit}."
    assert (no_reply.status_code, no_reply.json()["detail"]) == (
        404,
        f"La conversación {number} no tiene la respuesta 999999.",
    )
    assert no_action.status_code == 422
    assert [error["field"] for error in no_action.json()["errors"]] == ["action"]
    assert no_conversation.json()["detail"] == "No existe la conversación 999999."
    assert managers.json()["detail"] == "Solo un gerente puede hacer esto."
    assert (nobody.status_code, nobody.json()["field"]) == (422, "staff_id")
    assert nobody.json()["detail"] == "Elige quién toma la conversación."
    assert (stranger.status_code, stranger.json()["detail"]) == (
        404,
        "No hay un miembro activo del equipo con el número 999999.",
    )
    assert (no_take.status_code, no_take.json()["detail"]) == (
        404,
        "No existe la conversación 999999.",
    )


# The flow.


async def test_take_reply_and_hand_back_over_http(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    await add_staff(live.runtime, "ana", name="Ana Gómez")
    await add_staff(live.runtime, "luis")
    await log_in(client, "ana")
    token = await csrf_of(client)
    scripted = {"x-csrf-token": token, "accept": "application/json"}

    async with connect(live.chat_url("c-flow")) as customer:
        json.loads(await customer.recv())  # connection_status
        moved = await customer_says(live, "c-flow", "necesito hablar con una persona <b>ya</b>")
        assert moved["owner"] == "waiting_human"
        number = await conversation_id(live, "c-flow")

        listing = await client.get("/console/list")
        assert f'data-id="{number}"' in listing.text and "Esperando asesor" in listing.text
        assert (
            "&lt;b&gt;ya&lt;/b&gt;" in (await client.get(f"/console/conversations/{number}")).text
        )

        taken = await client.post(f"/console/conversations/{number}/take", headers=scripted)
        assert taken.status_code == 200
        async with httpx.AsyncClient(base_url=live.url, timeout=20) as other:
            await log_in(other, "luis")
            late = await other.post(
                f"/console/conversations/{number}/take",
                headers={"x-csrf-token": await csrf_of(other), "accept": "application/json"},
            )
        assert late.status_code == 409
        assert late.json()["detail"] == "Ana Gómez ya está atendiendo esta conversación"

        sent = await client.post(
            f"/console/conversations/{number}/reply",
            data={"text": "Hola, soy Ana. ¿En qué te ayudo?"},
            headers=scripted,
        )
        assert sent.status_code == 200
        event = await next_of(customer, "message")
        assert event["content"] == "Hola, soy Ana. ¿En qué te ayudo?"

        quiet = await customer_says(live, "c-flow", "necesito 2 cascos")
        assert quiet["reply"] is None and quiet["owner"] == "human"
        noted = await client.post(
            f"/console/conversations/{number}/note",
            data={"text": "cliente de obra"},
            headers=scripted,
        )
        assert noted.status_code == 200
        view = await client.get(f"/console/conversations/{number}/live")
        assert "Hola, soy Ana." in view.text and "cliente de obra" in view.text
        assert "necesito 2 cascos" in view.text and "Nota interna" in view.text

        back = await client.post(f"/console/conversations/{number}/hand-back", headers=scripted)
        assert back.status_code == 200
        answered = await customer_says(live, "c-flow", "¿tienen botas de seguridad?")
        assert answered["owner"] == "bot" and answered["reply"]


async def next_of(socket: object, kind: str) -> dict[str, object]:
    while True:
        event: dict[str, object] = json.loads(await asyncio.wait_for(socket.recv(), 10))  # type: ignore[attr-defined]
        if event["type"] == kind:
            return event


async def test_a_plain_form_post_comes_back_to_the_page(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    await add_staff(live.runtime, "ana")
    await log_in(client, "ana")
    await customer_says(live, "c-plain", "asesor")
    number = await conversation_id(live, "c-plain")

    done = await client.post(
        f"/console/conversations/{number}/take", data={"csrf_token": await csrf_of(client)}
    )

    assert done.status_code == 303
    assert done.headers["location"] == f"/console/conversations/{number}?aviso=taken"
    page = await client.get(done.headers["location"])
    assert "Tomaste la conversación" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


async def test_the_live_socket_tells_a_logged_in_console(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    await add_staff(live.runtime, "ana")
    await log_in(client, "ana")
    headers = {"cookie": cookie_header(client)}

    async with connect(live.ws_url + "/console/ws", additional_headers=headers) as console:
        assert json.loads(await console.recv())["type"] == "hello"
        await customer_says(live, "c-live", "hola")
        await customer_says(live, "c-live", "quiero hablar con un asesor")
        first = json.loads(await asyncio.wait_for(console.recv(), 5))
        second = json.loads(await asyncio.wait_for(console.recv(), 5))
    assert (first["change"], second["change"]) == ("message", "handoff")
    assert second["chat_id"] == "c-live" and second["reason_label"] == "El cliente pidió un asesor"

    foreign = headers | {"origin": "https://evil.example"}
    async with connect(live.ws_url + "/console/ws", additional_headers=foreign) as refused:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(refused.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


async def test_the_console_shows_a_staff_member_only_escaped_text(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    await add_staff(live.runtime, "ana")
    await log_in(client, "ana")
    await customer_says(live, '"><script>alert(1)</script>', "<img src=x onerror=alert(1)> asesor")
    number = await conversation_id(live, '"><script>alert(1)</script>')

    listing = await client.get("/console/list?estado=all")
    page = await client.get(f"/console/conversations/{number}")

    for body in (listing.text, page.text):
        assert "<script>alert(1)" not in body and "<img src=x" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
