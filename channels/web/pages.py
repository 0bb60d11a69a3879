"""The widget script and the demo shop page that shows it (`/widget.js`, `/`).

The page runs no inline script and may be framed only by the sites allowed to chat
(`WEB_ALLOWED_ORIGINS`); the script may be loaded by any site (it is meant to be embedded), is
only ever run as JavaScript (`nosniff`), and is never a page itself.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.i18n import money
from agent.models import Product
from agent.provided import CompanyDep, SessionDep, SettingsDep
from agent.words import N_, Labels
from agent.words.catalogue import LANGUAGES
from channels.web.origins import OriginPolicy

STATIC = Path(__file__).parent / "static"
# The demo page's template (templates/demo.html), autoescaped: the shop's texts are shown as text.
TEMPLATES = Environment(
    loader=PackageLoader("channels.web", "templates"),
    autoescape=select_autoescape(),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
TEMPLATES.filters["money"] = money

WIDGET_HEADERS = {
    "cache-control": "public, max-age=300",
    "x-content-type-options": "nosniff",
    "cross-origin-resource-policy": "cross-origin",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
}


WIDGET_WORDS = {
    "title": N_("widget.title"),
    "open": N_("widget.open"),
    "close": N_("widget.close"),
    "send": N_("widget.send"),
    "placeholder": N_("widget.placeholder"),
    "label": N_("widget.label"),
    "log": N_("widget.log"),
    "connecting": N_("widget.connecting"),
    "online": N_("widget.online"),
    "offline": N_("widget.offline"),
    "typing": N_("widget.typing"),
    "older": N_("widget.older"),
    "human": N_("widget.human"),
    "refused": N_("widget.refused"),
    "unread": N_("widget.unread"),
    "welcome": N_("widget.welcome"),
    "you": N_("widget.you"),
    "agent": N_("widget.agent"),
    "pending": N_("widget.pending"),
}
"""The widget's labels, by the names its script uses."""
_EMPTY_WORDS = "var WORDS = { es: {}, en: {} };"
"""The table in static/widget.js that the served script carries the catalogue's words in."""


def widget_script() -> str:
    """The widget's script with its labels from the catalogue, in every language."""
    words = {language: dict(Labels(language, WIDGET_WORDS)) for language in LANGUAGES}
    filled = f"var WORDS = {json.dumps(words, ensure_ascii=False)};"
    return (STATIC / "widget.js").read_text(encoding="utf-8").replace(_EMPTY_WORDS, filled, 1)


def page_headers(policy: OriginPolicy) -> dict[str, str]:
    """The demo page's security headers: its own scripts only, framed by allowed sites only."""
    ancestors = policy.frame_ancestors()
    headers = {
        # Styles inline: the page's own <style> and the widget's, in its shadow root.
        "content-security-policy": (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            f"form-action 'self'; frame-ancestors {ancestors}"
        ),
        "x-content-type-options": "nosniff",
        "referrer-policy": "strict-origin-when-cross-origin",
    }
    if ancestors == "'self'":
        headers["x-frame-options"] = "SAMEORIGIN"  # for browsers without frame-ancestors
    return headers


router = APIRouter(include_in_schema=False)


@router.get("/widget.js")
async def widget() -> Response:
    """The embeddable chat widget (one script, no dependencies)."""
    return Response(
        widget_script(), media_type="text/javascript; charset=utf-8", headers=WIDGET_HEADERS
    )


@router.get("/", response_class=HTMLResponse)
async def demo_page(
    company: CompanyDep, settings: SettingsDep, session: SessionDep
) -> HTMLResponse:
    """The demo shop's page, with the chat widget on it."""
    products = await featured_products(session)
    page = TEMPLATES.get_template("demo.html").render(
        shop_name=settings.shop_name,
        about=company.about.text("es"),
        address=f"{company.address}, {company.city}",
        phone=company.phone,
        products=products,
        currency=settings.currency,
    )
    return HTMLResponse(page, headers=page_headers(OriginPolicy.from_settings(settings)))


async def featured_products(session: AsyncSession, *, limit: int = 8) -> list[Product]:
    """One priced, in-stock product from each category, up to `limit`."""
    available = (Product.active.is_(True), Product.stock > 0, Product.price.is_not(None))
    first = select(func.min(Product.id)).where(*available).group_by(Product.category)
    rows = await session.execute(
        select(Product).where(Product.id.in_(first)).order_by(Product.category).limit(limit)
    )
    return list(rows.scalars())
