"""Each channel's HTTP routes, by the channel's name: the app mounts every channel from here.

Apart from the adapters (channels/registry.py), which the runtime builds: the routes take what
they need of the runtime through the keys of agent/provided.py and channels/deps.py, which the
app is given when it starts. A channel whose settings are not set keeps its routes,
which answer 404 naming the settings; adding a channel is one entry here (and one in the
registry for a vendor's adapter), not an edit of the app.
"""

from __future__ import annotations

from fastapi import APIRouter

from channels.odoo_livechat import webhook as odoo_webhook
from channels.odoo_livechat.events import CHANNEL as ODOO
from channels.telegram import webhook as telegram_webhook
from channels.telegram.output import CHANNEL as TELEGRAM
from channels.web import audio as web_audio
from channels.web import http as web_http
from channels.web import images as web_images
from channels.web import pages as web_pages
from channels.web import socket as web_socket
from channels.web.output import CHANNEL as WEB
from channels.whatsapp import webhook as whatsapp_webhook
from channels.whatsapp.output import CHANNEL as WHATSAPP

CHANNEL_ROUTES: dict[str, tuple[APIRouter, ...]] = {
    WEB: (
        web_http.router,
        web_images.router,
        web_socket.router,
        web_pages.router,
        web_audio.router,
    ),
    WHATSAPP: (whatsapp_webhook.router,),
    TELEGRAM: (telegram_webhook.router,),
    ODOO: (odoo_webhook.router,),
}
