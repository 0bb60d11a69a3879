"""Telegram's webhook: updates verified by the secret token, stored, answered after the response."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from channels.deps import IntakeDep, TelegramDep
from channels.telegram.adapter import WEBHOOK_PATH

router = APIRouter(tags=["telegram"])

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@router.post(
    WEBHOOK_PATH,
    response_class=Response,
    responses={
        400: {"description": "The body is not a Telegram update."},
        403: {"description": "The webhook's secret token is missing or wrong."},
    },
)
async def telegram_webhook(request: Request, telegram: TelegramDep, intake: IntakeDep) -> Response:
    """An update from Telegram: stored once per `update_id`, acknowledged, answered later."""
    telegram.verify(request.headers.get(SECRET_HEADER))
    try:
        data: Any = await request.json()
        update = telegram.update(data)
    except ValueError as err:
        raise HTTPException(400, f"the body is not a Telegram update: {err}") from err
    message = telegram.inbound(update)
    if message is not None:
        await intake.accept(message)
    return Response(status_code=200)
