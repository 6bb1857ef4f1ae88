"""The ``patentval`` command line."""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn

app = typer.Typer(no_args_is_help=True, help="Patent valuation and patent-pledge financing.")


@app.callback()
def main() -> None:
    """Patent valuation and patent-pledge financing."""


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    database_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL; default from PATENTVAL_DATABASE_URL.")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Run the HTTP service and its pages."""
    if database_url:
        # Worker processes build their own app from the environment.
        os.environ["PATENTVAL_DATABASE_URL"] = database_url
    typer.echo(f"patentval: serving on http://{host}:{port}")
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers)
