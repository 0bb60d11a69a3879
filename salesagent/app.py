"""The FastAPI app factory: lifespan-managed runtime, routers, and errors as clear JSON."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from starlette.exceptions import HTTPException

import agent
from agent.errors import (
    ChannelAuthError,
    ConfigurationError,
    InvalidInputError,
    NotFoundError,
    SalesAgentError,
    TurnTimeoutError,
)
from agent.provided import (
    COMPANY,
    DISPATCHER,
    ENGINE,
    INDEX,
    OUTPUTS,
    SESSIONS,
    SETTINGS,
    Provided,
)
from agent.ratelimit import limit_public_chat
from agent.request_guard import RequestGuard, RequestRefused
from agent.settings import Settings, get_settings
from channels.deps import CHANNELS, INTAKE, ODOO
from channels.routes import CHANNEL_ROUTES
from channels.web.deps import WEB_TURNS
from channels.web.origins import ChatCORS
from console import dashboard as console_dashboard
from console import exports as console_exports
from console import knowledge as console_knowledge
from console import leads as console_leads
from console import proposals as console_proposals
from console import routes as console_routes
from console.assistant import routes as console_assistant
from console.auth import CONSOLE, ManagersOnly
from exports import routes as export_routes
from exports.routes import EXPORTS
from metrics import routes as metrics_routes
from salesagent.loops import background_loops
from salesagent.runtime import Runtime
from shop_api import mount_api
from shop_api.docs import router as api_docs_router
from storage import routes as storage_routes
from storage.routes import STORAGE

log = logging.getLogger(__name__)

RUNTIME = Provided("runtime", Runtime)
"""The whole runtime, for the wiring's own routes (health) and the server's banner."""
RuntimeDep = Annotated[Runtime, Depends(RUNTIME.get)]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the runtime is started in the lifespan and always closed."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            runtime = await Runtime.start(settings)
        except SalesAgentError as err:  # `salesagent serve` prints it without the traceback
            app.state.startup_error = err
            raise
        # Shutdown is the reverse: the loops are cancelled (a loop that does not end within
        # STOP_SECONDS is named in the log, not waited for), then the runtime closes its parts.
        async with runtime, background_loops() as loops:
            provide(app, runtime)
            if runtime.queue is None:  # else the workers run them (`salesagent worker`)
                for name, loop in runtime.loops.items():
                    loops.start(name, loop)
            if runtime.intake is not None:  # messages a stopped process stored, not answered
                await runtime.intake.jobs.resume(runtime.sessions, runtime.channels)
            yield

    app = FastAPI(
        title="salesagent",
        version=agent.__version__,
        summary="A conversational sales agent that sells from the shop's real inventory.",
        lifespan=lifespan,
        docs_url=None,  # served by shop_api.docs from the package, not a CDN
        redoc_url=None,
    )
    app.include_router(api_docs_router)
    for routers in CHANNEL_ROUTES.values():  # every channel from one registry
        for router in routers:
            app.include_router(router)
    app.include_router(console_routes.router)
    app.include_router(console_exports.router)
    app.include_router(console_knowledge.router)
    app.include_router(console_proposals.router)
    app.include_router(console_dashboard.router)
    app.include_router(console_assistant.router)
    app.include_router(console_leads.router)
    app.include_router(export_routes.router)
    app.include_router(storage_routes.router)
    app.include_router(metrics_routes.router)
    # Sizes and text are checked inside CORS and the rate limit: a refusal costs a request, and
    # a browser on a shop's site can read it.
    app.add_middleware(
        RequestGuard,
        max_body=settings.max_body_bytes,
        uploads={
            "/chat/audio": settings.voice_max_bytes,
            "/chat/image": settings.max_image_bytes,
            console_knowledge.UPLOAD_PATH: settings.kb_max_bytes,
        },
    )
    # The chat's rate limit sits inside CORS: a preflight costs nothing, and a browser on a
    # shop's site can read the 429 it gets.
    limit_public_chat(app, settings)
    app.add_middleware(ChatCORS, settings=settings)
    app.add_api_route("/health", health, methods=["GET"], tags=["health"])
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(ManagersOnly, console_routes.managers_only)
    app.add_exception_handler(SalesAgentError, _product_error)
    mount_api(app, settings)
    app.openapi_tags = [*(app.openapi_tags or []), export_routes.TAG]
    return app


def provide(app: FastAPI, runtime: Runtime) -> None:
    """Give the routes the runtime's parts, each under its key (agent/provided.py)."""
    RUNTIME.give(app, runtime)
    SETTINGS.give(app, runtime.settings)
    SESSIONS.give(app, runtime.sessions)
    ENGINE.give(app, runtime.engine)
    DISPATCHER.give(app, runtime.dispatcher)
    INDEX.give(app, runtime.index)
    COMPANY.give(app, runtime.company)
    OUTPUTS.give(app, runtime.outputs)
    CHANNELS.give(app, runtime.channels)
    INTAKE.give(app, runtime.intake)
    WEB_TURNS.give(app, runtime.web_turns)
    ODOO.give(app, runtime.odoo)
    CONSOLE.give(app, runtime.console)
    EXPORTS.give(app, runtime.exports)
    STORAGE.give(app, runtime.storage)


async def health(runtime: RuntimeDep) -> JSONResponse:
    """Whether the service and its database answer, how the language model fares, and whether
    voice notes can be heard (`voice`: the speech model available, or why not)."""
    llm = runtime.engine.llm.status() if runtime.engine.llm is not None else None
    voice_model = runtime.voice.status() if runtime.voice is not None else None
    try:
        async with runtime.sessions() as session:
            await session.execute(text("SELECT 1"))
    except Exception as err:  # health reports any database failure instead of raising it
        log.warning("health check: database unavailable: %s", err)
        return JSONResponse(
            {"status": "unavailable", "database": f"error: {type(err).__name__}", "llm": llm},
            status_code=503,
        )
    body = {"status": "ok", "database": "ok", "version": agent.__version__, "llm": llm}
    body["voice"] = voice_model.report() if voice_model is not None else None
    return JSONResponse(body)


def _field_name(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": _field_name(e.get("loc", ())), "message": _message(e)} for e in exc.errors()
    ]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return JSONResponse({"detail": summary, "errors": errors}, status_code=422)


def _message(error: dict[str, Any]) -> str:
    if error.get("type") == "missing":
        return "field required"
    if error.get("type") == "json_invalid":
        return "the body is not valid JSON (it must be UTF-8 encoded JSON)"
    return str(error.get("msg", "invalid value")).removeprefix("Value error, ")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if isinstance(exc, RequestRefused):
        return Response(exc.body(), exc.status_code, media_type="application/json")
    return await http_exception_handler(request, exc)


async def _product_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SalesAgentError)
    status = 500
    body: dict[str, Any] = {"detail": str(exc)}
    if isinstance(exc, InvalidInputError):
        status = 422
        if exc.field:
            body["errors"] = [{"field": exc.field, "message": str(exc)}]
    elif isinstance(exc, NotFoundError):
        status = 404
    elif isinstance(exc, ChannelAuthError):
        status = 403
    elif isinstance(exc, ConfigurationError):
        status = 503
    elif isinstance(exc, TurnTimeoutError):
        status = 504
    if status == 500:
        log.error("unhandled product error: %s", exc, exc_info=exc)
    return JSONResponse(body, status_code=status)
