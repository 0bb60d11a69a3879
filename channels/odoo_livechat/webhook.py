"""`POST /webhooks/odoo/livechat`: the addon's signed events, acknowledged at once."""

from __future__ import annotations

from fastapi import APIRouter, Request

from agent.errors import ChannelAuthError, NotFoundError
from channels.odoo_livechat import signing
from channels.odoo_livechat.livechat import OdooLivechat
from salesagent.deps import RuntimeDep
from salesagent.runtime import Runtime

router = APIRouter(tags=["odoo"])


def livechat_of(runtime: Runtime) -> OdooLivechat:
    """The runtime's Odoo livechat channel; 404 when ODOO_LIVECHAT_ENABLED is off."""
    channel = runtime.odoo.livechat if runtime.odoo is not None else None
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
async def livechat_webhook(request: Request, runtime: RuntimeDep) -> dict[str, str]:
    """Verify the addon's signature, store the message once, and answer before the turn runs."""
    channel = livechat_of(runtime)
    if not all(
        request.headers.get(h) for h in (signing.TIMESTAMP_HEADER, signing.SIGNATURE_HEADER)
    ):
        raise ChannelAuthError("the Odoo webhook is not signed")  # refused before reading the body
    event = channel.verify(await request.body(), request.headers)
    outcome = await channel.accept(event)
    return {"status": outcome, "message_id": event.external_message_id}
