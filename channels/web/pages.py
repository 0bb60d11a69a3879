"""The widget script and the demo shop page that shows it (`/widget.js`, `/`).

The page runs no inline script and may be framed only by the sites allowed to chat
(`WEB_ALLOWED_ORIGINS`); the script may be loaded by any site (it is meant to be embedded), is
only ever run as JavaScript (`nosniff`), and is never a page itself.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.i18n import money
from agent.models import Product
from agent.provided import CompanyDep, SessionDep, SettingsDep
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
async def widget() -> FileResponse:
    """The embeddable chat widget (one script, no dependencies)."""
    return FileResponse(
        STATIC / "widget.js",
        media_type="text/javascript; charset=utf-8",
        headers=WIDGET_HEADERS,
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
