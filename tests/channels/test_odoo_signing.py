"""The addon signs, the channel verifies: the two agree, and anything else is refused."""

from __future__ import annotations

import json
import time

import pytest
from fixtures.odoo_addon import ADDON, addon_webhook

from agent.errors import ChannelAuthError
from channels.odoo_livechat import signing
from channels.odoo_livechat.events import LivechatEvent, channel_of, chat_id

SECRET = "shared-secret-of-the-tests-0123456789"


def _event(**changes: object) -> bytes:
    values: dict[str, object] = {
        "database": "tienda",
        "channel_id": 12,
        "message_id": 345,
        "body": "hola, ¿tienen extintores de 10 libras?",
        "author_role": "visitor",
        "author_name": "Visitante 7",
        "visitor_name": "Visitante 7",
        "livechat_channel_id": 1,
        "bot_partner_id": 41,
        "language": "es_CO",
        "country": "CO",
        "odoo_version": "19.0",
    }
    values.update(changes)
    return bytes(addon_webhook.encode(addon_webhook.build_payload(**values)))


def _verify(body: bytes, headers: dict[str, str], now: float | None = None) -> None:
    signing.verify(
        SECRET,
        body=body,
        timestamp=headers.get(signing.TIMESTAMP_HEADER),
        signature=headers.get(signing.SIGNATURE_HEADER),
        now=now,
    )


def test_the_addon_module_does_not_import_odoo() -> None:
    source = (ADDON / "webhook.py").read_text()
    assert "import odoo" not in source and "from odoo" not in source


def test_what_the_addon_signs_the_channel_accepts() -> None:
    body = _event()
    headers = addon_webhook.signed_headers(SECRET, body)
    _verify(body, headers)
    event = LivechatEvent.model_validate(json.loads(body))
    assert event.chat_id == "tienda:12" and event.external_message_id == "tienda:345"
    assert event.body == "hola, ¿tienen extintores de 10 libras?"
    assert channel_of(chat_id("mi:base", 12)) == ("mi:base", 12)


def test_the_headers_and_signature_are_the_documented_ones() -> None:
    body = b'{"a":1}'
    headers = addon_webhook.signed_headers(SECRET, body, now=1_700_000_000)
    assert headers[signing.TIMESTAMP_HEADER] == "1700000000"
    assert headers[signing.SIGNATURE_HEADER] == signing.expected_signature(
        SECRET, 1_700_000_000, body
    )
    assert headers[signing.SIGNATURE_HEADER].startswith("sha256=")
    assert addon_webhook.SIGNATURE_HEADER == signing.SIGNATURE_HEADER
    assert addon_webhook.TIMESTAMP_HEADER == signing.TIMESTAMP_HEADER
    assert addon_webhook.webhook_url("https://agente.example/") == (
        "https://agente.example/webhooks/odoo/livechat"
    )


@pytest.mark.parametrize(
    ("case", "why"),
    [
        ("tampered body", "signature does not match"),
        ("other secret", "signature does not match"),
        ("stale", "window is 300 s"),
        ("from the future", "window is 300 s"),
        ("unsigned", "not signed"),
        ("bad timestamp", "not a number"),
        ("replayed timestamp", "signature does not match"),
    ],
)
def test_anything_but_a_fresh_signed_body_is_refused(case: str, why: str) -> None:
    body = _event()
    now = time.time()
    headers = addon_webhook.signed_headers(SECRET, body, now=now)
    if case == "tampered body":
        body = body.replace(b"10 libras", b"90 libras")
    elif case == "other secret":
        headers = addon_webhook.signed_headers("another-secret-0123456789", body, now=now)
    elif case == "stale":
        headers = addon_webhook.signed_headers(SECRET, body, now=now - 301)
    elif case == "from the future":
        headers = addon_webhook.signed_headers(SECRET, body, now=now + 301)
    elif case == "unsigned":
        headers = {}
    elif case == "bad timestamp":
        headers[signing.TIMESTAMP_HEADER] = "yesterday"
    elif case == "replayed timestamp":
        headers[signing.TIMESTAMP_HEADER] = str(int(now) + 1)
    with pytest.raises(ChannelAuthError, match=why):
        _verify(body, headers, now=now)


def test_the_window_edges() -> None:
    body = _event()
    now = time.time()
    _verify(body, addon_webhook.signed_headers(SECRET, body, now=now - 299), now=now)
    _verify(body, addon_webhook.signed_headers(SECRET, body, now=now + 299), now=now)


def test_the_payload_refuses_an_unknown_author() -> None:
    with pytest.raises(ValueError, match="author_role"):
        _event(author_role="bot")
    operator = json.loads(_event(author_role="operator"))
    assert operator["author_role"] == "operator"
