"""Verifying the addon's webhooks: HMAC-SHA256 over the timestamp and the body, 5 minutes.

The addon signs `b"<unix timestamp>." + body` with the shared secret and sends
`X-Salesagent-Timestamp` and `X-Salesagent-Signature: sha256=<hex>` (see the addon's
`webhook.py`, which the tests check this module against).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from agent.errors import ChannelAuthError

SIGNATURE_HEADER = "X-Salesagent-Signature"
TIMESTAMP_HEADER = "X-Salesagent-Timestamp"
WINDOW_SECONDS = 300
"""How old (or how far in the future) a signed request may be: a replay after that is refused."""


def expected_signature(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp`."""
    message = str(timestamp).encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    *,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now: float | None = None,
    window: int = WINDOW_SECONDS,
) -> None:
    """Return if the request is the addon's and fresh; raise `ChannelAuthError` otherwise."""
    if not timestamp or not signature:
        raise ChannelAuthError("the Odoo webhook is not signed")
    try:
        sent = int(timestamp)
    except ValueError as err:
        raise ChannelAuthError("the Odoo webhook's timestamp is not a number") from err
    current = time.time() if now is None else now
    if abs(current - sent) > window:
        raise ChannelAuthError(
            f"the Odoo webhook's timestamp is {int(current - sent)} s away from now "
            f"(the window is {window} s)"
        )
    if not hmac.compare_digest(expected_signature(secret, sent, body), signature.strip()):
        raise ChannelAuthError("the Odoo webhook's signature does not match ODOO_WEBHOOK_SECRET")
