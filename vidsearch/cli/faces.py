"""``vidsearch faces``: search by photo and manage archive identities (name, merge, split, undo)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from vidsearch.cli.core import ConfigOption, DataDirOption, clean_errors, console, settings_from

faces_app = typer.Typer(
    help="Search by photo; name, merge, split archive identities (every change undoable).",
    no_args_is_help=True,
)


def _time(seconds: float) -> str:
    minutes, sec = divmod(seconds, 60)
    return f"{int(minutes):02d}:{sec:04.1f}"


def _book(config: Path | None, data_dir: Path | None):
    from vidsearch.faces.identities import IdentityBook
    from vidsearch.faces.models import load_face_model, thresholds
    from vidsearch.store import open_store

    settings = settings_from(config, data_dir)
    model = load_face_model(settings.faces, settings.models.local_files_only)
    store = open_store(settings)
    limits = thresholds(settings.faces, model)
    return IdentityBook(store, model.identity, limits.identity_distance, limits.identity_distance,
                        limits.split_distance, limits.cluster_distance), settings


def _done(event) -> None:
    console.print(f"{event.summary}  [dim](undo: vidsearch faces undo {event.id})[/dim]", highlight=False)


def print_photo_result(result, media_dir: Path) -> None:
    for warning in result.warnings:
        console.print(f"[yellow]note:[/yellow] {warning}", highlight=False)
    if len(result.faces) > 1:
        console.print(
            f"{len(result.faces)} faces in the photo; searching face {result.chosen} "
            "(the largest unless --face picks one; numbered left to right)",
            highlight=False,
        )
    if not result.videos:
        console.print(
            f"nobody within distance {result.max_distance:.2f} of the face in {result.photo}", highlight=False
        )
        return
    table = Table(title=f"{result.photo}  ({result.took_ms:.0f} ms, max distance {result.max_distance:.2f})")
    for column in ("#", "distance", "video", "appearances", "person", "thumbnail"):
        table.add_column(column, overflow="fold")
    for rank, video in enumerate(result.videos, 1):
        best = video.persons[0]
        spans = ", ".join(f"{_time(a.start_s)}–{_time(a.end_s)}" for a in video.appearances[:6])
        more = f" (+{len(video.appearances) - 6})" if len(video.appearances) > 6 else ""
        who = best.name or best.identity_id or best.person_id
        thumb = str(media_dir / best.thumbnails[0]) if best.thumbnails else ""
        table.add_row(
            str(rank),
            f"{video.distance:.3f}",
            video.title or video.file_name or video.video_id,
            spans + more,
            who,
            thumb,
        )
    console.print(table)


@faces_app.command("search")
@clean_errors
def search_photo(
    photo: Annotated[Path, typer.Argument(help="a photo of the person (JPEG, PNG, WebP, TIFF, ...)")],
    face: Annotated[int | None, typer.Option("--face", help="which face, numbered left to right")] = None,
    k: Annotated[int | None, typer.Option("-k", help="videos to return")] = None,
    max_distance: Annotated[float | None, typer.Option(help="override the calibrated distance")] = None,
    video: Annotated[list[str] | None, typer.Option(help="only this video id (repeatable)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Find the videos where the person in a photo appears, with their appearance segments."""
    from vidsearch.faces.search import search_by_photo
    from vidsearch.store import open_store
    from vidsearch.store.base import SearchFilters

    settings = settings_from(config, data_dir)
    store = open_store(settings)
    try:
        result = search_by_photo(
            photo,
            settings,
            store,
            face_index=face,
            k=k,
            max_distance=max_distance,
            filters=SearchFilters(video_ids=video) if video else None,
        )
    finally:
        store.close()
    if json_out:
        print(result.model_dump_json(indent=2))
    else:
        print_photo_result(result, settings.media_dir)


