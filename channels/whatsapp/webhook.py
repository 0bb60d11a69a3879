"""Twilio's webhooks: a customer's message, and the delivery status of our replies.

Both answer at once: an inbound message is verified and stored, its turn runs after the
response, and the reply leaves through the outbox. A request not signed by Twilio for this
service's public URL gets 403 and nothing is stored.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request, Response
from twilio.twiml.messaging_response import MessagingResponse

from agent import deliveries
from agent.db import transaction
from agent.provided import SessionsDep
from agent.shops.current import shop_scope
from agent.shops.directory import shop_for, whatsapp_endpoint
from channels.deps import IntakeDep, WhatsAppDep
from channels.whatsapp.adapter import INBOUND_PATH, STATUS_PATH
from channels.whatsapp.output import CHANNEL

router = APIRouter(tags=["whatsapp"])

SIGNATURE = "X-Twilio-Signature"
_REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not signed by Twilio for this service."}
}


def _empty_twiml() -> Response:
    return Response(str(MessagingResponse()), media_type="application/xml")


@router.post(INBOUND_PATH, response_class=Response, responses=_REFUSED)
async def twilio_whatsapp(
    request: Request, whatsapp: WhatsAppDep, intake: IntakeDep, sessions: SessionsDep
) -> Response:
    """A WhatsApp message from Twilio: stored, acknowledged with empty TwiML, answered later.
    The number it was sent to (`To`) says whose shop it is for."""
    form = await request.form()
    whatsapp.verify(request.url.path, request.url.query, form, request.headers.get(SIGNATURE))
    message = whatsapp.inbound(form)
    if message is not None:
        async with sessions() as session:
            to = whatsapp_endpoint(str(form.get("To") or ""))
            shop_id = await shop_for(session, CHANNEL, to)
        await intake.accept(replace(message, shop_id=shop_id))
    return _empty_twiml()


@router.post(STATUS_PATH, response_class=Response, responses=_REFUSED)
async def twilio_status(request: Request, whatsapp: WhatsAppDep, sessions: SessionsDep) -> Response:
    """Twilio's report on a reply it was given (queued, sent, delivered, read, failed...); the
    number the reply was sent from (`From`) says whose shop it is."""
    form = await request.form()
    whatsapp.verify(request.url.path, request.url.query, form, request.headers.get(SIGNATURE))
    sid = str(form.get("MessageSid") or "")
    status = str(form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    if sid and status:
        code = str(form.get("ErrorCode") or "") or None
        detail = str(form.get("ErrorMessage") or "") or None
        async with sessions() as session:
            shop_id = await shop_for(
                session, CHANNEL, whatsapp_endpoint(str(form.get("From") or ""))
            )
        with shop_scope(shop_id):
            async with transaction(sessions) as session:
                await deliveries.report(
                    session,
                    channel=CHANNEL,
                    vendor_message_id=sid,
                    status=status,
                    error_code=code,
                    error=detail,
                )
    return Response(status_code=204)
