"""The API's documentation pages (`/docs`, `/redoc`) with their viewers served from the package,
so they work with no internet (the viewers' versions and licences: static/VENDOR.md)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from agent.errors import NotFoundError

STATIC = Path(__file__).parent / "static"
PREFIX = "/docs/static"
TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}

# The viewers run from this server only: the browser refuses anything they would fetch elsewhere
# (ReDoc's menu shows its maker's logo from a CDN). Swagger UI starts from an inline script.
POLICY = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'"
    )
}

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI: try the API from the browser."""
    page = get_swagger_ui_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title} · API",
        swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
        swagger_css_url=f"{PREFIX}/swagger-ui.css",
        swagger_favicon_url=f"{PREFIX}/favicon-32x32.png",
    )
    page.headers.update(POLICY)
    return page


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    """ReDoc: the API as one readable page."""
    page = get_redoc_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title} · API",
        redoc_js_url=f"{PREFIX}/redoc.standalone.js",
        redoc_favicon_url=f"{PREFIX}/favicon-32x32.png",
        with_google_fonts=False,
    )
    page.headers.update(POLICY)
    return page


@router.get(PREFIX + "/{name}")
async def asset(name: str) -> FileResponse:
    """A file of the viewers."""
    if name not in TYPES:
        raise NotFoundError(f"no documentation file {name}")
    return FileResponse(
        STATIC / name, media_type=TYPES[name], headers={"cache-control": "public, max-age=86400"}
    )


def _openapi_url(request: Request) -> str:
    return str(request.scope.get("root_path", "")) + str(request.app.openapi_url)
