"""``vidsearch credits ...``: read a video's end credits, search credits, a person's credited programmes, and
render a credit roll from a role/name list (test footage)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from vidsearch.cli.core import ConfigOption, DataDirOption, clean_errors, console, settings_from
from vidsearch.errors import InvalidQuery

T = TypeVar("T")

app = typer.Typer(name="credits", help="End-credit rolls: read, search, list a person's credits, render.",
                  no_args_is_help=True)


def _clock(seconds: float) -> str:
    minutes, sec = divmod(seconds, 60)
    return f"{int(minutes):02d}:{sec:04.1f}"


def _query_store(config: Path | None, data_dir: Path | None, query: Callable[[Any], T]) -> T:
    from vidsearch.store import open_store

    store = open_store(settings_from(config, data_dir))
    try:
        return query(store)
    finally:
        store.close()


@app.command("read")
@clean_errors
def read_command(
    video: Annotated[Path, typer.Argument(help="a video file", exists=True, dir_okay=False)],
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    config: ConfigOption = None, data_dir: DataDirOption = None,
) -> None:
    """Find and read the end credits of one video (nothing is indexed)."""
    from vidsearch.credits.pipeline import CreditExtractor

    settings = settings_from(config, data_dir)
    reading = CreditExtractor.from_settings(settings).extract(video)
    if json_out:
        print(json.dumps({
            "sections": [[s.start_s, s.end_s] for s in reading.sections],
            "credits": [{"role": c.role_text, "names": c.names, "time_s": round(c.time, 2),
                         "confidence": round(c.confidence, 3)} for c in reading.lines],
            "unreadable": [{"time_s": round(u.time, 2), "reason": u.reason} for u in reading.unreadable],
            "seconds": {k: round(v, 3) for k, v in reading.seconds.items()},
        }, ensure_ascii=False, indent=2))
        return
    if not reading.sections:
        console.print(f"no end credits found in {video}")
        return
    table = Table("time", "role", "names", "conf")
    for line in reading.lines:
        table.add_row(_clock(line.time), line.role_text, ", ".join(line.names), f"{line.confidence:.2f}")
    console.print(table)
    if reading.unreadable:
        console.print(f"[yellow]{len(reading.unreadable)} line(s) unreadable[/yellow] "
                      f"(e.g. at {_clock(reading.unreadable[0].time)}: {reading.unreadable[0].reason})")


@app.command("search")
@clean_errors
def search_command(
    query: Annotated[str, typer.Argument(help="a name and/or role, e.g. '촬영감독 김민수'")],
    k: Annotated[int, typer.Option("-k", help="number of hits")] = 10,
    json_out: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOption = None, data_dir: DataDirOption = None,
) -> None:
    """Credits matching a name or a role, with the programme and the moment they show."""
    from vidsearch.credits.search import search_credits

    response = _query_store(config, data_dir, lambda store: search_credits(store, query, k))
    if json_out:
        print(response.model_dump_json(indent=2))
        return
    if not response.hits:
        console.print(f"no credits match {query!r}")
        return
    table = Table("programme", "time", "role", "name", "score")
    for hit in response.hits:
        table.add_row(hit.programme_title or hit.title or hit.video_id, _clock(hit.time_s), hit.role_text, hit.name,
                      f"{hit.score:.3f}")
    console.print(table)


@app.command("person")
@clean_errors
def person_command(
    name: Annotated[str, typer.Argument(help="a person's name as credited, e.g. 김민수")],
    json_out: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOption = None, data_dir: DataDirOption = None,
) -> None:
    """Every indexed programme crediting this name, with the roles and when the credit shows."""
    from vidsearch.credits.search import person_credits

    result = _query_store(config, data_dir, lambda store: person_credits(store, name))
    if json_out:
        print(result.model_dump_json(indent=2))
        return
    if not result.videos:
        hint = f"; similar credited names: {', '.join(result.similar_names)}" if result.similar_names else ""
        console.print(f"no credits for {name!r}{hint}")
        return
    table = Table("programme", "channel", "air date", "roles", "at")
    for video in result.videos:
        table.add_row(video.programme_title or video.title or video.video_id, video.channel or "",
                      str(video.air_date or ""), ", ".join(video.roles), ", ".join(_clock(t) for t in video.times_s))
    console.print(table)


@app.command("render")
@clean_errors
def render_command(
    entries: Annotated[Path, typer.Argument(help="TSV of role<TAB>name rows (one row per name)", exists=True)],
    out: Annotated[Path, typer.Argument(help="the MP4 to write")],
    layout: Annotated[str, typer.Option(help="two_column | dot_leader | slash | heading_list")] = "two_column",
    motion: Annotated[str, typer.Option(help="scroll | cards")] = "scroll",
    background: Annotated[str, typer.Option(help="black | moving_colour")] = "black",
    height: Annotated[int, typer.Option(help="720 or 1080 (16:9)")] = 720,
) -> None:
    """Render a credit roll (H.264) from a role/name list and write its ground truth beside it (.json)."""
    from vidsearch.credits.render import CreditEntry, CreditRollSpec, render_credit_roll

    grouped: dict[str, list[str]] = {}
    with entries.open(encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if len(row) >= 2 and row[0].strip() and row[1].strip():
                grouped.setdefault(row[0].strip(), []).append(row[1].strip())
    if not grouped:
        raise InvalidQuery(f"{entries}: no role<TAB>name rows")
    spec = CreditRollSpec(entries=[CreditEntry(role=r, names=tuple(n)) for r, n in grouped.items()], layout=layout,
                          motion=motion, background=background, height=height, width=height * 16 // 9)
    truth = render_credit_roll(spec, out)
    out.with_suffix(".json").write_text(truth.model_dump_json(indent=2), encoding="utf-8")
    console.print(f"wrote {out} ({truth.duration_s:.1f} s, {len(truth.lines)} lines) and {out.with_suffix('.json')}")
