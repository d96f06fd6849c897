"""``vidsearch edits``: correct segments and credits, map role titles, review, revert and undo — the same operations
as the API's edit routes (``vidsearch.edits.desk``) — and ``vidsearch relevance export`` for judgments."""

from __future__ import annotations

import datetime as dt
import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from vidsearch.cli.core import ConfigOption, DataDirOption, clean_errors, console, settings_from
from vidsearch.errors import InvalidQuery

app = typer.Typer(name="edits", no_args_is_help=True,
                  help="Correct what the machine got wrong (segments, credits, role titles); history, revert, undo.")

TargetArg = Annotated[str, typer.Argument(help="segment or credit")]
WhoOption = Annotated[str | None, typer.Option("--who", help="recorded as the editor (default: your login name)")]
ReasonOption = Annotated[str | None, typer.Option("--reason", "-r", help="why: shown in the history")]
VersionOption = Annotated[int | None, typer.Option("--version", help="refuse if the item is no longer at it")]
JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]


@contextmanager
def _desk(config, data_dir) -> Iterator[Any]:
    from vidsearch.edits.desk import EditDesk
    from vidsearch.store import open_store

    settings = settings_from(config, data_dir)
    store = open_store(settings)
    try:
        yield EditDesk(store, settings)
    finally:
        store.close()


def _who(who: str | None) -> str:
    return who or getpass.getuser()


def _print_item(state, json_out: bool) -> None:
    if json_out:
        print(state.model_dump_json(indent=2))
        return
    title = f"{state.target} {state.target_id} — version {state.version}" + ("  [red](deleted)[/red]" if state.deleted
                                                                            else "")
    table = Table(title=title)
    for column in ("field", "shown", "machine", ""):
        table.add_column(column, overflow="fold")
    for name, value in state.values.items():
        flag = "review" if name in state.review else ("edited" if name in state.edited else "")
        machine = state.machine.get(name) if name in state.edited else ""
        table.add_row(name, str(value if value is not None else "—"), str(machine or ""), flag)
    console.print(table)
    for record in state.history:
        changes = ", ".join(f"{n}: {c.old!r} → {'(machine) ' if c.follows_machine else ''}{c.new!r}"
                            for n, c in record.changes.items())
        console.print(f"v{record.version} {record.kind} by {record.who} at {record.at:%Y-%m-%d %H:%M} "
                      f"[dim]{record.id}[/dim] {changes}" + (f" — {record.reason}" if record.reason else ""),
                      highlight=False, markup=False)


