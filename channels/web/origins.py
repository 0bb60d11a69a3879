"""Which sites may open the web chat: the app's own pages, configured shops, localhost in dev."""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from agent.settings import Settings

_LOCAL = re.compile(r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$")
_LOCAL_PATTERN = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"


def _normalise(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


@dataclass(frozen=True, slots=True)
class OriginPolicy:
    """Decides whether a browser page from `origin` may use the chat."""

    allowed: frozenset[str]
    allow_any: bool = False
    allow_localhost: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> OriginPolicy:
        """`WEB_ALLOWED_ORIGINS` (comma-separated, `*` for any); localhost too in development."""
        origins = {_normalise(o) for o in settings.web_allowed_origins.split(",") if o.strip()}
        return cls(
            allowed=frozenset(origins - {"*"}),
            allow_any="*" in origins,
            allow_localhost=settings.environment == "development",
        )

    @classmethod
    def for_widget(cls, settings: Settings, origins: frozenset[str]) -> OriginPolicy:
        """A shop's widget: the sites its key was connected with, else WEB_ALLOWED_ORIGINS."""
        if not origins:
            return cls.from_settings(settings)
        return cls(allowed=origins, allow_localhost=settings.environment == "development")

    def allows(self, origin: str | None, *, host: str | None, secure: bool) -> bool:
        """True for no Origin (not a browser), the app's own origin, or an allowed site."""
        if origin is None:
            return True
        origin = _normalise(origin)
        if self.allow_any or origin in self.allowed:
            return True
        if host and origin == f"{'https' if secure else 'http'}://{host.lower()}":
            return True
        return self.allow_localhost and bool(_LOCAL.match(origin))

    def frame_ancestors(self) -> str:
        """The CSP `frame-ancestors` sources: the app itself and the sites allowed to chat."""
        if self.allow_any:
            return "*"
        sources = ["'self'", *sorted(self.allowed)]
        if self.allow_localhost:
            sources += ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"]
        return " ".join(sources)


class ChatCORS:
    """CORS for the chat's HTTP endpoints only (`/chat/...`), from the same origin policy."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        policy = OriginPolicy.from_settings(settings)
        self.cors = CORSMiddleware(
            app,
            allow_origins=["*"] if policy.allow_any else sorted(policy.allowed),
            allow_origin_regex=_LOCAL_PATTERN if policy.allow_localhost else None,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type"],
            max_age=3600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/chat/"):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
