"""The webhook the addon sends to the agent: its JSON payload and its HMAC-SHA256 signature.

Plain Python (standard library only, no `odoo` import) so that the agent's project tests it
and checks its own verification against it. The signature covers the timestamp and the exact
bytes of the body: ``hex(HMAC-SHA256(secret, b"<timestamp>." + body))``, sent as
``X-Salesagent-Signature: sha256=<hex>`` with ``X-Salesagent-Timestamp: <unix seconds>``.
"""

import hashlib
import hmac
import json
import time

SIGNATURE_HEADER = "X-Salesagent-Signature"
TIMESTAMP_HEADER = "X-Salesagent-Timestamp"
SIGNATURE_SCHEME = "sha256"
WEBHOOK_PATH = "/webhooks/odoo/livechat"
PAYLOAD_VERSION = 1

VISITOR = "visitor"
OPERATOR = "operator"
ROLES = (VISITOR, OPERATOR)


def signature(secret, timestamp, body):
    """The hex HMAC-SHA256 of ``b"<timestamp>." + body`` under ``secret``."""
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    message = str(int(timestamp)).encode("ascii") + b"." + body
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def signed_headers(secret, body, now=None):
    """The HTTP headers that sign ``body`` (bytes) at ``now`` (unix seconds, default: now)."""
    timestamp = int(time.time() if now is None else now)
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: f"{SIGNATURE_SCHEME}={signature(secret, timestamp, body)}",
    }


def build_payload(
    *,
    database,
    channel_id,
    message_id,
    body,
    author_role,
    author_name,
    livechat_channel_id,
    bot_partner_id,
    visitor_name=None,
    language=None,
    country=None,
    odoo_version=None,
):
    """The event the agent receives for one message posted in a served livechat session.

    ``body`` is the message as plain text; ``author_role`` is ``visitor`` (the customer, a
    ``mail.guest`` or a portal/public partner) or ``operator`` (a person of the shop).
    """
    if author_role not in ROLES:
        raise ValueError(f"author_role must be one of {ROLES}, not {author_role!r}")
    return {
        "version": PAYLOAD_VERSION,
        "database": str(database),
        "channel_id": int(channel_id),
        "message_id": int(message_id),
        "body": body or "",
        "author_role": author_role,
        "author_name": author_name or "",
        "visitor_name": visitor_name or "",
        "language": language or None,
        "country": country or None,
        "livechat_channel_id": int(livechat_channel_id) if livechat_channel_id else None,
        "bot_partner_id": int(bot_partner_id) if bot_partner_id else None,
        "odoo_version": odoo_version or None,
    }


def encode(payload):
    """The request body for ``payload``: compact UTF-8 JSON (what the signature covers)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode(
        "utf-8"
    )


def webhook_url(agent_url):
    """The agent's webhook address for a base URL such as ``https://agent.example.com``."""
    return agent_url.rstrip("/") + WEBHOOK_PATH