def _parse_changes(assignments: list[str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for item in assignments:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InvalidQuery(f"{item!r}: expected FIELD=VALUE (an empty VALUE clears the field)")
        changes[name.strip()] = value if value != "" else None
    return changes


@app.command()
@clean_errors
def show(target: TargetArg, item_id: str, json_out: JsonOption = False, config: ConfigOption = None,
         data_dir: DataDirOption = None) -> None:
    """An item's shown and machine values, version and history."""
    with _desk(config, data_dir) as desk:
        _print_item(desk.item(target, item_id), json_out)


@app.command("set")
@clean_errors
def set_fields(target: TargetArg, item_id: str,
               assignments: Annotated[list[str], typer.Argument(help="FIELD=VALUE, e.g. caption='해운대 해수욕장'")],
               who: WhoOption = None, reason: ReasonOption = None, version: VersionOption = None,
               json_out: JsonOption = False, config: ConfigOption = None, data_dir: DataDirOption = None) -> None:
    """Correct fields: segment title/synopsis/ocr_text/caption/keywords, credit name/role_text/role_code."""
    with _desk(config, data_dir) as desk:
        _print_item(desk.edit(target, item_id, _parse_changes(assignments), _who(who), reason, version), json_out)


@app.command("delete-credit")
@clean_errors
def delete_credit(item_id: str, who: WhoOption = None, reason: ReasonOption = None, config: ConfigOption = None,
                  data_dir: DataDirOption = None) -> None:
    """Remove a false credit (an edit: `vidsearch edits revert credit ID --to 0` brings it back)."""
    with _desk(config, data_dir) as desk:
        _print_item(desk.edit("credit", item_id, {"deleted": True}, _who(who), reason), False)


@app.command()
@clean_errors
def revert(target: TargetArg, item_id: str,
           to: Annotated[int, typer.Option("--to", help="version to return to; 0: the machine values")],
           who: WhoOption = None, reason: ReasonOption = None, version: VersionOption = None,
           config: ConfigOption = None, data_dir: DataDirOption = None) -> None:
    """Make an item look as it did at an earlier version (recorded as a new version)."""
    with _desk(config, data_dir) as desk:
        _print_item(desk.revert(target, item_id, to, _who(who), reason, version), False)


@app.command()
@clean_errors
def undo(target: TargetArg, item_id: str, edit_id: str, who: WhoOption = None, reason: ReasonOption = None,
         config: ConfigOption = None, data_dir: DataDirOption = None) -> None:
    """Take back one edit; refused, naming it, while a later edit changed the same fields."""
    with _desk(config, data_dir) as desk:
        _print_item(desk.undo(target, item_id, edit_id, _who(who), reason), False)


def _print_records(records, json_out: bool) -> None:
    if json_out:
        print(json.dumps([r.model_dump(mode="json") for r in records], ensure_ascii=False, indent=2))
        return
    table = Table()
    for column in ("when", "who", "kind", "item", "v", "fields", "why"):
        table.add_column(column, overflow="fold")
    for r in records:
        table.add_row(f"{r.at:%Y-%m-%d %H:%M}", r.who, r.kind + (" ⚑" if r.review else ""),
                      f"{r.target} {r.target_id}", str(r.version), ", ".join(r.changes), r.reason or r.note or "")
    console.print(table)


@app.command("log")
@clean_errors
def audit_log(who: Annotated[str | None, typer.Option("--who")] = None,
              kind: Annotated[str | None, typer.Option("--kind", help="edit, revert, undo, map_role_title, "
                                                                       "judgment, identity_merge, ...")] = None,
              target: Annotated[str | None, typer.Option("--target")] = None,
              since: Annotated[dt.datetime | None, typer.Option("--since")] = None,
              until: Annotated[dt.datetime | None, typer.Option("--until")] = None,
              limit: Annotated[int, typer.Option("--limit", min=1)] = 100, json_out: JsonOption = False,
              config: ConfigOption = None, data_dir: DataDirOption = None) -> None:
    """The archive-wide audit log, newest first."""
    with _desk(config, data_dir) as desk:  # times without a zone are UTC
        _print_records(desk.audit(who, kind, target, since, until, limit), json_out)


@app.command()
@clean_errors
def review(limit: Annotated[int, typer.Option("--limit", min=1)] = 100, json_out: JsonOption = False,
           config: ConfigOption = None, data_dir: DataDirOption = None) -> None:
    """Edits whose machine value changed under them on re-analysis (or whose item is gone)."""
    with _desk(config, data_dir) as desk:
        _print_records(desk.review(limit), json_out)


@app.command()
@clean_errors
def roles(limit: Annotated[int, typer.Option("--limit", min=1)] = 30,
          suggest: Annotated[bool, typer.Option(help="with the role mapper's top-5 (loads it)")] = True,
          json_out: JsonOption = False, config: ConfigOption = None, data_dir: DataDirOption = None) -> None:
    """Role titles without a code, most frequent first."""
    with _desk(config, data_dir) as desk:
        queue = desk.role_queue(limit, suggest)
    if json_out:
        print(json.dumps([q.model_dump() for q in queue], ensure_ascii=False, indent=2))
        return
    table = Table(title="unmapped role titles (map one: vidsearch edits map-role TITLE CODE)")
    for column in ("title", "credits", "videos", "suggestions"):
        table.add_column(column, overflow="fold")
    for q in queue:
        table.add_row(q.title, str(q.credits), str(q.videos),
                      "; ".join(f"{s.code} {s.label} ({s.score:.2f})" for s in q.suggestions))
    console.print(table)


@app.command("map-role")
@clean_errors
def map_role(title: str, code: Annotated[str | None, typer.Argument(help="EBU code; omit with --unmap")] = None,
             unmap: Annotated[bool, typer.Option("--unmap", help="take the title's mapping back")] = False,
             who: WhoOption = None, reason: ReasonOption = None, config: ConfigOption = None,
             data_dir: DataDirOption = None) -> None:
    """Map a role title to an EBU code for every credit in the archive (and the site's title list)."""
    if (code is None) != unmap:
        raise InvalidQuery("give a CODE, or --unmap to take the mapping back")
    with _desk(config, data_dir) as desk:
        done = desk.map_role_title(title, None if unmap else code, _who(who), reason)
    console.print(f"{done.title!r} → {done.code or 'no code'}: {done.credits_updated} credit(s) updated "
                  f"(version {done.version})", highlight=False)


@app.command("role-codes")
@clean_errors
def role_codes(words: Annotated[str | None, typer.Argument(help="words the label contains")] = None,
               config: ConfigOption = None, data_dir: DataDirOption = None) -> None:
    """EBU RoleCodeCS codes whose label or department contains every word."""
    with _desk(config, data_dir) as desk:
        for row in desk.role_codes(words, limit=200):
            console.print(f"{row['code']:>7}  {row['label']}  [dim]{row['department']}[/dim]", highlight=False)


@app.command("not-this-person")
@clean_errors
def not_this_person(identity_id: str, person_id: str, who: WhoOption = None, reason: ReasonOption = None,
                    config: ConfigOption = None, data_dir: DataDirOption = None) -> None:
    """A face sample (one video's person) that is not this identity: it gets an identity of its own."""
    with _desk(config, data_dir) as desk:
        change = desk.not_this_person(identity_id, person_id, _who(who), reason)
    console.print(f"{change.summary}  [dim](undo: vidsearch faces undo {change.event_id})[/dim]", highlight=False)


@clean_errors
def export_judgments(
    out: Annotated[Path, typer.Option("--out", "-o", help="file to write (JSONL, or TREC qrels)")],
    fmt: Annotated[str, typer.Option("--format", help="jsonl (with query texts) or trec (+ .queries.jsonl)")]
    = "jsonl",
    config: ConfigOption = None, data_dir: DataDirOption = None,
) -> None:
    """Write the judgments collected on the results page for `vidsearch relevance eval|sweep -j FILE`."""
    from vidsearch.edits.judgments import export

    with _desk(config, data_dir) as desk:
        done = export(desk.layer.log, out, fmt)
    console.print(f"{done['judgments']} judgment(s) of {done['queries']} quer(y/ies) → "
                  f"{', '.join(done['files'])}", highlight=False)


def register(root: typer.Typer, relevance: typer.Typer) -> None:
    root.add_typer(app)
    relevance.command("export")(export_judgments)
