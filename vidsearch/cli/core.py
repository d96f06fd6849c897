"""The spine's commands: demo, index, search, status, doctor."""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vidsearch.config import Settings, load_settings
from vidsearch.errors import InvalidQuery, VidsearchError

console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

ConfigOption = Annotated[Path | None, typer.Option("--config", help="TOML settings file", exists=True, dir_okay=False)]
DataDirOption = Annotated[Path | None, typer.Option("--data-dir", help="where the store and media cache live")]


def stdout_reserved_for_json() -> TextIO:
    """Keep the process's stdout for one JSON document and send everything else printed to stderr.

    Ray forwards worker and raylet output to the driver's ``sys.stdout`` at any moment, even after the job (a lost
    node is reported while Ray shuts down), which would break ``vidsearch index --json | jq``. Returns the real
    stdout to write the document to; ``sys.stdout`` stays pointed at stderr until the process ends.
    """
    real = sys.stdout
    sys.stdout = sys.stderr
    return real


def settings_from(config: Path | None, data_dir: Path | None, **overrides: Any) -> Settings:
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    settings = load_settings(config, **overrides)
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    return settings


def clean_errors(command: Callable) -> Callable:
    """A user error is one red line and exit code 2, never a traceback."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except VidsearchError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(2) from None
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            err.print(f"[red]error:[/red] invalid settings or request: {problems}", highlight=False)
            raise typer.Exit(2) from None
        except FileNotFoundError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(2) from None

    return wrapper


def _time(seconds: float) -> str:
    minutes, sec = divmod(seconds, 60)
    return f"{int(minutes):02d}:{sec:04.1f}"


def print_summary(summary) -> None:
    console.print(
        f"[bold]indexed[/bold] {summary.videos_ok} video(s), {summary.segments} segments"
        f"{f', {summary.persons} persons' if summary.persons else ''}"
        f"{f', {summary.credits} credits' if summary.credits else ''}; "
        f"{summary.videos_unchanged} already up to date; {len(summary.videos_failed)} failed; "
        f"{summary.video_seconds:.0f} s of video in {summary.wall_s:.1f} s "
        f"({summary.speed:.1f} video-s per wall-s)"
    )
    analyse = summary.phases.get("analyse", 0.0)
    if summary.workers and analyse > 0:
        busy = ", ".join(f"{w['videos']} video(s) {w['busy_s'] / analyse:.0%} busy from {w['first_start_s']:.1f} s"
                         for w in summary.workers.values())
        console.print(f"  planning {summary.phases.get('plan', 0.0):.1f} s, analysis {analyse:.1f} s; "
                      f"{len(summary.workers)} worker(s): {busy}", highlight=False)
    for path, reason in summary.videos_failed:
        console.print(f"  [red]failed[/red] {reason if path in reason else f'{path}: {reason}'}", highlight=False)
    for stage, reasons in summary.reruns.items():
        for reason, count in reasons.items():
            if reason != "not run yet":
                console.print(f"  reran {stage} on {count} video(s): {reason}", highlight=False, markup=False)
    for path in summary.missing_paths:
        console.print(f"  [red]missing[/red] {path}: no such file or folder", highlight=False)
    for path, original in summary.duplicates:
        console.print(f"  [yellow]duplicate[/yellow] {path}: same content as {original} (indexed once)",
                      highlight=False)
    for warning in summary.warnings:
        console.print(f"  [yellow]warning[/yellow] {warning}", highlight=False)
    if summary.ignored_files:
        console.print(f"  {summary.ignored_files} non-video file(s) in the folders were ignored")


def print_staleness(stale: dict) -> None:
    """Stale videos per stage and why; files gone; refused checkpoints; problems worked around."""
    rows = [(stage, item) for stage, items in stale["by_stage"].items() for item in items]
    if not rows:
        console.print("[green]up to date[/green]: every indexed video's stages match the configuration")
    for stage, items in stale["by_stage"].items():
        if items:
            console.print(f"[yellow]stale[/yellow] {stage}: {len(items)} video(s)")
            for item in items:
                console.print(f"    {item['path']}: {item['reason']}", highlight=False, markup=False)
    for item in stale["missing_files"]:
        console.print(f"  [yellow]file gone[/yellow] {item['path']} ({item['video_id']}): cannot be checked",
                      highlight=False)
    for item in stale.get("unreachable", []):
        console.print(f"  [yellow]unreachable[/yellow] {item['path']} ({item['video_id']}): "
                      f"{escape(item['reason'])}", highlight=False)
    for item in stale["refused"]:
        console.print(f"  [red]refused[/red] {escape(item['reason'])}", highlight=False)
    for item in stale["problems"]:
        console.print(f"  [yellow]problem[/yellow] {item['stage']} of {item['path']}: {escape(item['problem'])}",
                      highlight=False)


def print_plan(plan, missing: list[str]) -> None:
    """``vidsearch index --dry-run``: what would run on which video, and why."""
    for work in plan.work:
        console.print(f"[bold]{work.video.path}[/bold] ({work.video_id})", highlight=False)
        for stage, reason in work.reasons.items():
            console.print(f"    run {stage}: {reason}", highlight=False, markup=False)
        kept = [name for name in work.done]
        if kept:
            console.print(f"    keep {', '.join(kept)}", highlight=False)
    for failure in plan.failures:
        console.print(f"  [red]cannot index[/red] {escape(f'{failure.path}: {failure.reason}')}", highlight=False)
    for path, original in plan.duplicates:
        console.print(f"  [yellow]duplicate[/yellow] {path}: same content as {original}", highlight=False)
    for path in missing:
        console.print(f"  [red]missing[/red] {path}: no such file or folder", highlight=False)
    console.print(f"[bold]plan[/bold]: {len(plan.work)} video(s) to (re)analyse, {len(plan.unchanged)} up to "
                  "date; nothing was written (--dry-run)")


def _raw(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def print_hits(response, media_dir: Path, explain: bool) -> None:
    for notice in response.notices:
        console.print(f"[yellow]note:[/yellow] {notice}", highlight=False)
    if not response.hits:
        console.print(f"no hits for {response.query!r}", highlight=False)
        return
    table = Table(title=f"{response.query}  ({response.took_ms:.0f} ms, {response.fusion})", show_lines=False)
    for column in ("#", "score", "video", "time", "text", "thumbnail"):
        table.add_column(column, overflow="fold")
    if explain:
        table.add_column("per retriever (raw → contribution)")
    for rank, hit in enumerate(response.hits, 1):
        row = [str(rank), f"{hit.score:.3f}", hit.title or hit.file_name or hit.video_id,
               f"{_time(hit.start_s)}–{_time(hit.end_s)}", (hit.text or "").replace("\n", " / ")[:80],
               str(media_dir / hit.thumbnail) if hit.thumbnail else ""]
        if explain and hit.explain:
            row.append(", ".join(f"{name}: {_raw(v['raw'])} → {v['contribution']:.3f}"
                                 for name, v in hit.explain.items()))
        table.add_row(*row)
    console.print(table)


def _search_face(photo: Path, face_index: int | None, k: int, videos: list[str] | None, json_out: bool,
                 settings: Settings) -> None:
    from vidsearch.cli.faces import print_photo_result
    from vidsearch.faces.search import search_by_photo
    from vidsearch.store import open_store
    from vidsearch.store.base import SearchFilters

    store = open_store(settings)
    try:
        result = search_by_photo(photo, settings, store, face_index=face_index, k=k,
                                 filters=SearchFilters(video_ids=videos) if videos else None)
    finally:
        store.close()
    if json_out:
        print(result.model_dump_json(indent=2))
    else:
        print_photo_result(result, settings.media_dir)


def register(app: typer.Typer) -> None:
    @app.command()
    @clean_errors
    def index(
        paths: Annotated[list[str], typer.Argument(help="video files and folders (walked recursively), file:// or "
                                                        "bucket URIs (s3://bucket/prefix/, listed recursively)")],
        config: ConfigOption = None,
        data_dir: DataDirOption = None,
        force: Annotated[bool, typer.Option(help="redo every stage even if the checkpoint says done")] = False,
        json_out: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="print which stages would run on which video "
                                                                 "and why; write nothing")] = False,
    ) -> None:
        """Index videos: shots, metadata and the configured analysis stages, into the configured store. Only
        stages whose output fingerprint changed (code, models, settings, sidecar, upstream stages) rerun."""
        from ray_jobs.ingest import plan_only, run_ingest

        settings = settings_from(config, data_dir)
        if dry_run:
            plan, missing = plan_only(list(paths), settings, force=force)
            if json_out:
                print(json.dumps({"run": {w.video.path: w.reasons for w in plan.work},
                                  "unchanged": plan.unchanged, "missing": missing,
                                  "failures": [[f.path, f.reason] for f in plan.failures]},
                                 ensure_ascii=False, indent=2))
            else:
                print_plan(plan, missing)
            return
        document = stdout_reserved_for_json() if json_out else None
        summary = run_ingest(list(paths), settings, force=force)
        if document is not None:
            print(json.dumps(summary.to_json(), ensure_ascii=False, indent=2), file=document, flush=True)
        else:
            print_summary(summary)
        if summary.videos_ok == 0 and (summary.videos_failed or summary.missing_paths) \
                and not summary.videos_unchanged:
            raise typer.Exit(1)

    @app.command()
    @clean_errors
    def search(
        query: Annotated[str | None, typer.Argument(help="what to look for, in Korean or English")] = None,
        face: Annotated[Path | None, typer.Option("--face", help="search by the person in this photo instead",
                                                  dir_okay=False)] = None,
        face_index: Annotated[int | None, typer.Option(help="which face in the photo, left to right")] = None,
        k: Annotated[int, typer.Option("-k", help="number of hits")] = 10,
        explain: Annotated[bool, typer.Option(help="show each retriever's raw score and contribution")] = False,
        json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
        weights: Annotated[str | None, typer.Option(help='JSON, e.g. \'{"bm25_ko": 0.5, "text_vec": 0.5}\'')] = None,
        video: Annotated[list[str] | None, typer.Option(help="only this video id (repeatable)")] = None,
        profile: Annotated[str | None, typer.Option(help="a saved fusion profile by name (weights, method, rules)")
                           ] = None,
        config: ConfigOption = None,
        data_dir: DataDirOption = None,
    ) -> None:
        """Search indexed segments by text (or videos by a face photo with --face); prints video, time range,
        text and thumbnail per hit."""
        from vidsearch.search import Searcher, SearchRequest
        from vidsearch.store.base import SearchFilters

        settings = settings_from(config, data_dir)
        if face is not None:
            _search_face(face, face_index, k, video, json_out, settings)
            return
        if query is None:
            raise InvalidQuery("give a text query, or --face PHOTO to search by a person's face")
        try:
            parsed_weights = json.loads(weights) if weights else None
        except json.JSONDecodeError as exc:
            raise typer.BadParameter(f"--weights is not valid JSON: {exc}") from None
        request = SearchRequest(query=query, k=k, explain=explain, weights=parsed_weights, profile=profile,
                                filters=SearchFilters(video_ids=video) if video else SearchFilters())
        response = Searcher(settings).search(request)
        if json_out:
            print(response.model_dump_json(indent=2))
        else:
            print_hits(response, settings.media_dir, explain)

    @app.command()
    @clean_errors
    def status(config: ConfigOption = None, data_dir: DataDirOption = None,
               json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
        """What is indexed, and which stage and model versions built it."""
        from vidsearch.status import collect_status

        settings = settings_from(config, data_dir)
        report = collect_status(settings)
        if json_out:
            print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
            return
        console.print(f"[bold]store[/bold] {report['store']['backend']} at {report['store']['location']}")
        console.print("  " + ", ".join(f"{k}: {v}" for k, v in report["store"]["counts"].items()))
        for role, info in report["store"]["encoders"].items():
            console.print(f"  encoder {role}: {info['id']} ({info['dims']}-d)")
        for versions, count in report["stage_versions"].items():
            console.print(f"  {count} video(s) built by {versions}")
        if report["configured_stages"]:
            console.print(f"  configured stages: {report['configured_stages']}")
        print_staleness(report["stale"])
        if report["last_job"]:
            job = report["last_job"]
            console.print(f"[bold]last ingest[/bold] {job['started']}: {job['videos_ok']} ok, "
                          f"{job['videos_unchanged']} unchanged, {len(job['videos_failed'])} failed, "
                          f"{job['video_seconds_per_wall_second']} video-s/s")

    @app.command()
    @clean_errors
    def doctor(config: ConfigOption = None, data_dir: DataDirOption = None) -> None:
        """Check ffmpeg, Tesseract (+kor/eng), fonts, models and the store; print how to fix what is missing."""
        from vidsearch.doctor import run_checks

        settings = settings_from(config, data_dir)
        failed = 0
        for check in run_checks(settings):
            mark = "[green]ok[/green]  " if check.ok else "[red]FAIL[/red]"
            console.print(f"{mark} {check.name}: {check.detail}", highlight=False)
            if not check.ok:
                failed += 1
                console.print(f"       fix: {check.fix}", highlight=False)
        if failed:
            raise typer.Exit(1)

    @app.command()
    @clean_errors
    def demo(
        data_dir: DataDirOption = None,
        config: ConfigOption = None,
        keep: Annotated[bool, typer.Option(help="keep the rendered video next to the data folder")] = True,
    ) -> None:
        """Render a sample programme, index it, and run a few searches against it."""
        from ray_jobs.ingest import run_ingest
        from vidsearch.demo import DEMO_QUERIES, render_demo_video, scene_span
        from vidsearch.search import Searcher, SearchRequest

        settings = settings_from(config, data_dir or Path(tempfile.gettempdir()) / "vidsearch-demo")
        folder = settings.data_dir / "demo-video" if keep else Path(tempfile.mkdtemp())
        console.print(f"rendering the demo programme into {folder} …")
        video = render_demo_video(folder)
        console.print(f"indexing {video} into {settings.data_dir} …")
        print_summary(run_ingest([str(video)], settings))
        searcher = Searcher(settings)
        correct = 0
        for demo_query in DEMO_QUERIES:
            response = searcher.search(SearchRequest(query=demo_query.query, k=3))
            print_hits(response, settings.media_dir, explain=False)
            start, end = scene_span(demo_query.scene)
            top = response.hits[0] if response.hits else None
            right = top is not None and top.start_s < end and top.end_s > start
            correct += right
            console.print(f"  expected {_time(start)}–{_time(end)}: "
                          f"{'[green]top hit is right[/green]' if right else '[red]top hit is elsewhere[/red]'}")
        console.print(f"[bold]{correct}/{len(DEMO_QUERIES)}[/bold] demo queries found their scene first. "
                      f"Try: vidsearch search \"한라산\" --data-dir {settings.data_dir} --explain")
        if correct < len(DEMO_QUERIES):
            sys.exit(1)
