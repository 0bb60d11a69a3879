"""The WhatsApp channel: Twilio's form fields in, `InboundMessage` out; its output and media.

Twilio signs each webhook with the account's auth token over the URL it called and the form
fields (`X-Twilio-Signature`). Behind a TLS proxy the URL this service sees is not the one
Twilio called, so the signature is checked against `PUBLIC_BASE_URL` + the path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from agent.errors import ChannelAuthError, ConfigurationError
from agent.messages import InboundMessage, MediaRef
from agent.settings import Settings
from agent.voice.fetch import download
from channels.whatsapp.output import CHANNEL, WhatsAppOutput
from channels.whatsapp.twilio_http import TwilioHttp

INBOUND_PATH = "/webhooks/twilio/whatsapp"
STATUS_PATH = "/webhooks/twilio/whatsapp/status"
MAX_MEDIA = 10
"""Twilio sends at most 10 media per message."""


@dataclass(frozen=True, slots=True)
class WhatsAppConfig:
    """The channel's settings, checked: all of them or none."""

    account_sid: str
    auth_token: str
    sender: str
    public_base_url: str
    content_sid: str | None
    content_variables: dict[str, Any] | None
    api_base_url: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> WhatsAppConfig | None:
        """The configuration, None when WhatsApp is off; `ConfigurationError` naming what is
        missing when it is half set."""
        values = {
            "TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
            "TWILIO_AUTH_TOKEN": (
                settings.twilio_auth_token.get_secret_value()
                if settings.twilio_auth_token
                else None
            ),
            "TWILIO_WHATSAPP_FROM": settings.twilio_whatsapp_from,
        }
        if not any(values.values()):
            return None
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise ConfigurationError(
                f"WhatsApp is half configured: set {', '.join(missing)} (or unset every TWILIO_*)"
            )
        if not settings.public_base_url:
            raise ConfigurationError(
                "WhatsApp needs PUBLIC_BASE_URL: the https address Twilio calls this service at "
                "(its signatures are checked against it)"
            )
        sender = str(values["TWILIO_WHATSAPP_FROM"])
        if not sender.startswith("whatsapp:+"):
            raise ConfigurationError(
                f"TWILIO_WHATSAPP_FROM must look like whatsapp:+573001234567, not {sender!r}"
            )
        variables = None
        if settings.twilio_content_variables:
            try:
                variables = json.loads(settings.twilio_content_variables)
            except ValueError as err:
                raise ConfigurationError("TWILIO_CONTENT_VARIABLES is not valid JSON") from err
        return cls(
            account_sid=str(values["TWILIO_ACCOUNT_SID"]),
            auth_token=str(values["TWILIO_AUTH_TOKEN"]),
            sender=sender,
            public_base_url=settings.public_base_url.rstrip("/"),
            content_sid=settings.twilio_content_sid or None,
            content_variables=variables,
            api_base_url=settings.twilio_api_base_url,
        )


class WhatsAppChannel:
    """Verifies Twilio's webhooks, translates them, fetches their media, and sends replies."""

    name = CHANNEL

    def __init__(
        self,
        config: WhatsAppConfig,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
    ) -> None:
        self.config = config
        self._validator = RequestValidator(config.auth_token)
        self._http = TwilioHttp(base_url=config.api_base_url)
        client = Client(config.account_sid, config.auth_token, http_client=self._http)
        self.output = WhatsAppOutput(
            client,
            sessions,
            sender=config.sender,
            status_callback=config.public_base_url + STATUS_PATH,
            content_sid=config.content_sid,
            content_variables=config.content_variables,
            part_chars=settings.whatsapp_part_chars,
            max_parts=settings.whatsapp_max_parts,
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, sessions: async_sessionmaker[AsyncSession]
    ) -> WhatsAppChannel | None:
        """The channel when its credentials are set."""
        config = WhatsAppConfig.from_settings(settings)
        return cls(config, sessions, settings) if config is not None else None

    def verify(self, path: str, query: str, form: Any, signature: str | None) -> None:
        """`ChannelAuthError` unless Twilio signed this request for our public URL."""
        url = self.config.public_base_url + path + (f"?{query}" if query else "")
        if not signature or not self._validator.validate(url, form, signature):
            raise ChannelAuthError("the request is not signed by Twilio for this service")

    def inbound(self, form: Mapping[str, Any]) -> InboundMessage | None:
        """The customer's message, or None for a webhook that carries none."""
        sid = str(form.get("MessageSid") or form.get("SmsMessageSid") or "")
        sender = str(form.get("From") or "")
        if not sid or not sender:
            return None
        media = []
        count = _int(form.get("NumMedia"))
        for index in range(min(count, MAX_MEDIA)):
            url = form.get(f"MediaUrl{index}")
            if not url:
                continue
            content_type = str(form.get(f"MediaContentType{index}") or "")
            media.append(
                MediaRef(kind=_kind(content_type), url=str(url), content_type=content_type)
            )
        return InboundMessage(
            channel=CHANNEL,
            external_message_id=sid,
            external_chat_id=sender,
            text=str(form.get("Body") or ""),
            sender=sender,
            sender_name=str(form.get("ProfileName") or "") or None,
            media=tuple(media),
        )

    async def fetch_media(self, url: str, *, max_bytes: int) -> bytes:
        """A media file Twilio keeps: its URL asks for the account's login and redirects."""
        return await download(
            url, max_bytes=max_bytes, auth=(self.config.account_sid, self.config.auth_token)
        )

    async def start(self) -> None:
        """Nothing to check at start-up: Twilio is asked when there is something to send."""

    async def close(self) -> None:
        """Close the HTTP sessions."""
        await self._http.close()


def _int(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def _kind(content_type: str) -> str:
    if content_type.startswith("audio/"):
        return "voice"
    if content_type.startswith("image/"):
        return "image"
    return "file"
