"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from sqlalchemy import Engine

from api.settings import Settings
from storage.database import ping
from storage.migrate import open_database
from valuation import ENGINE_VERSION

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


class Health(BaseModel):
    status: str
    version: str
    database: str


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(_engine)]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service for ``settings`` (read from the environment when omitted)."""
    settings = settings or Settings()
    templates = Jinja2Templates(directory=TEMPLATES_DIR)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = open_database(settings.database_url)
        yield
        app.state.engine.dispose()

    app = FastAPI(
        title="patentval",
        version=ENGINE_VERSION,
        summary="Patent valuation and patent-pledge financing",
        lifespan=lifespan,
    )

    @app.get("/health", tags=["service"])
    def health(engine: EngineDep) -> Health:
        """Whether the service and its database answer."""
        return Health(status="ok", version=ENGINE_VERSION, database=ping(engine))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        """The home page."""
        return templates.TemplateResponse(request, "home.html", {"version": ENGINE_VERSION})

    return app
