"""The ``vidsearch`` command. Each feature adds its commands in its own module, registered here."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="vidsearch",
    help="Search a broadcast video archive: index videos, search them by text or face, serve the API.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    from vidsearch.cli import core, credits, faces

    core.register(app)
    faces.register(app)
    app.add_typer(credits.app)
    from vidsearch.cli import es

    app.add_typer(es.app)
    from vidsearch.cli import relevance

    app.add_typer(relevance.app)
    from vidsearch.cli import edits

    edits.register(app, relevance.app)
    from vidsearch.cli import serve as serve_commands

    serve_commands.register(app)
    from vidsearch.cli import models

    app.add_typer(models.app)


def main() -> None:
    _register()
    app()