@faces_app.command("identities")
@clean_errors
def list_identities(
    named: Annotated[bool, typer.Option(help="only identities with a name")] = False,
    limit: Annotated[int, typer.Option(help="at most this many")] = 50,
    json_out: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Archive identities, most widely seen first."""
    book, settings = _book(config, data_dir)
    found = book.identities(named_only=named)[:limit]
    if json_out:
        print(json.dumps([s.model_dump() for s in found], ensure_ascii=False, indent=2))
        return
    if not found:
        if named and book.identities():
            console.print("no identity is named yet (name one: vidsearch faces name IDENTITY NAME)")
        else:
            console.print("no identities yet (index videos with the faces stage)")
        return
    table = Table(title=f"{len(found)} identit{'y' if len(found) == 1 else 'ies'}")
    for column in ("identity", "name", "videos", "persons", "screen time", "thumbnail"):
        table.add_column(column, overflow="fold")
    for s in found:
        table.add_row(
            s.identity_id,
            s.name or "",
            str(len(s.videos)),
            str(len(s.persons)),
            _time(s.screen_time_s),
            str(settings.media_dir / s.thumbnail) if s.thumbnail else "",
        )
    console.print(table)


@faces_app.command("show")
@clean_errors
def show_identity(identity: str, config: ConfigOption = None, data_dir: DataDirOption = None) -> None:
    """The persons (one per video) that make up an identity."""
    book, _ = _book(config, data_dir)
    for pid, body in sorted(book.members(identity).items()):
        spans = ", ".join(f"{_time(a['start_s'])}–{_time(a['end_s'])}" for a in body.get("appearances", []))
        console.print(f"{pid}  video {body['video_id']}  {body.get('name') or ''}  {spans}", highlight=False)


@faces_app.command("name")
@clean_errors
def name_identity(
    identity: str, name: str, config: ConfigOption = None, data_dir: DataDirOption = None
) -> None:
    """Name an identity (every person in it takes the name)."""
    event = _book(config, data_dir)[0].name(identity, name)
    if event is None:
        console.print(f"{identity} is already named {name.strip()!r}; nothing recorded", highlight=False)
    else:
        _done(event)


@faces_app.command("merge")
@clean_errors
def merge_identities(
    keep: str, others: list[str], config: ConfigOption = None, data_dir: DataDirOption = None
) -> None:
    """Merge identities into KEEP (they were the same person)."""
    _done(_book(config, data_dir)[0].merge(keep, others))


@faces_app.command("split")
@clean_errors
def split_identity(
    identity: str, persons: list[str], config: ConfigOption = None, data_dir: DataDirOption = None
) -> None:
    """Move some persons out of an identity into a new one (they were someone else)."""
    _done(_book(config, data_dir)[0].split(identity, persons))


@faces_app.command("undo")
@clean_errors
def undo_change(
    event: Annotated[str | None, typer.Argument(help="event id (default: the latest change)")] = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Undo a name, merge or split (the latest one by default)."""
    book, _ = _book(config, data_dir)
    undo = book.undo(event)
    console.print(undo.summary, highlight=False)


@faces_app.command("history")
@clean_errors
def show_history(
    identity: Annotated[str | None, typer.Option(help="only events touching this identity")] = None,
    limit: int = 20,
    json_out: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Identity changes, newest first."""
    book, _ = _book(config, data_dir)
    events = book.history(identity, limit)
    if json_out:
        print(json.dumps([e.model_dump(mode="json") for e in events], ensure_ascii=False, indent=2))
        return
    for e in events:
        state = f"  [dim](undone by {e.undone_by})[/dim]" if e.undone_by else ""
        console.print(f"{e.at:%Y-%m-%d %H:%M:%S}  {e.id}  {e.kind:<5}  {e.summary}{state}", highlight=False)


@faces_app.command("link")
@clean_errors
def link_persons(config: ConfigOption = None, data_dir: DataDirOption = None) -> None:
    """Link every person of the archive into identities (ingest does this after its commits; run it after
    indexing with faces.link_identities off). Idempotent; keeps what users named, merged or split."""
    book, _ = _book(config, data_dir)
    report = book.link()
    console.print(f"{report.persons} person(s) in {report.identities} identit"
                  f"{'y' if report.identities == 1 else 'ies'}; {report.changed} reassigned, "
                  f"{report.pinned} held by your edits", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(faces_app, name="faces")
