"""`POST /webhooks/odoo/livechat`: the addon's signed events, acknowledged at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.requests import HTTPConnection

from agent.errors import ChannelAuthError, NotFoundError
from channels.deps import ODOO
from channels.odoo_livechat import signing
from channels.odoo_livechat.livechat import OdooLivechat

router = APIRouter(tags=["odoo"])


def livechat_of(connection: HTTPConnection) -> OdooLivechat:
    """The Odoo livechat channel; 404 when ODOO_LIVECHAT_ENABLED is off."""
    odoo = ODOO.find(connection)
    channel = odoo.livechat if odoo is not None else None
    if channel is None:
        raise NotFoundError("the Odoo livechat channel is not enabled (ODOO_LIVECHAT_ENABLED)")
    return channel


@router.post(
    "/webhooks/odoo/livechat",
    responses={
        403: {"description": "Unsigned, forged or stale (over 5 minutes) request; not stored."},
        404: {"description": "The Odoo livechat channel is not enabled."},
        422: {"description": "A signed body that is not an event."},
    },
)
async def livechat_webhook(
    request: Request, channel: Annotated[OdooLivechat, Depends(livechat_of)]
) -> dict[str, str]:
    """Verify the addon's signature, store the message once, and answer before the turn runs."""
    if not all(
        request.headers.get(h) for h in (signing.TIMESTAMP_HEADER, signing.SIGNATURE_HEADER)
    ):
        raise ChannelAuthError("the Odoo webhook is not signed")  # refused before reading the body
    event = channel.verify(await request.body(), request.headers)
    outcome = await channel.accept(event)
    return {"status": outcome, "message_id": event.external_message_id}
