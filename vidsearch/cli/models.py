"""``vidsearch models list|verify``: the configured models, what was built with them, and whether they work."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from vidsearch.cli.core import ConfigOption, DataDirOption, clean_errors, console, settings_from

app = typer.Typer(name="models", help="The models the stages and query encoders use: list and verify them.",
                  no_args_is_help=True)


@app.command("list")
@clean_errors
def list_command(config: ConfigOption = None, data_dir: DataDirOption = None,
                 json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every configured model: backend, hub id or folder, dims, checksum, and which indices/videos it built."""
    from vidsearch.models.catalog import entry_dict, list_models

    entries = list_models(settings_from(config, data_dir))
    if json_out:
        print(json.dumps([entry_dict(e) for e in entries], ensure_ascii=False, indent=2))
        return
    for entry in entries:
        dims = f", {entry.dims}-d" if entry.dims else ""
        console.print(f"[bold]{entry.role}[/bold] {escape(f'{entry.backend}: {entry.source}{dims}')}",
                      highlight=False)
        console.print(f"    checksum {entry.checksum}", highlight=False, markup=False)
        console.print(f"    used by stages: {', '.join(entry.stages) or '(no configured stage)'}",
                      highlight=False, markup=False)
        if entry.index:
            console.print(f"    index encoder: {entry.index.get('id')} ({entry.index.get('dims')}-d)",
                          highlight=False, markup=False)
        for what, count in sorted(entry.videos.items()):
            console.print(f"    built {count} video(s): {what}", highlight=False, markup=False)


@app.command()
@clean_errors
def verify(role: Annotated[list[str] | None, typer.Argument(help="only these roles (text, ocr, …)")] = None,
           config: ConfigOption = None, data_dir: DataDirOption = None,
           json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Load each configured model and check its dims and a known output; exit 1 if any fails."""
    from vidsearch.models.catalog import verify_models

    verdicts = verify_models(settings_from(config, data_dir), role)
    if json_out:
        print(json.dumps([v.__dict__ for v in verdicts], ensure_ascii=False, indent=2))
    else:
        for verdict in verdicts:
            mark = "[green]ok[/green]  " if verdict.ok else "[red]FAIL[/red]"
            console.print(f"{mark} {escape(f'{verdict.role} {verdict.source}: ' + '; '.join(verdict.checks))}",
                          highlight=False)
    if any(not v.ok for v in verdicts):
        raise typer.Exit(1)

