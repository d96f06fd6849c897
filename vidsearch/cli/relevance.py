"""``vidsearch relevance load|eval|sweep|compare``: load a judged collection into the index, measure rankings
against judgments, tune fusion weights, compare runs with significance tests. Each report command writes a
Markdown report with figures to ``--out``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from vidsearch.cli.core import ConfigOption, DataDirOption, clean_errors, console, err, settings_from

app = typer.Typer(name="relevance", help="Relevance tooling: evaluate rankings, tune fusion weights, compare runs.",
                  no_args_is_help=True)

JudgmentsOption = Annotated[Path, typer.Option("--judgments", "-j", help="qrels: TREC, BEIR TSV or JSONL",
                                               exists=True, dir_okay=False)]
RunOption = Annotated[list[str] | None, typer.Option(
    "--run", "-r", help="TREC run file, optionally NAME=PATH; repeat. Without runs, queries go to the index")]
QueriesOption = Annotated[Path | None, typer.Option("--queries", "-q", exists=True, dir_okay=False,
                                                   help="query texts (BEIR JSONL or TSV) to search the index with")]
RetrieversOption = Annotated[str | None, typer.Option(
    "--retrievers", help="comma-separated searcher retrievers (default: all available)")]
CandidatesOption = Annotated[int | None, typer.Option("--candidates", min=1,
                                                      help="candidates per retriever (default search.candidates)")]
SaveRunsOption = Annotated[Path | None, typer.Option("--save-runs", help="write the index's runs here")]
MetricsOption = Annotated[str, typer.Option("--metrics", "-m", help="comma-separated: ndcg@k, recall@k, p@k, "
                                                                    "mrr[@k], map[@k]")]
OutOption = Annotated[Path, typer.Option("--out", "-o", help="report folder (report.md, PNGs, results.json)")]
ProfilesDirOption = Annotated[Path | None, typer.Option("--profiles-dir", help="fusion profiles folder (default: "
                                                                               "ranking.profiles_dir)")]
ProfileOption = Annotated[list[str] | None, typer.Option("--profile", "-p", help="also the runs fused with this "
                                                                                 "profile; repeat")]


def _split(text: str | None) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


def _inputs(config, data_dir, judgments, runs, queries, retrievers, candidates, save_runs, with_index=None):
    from vidsearch.relevance.inputs import gather_inputs

    settings = settings_from(config, data_dir)
    total = len(runs or [])
    with Progress(TextColumn("searching the index"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=bool(total)) as bar:
        task = bar.add_task("queries", total=None)
        inputs = gather_inputs(settings, judgments, runs or [], queries, _split(retrievers), candidates,
                               save_runs, progress=lambda n: bar.advance(task, n), with_index=with_index)
    return settings, inputs


def _print_means(means: dict[str, dict[str, float]]) -> None:
    metrics = list(next(iter(means.values()))) if means else []
    table = Table(show_edge=False)
    table.add_column("run")
    for m in metrics:
        table.add_column(m, justify="right")
    for name, values in means.items():
        best = {m: max(v[m] for v in means.values()) for m in metrics}
        table.add_row(name, *[f"[bold]{values[m]:.4f}[/bold]" if values[m] >= best[m] - 1e-12 else
                              f"{values[m]:.4f}" for m in metrics])
    console.print(table)


def _print_notes(notes: list[str], info: list[str] = ()) -> None:
    for line in info:
        console.print(line, highlight=False)
    for note in notes:
        console.print(f"[yellow]warning[/yellow] {note}", highlight=False)


def _profiles(config, data_dir, names: list[str] | None, profiles_dir: Path | None) -> list:
    from vidsearch.relevance.inputs import profiles_named

    return profiles_named(settings_from(config, data_dir), names or [], profiles_dir)


def _feedback_runs(profiles: list):
    """While the index is open: each feedback profile's vector list searched again after its first pass."""
    def compute(searcher, queries, runs, depth, judgments):
        from vidsearch.relevance.retrieval import feedback_run

        return {p.name: feedback_run(searcher, queries, runs, p, depth) for p in profiles
                if p.feedback is not None and p.feedback.retriever in runs}
    return compute if any(p.feedback is not None for p in profiles) else None


def _with_profiles(inputs, profiles: list, save_runs: Path | None = None) -> dict:
    """The input runs plus, per profile, the runs fused as that profile fuses them (with its feedback run where
    the runs came from the index; ``save_runs``: also written there as ``profile-NAME.run``)."""
    from ranking.evaluation import fuse_runs
    from ranking.evaluation.runs import save_trec_run

    runs = dict(inputs.runs)
    derived = inputs.derived or {}
    for fusion in profiles:
        lists = dict(inputs.runs)
        if fusion.feedback is not None:
            if fusion.name in derived:
                lists[fusion.feedback.retriever] = derived[fusion.name]
            else:
                inputs.notes.append(f"profile {fusion.name}: its feedback searches the index again, which run "
                                    "files cannot; fused here without feedback")
        name = f"profile {fusion.name}"
        runs[name] = fuse_runs(lists, name, method=fusion.method.value, weights=fusion.weights or None,
                               normalization=fusion.normalization.value, missing=fusion.missing.value,
                               rrf_k=fusion.rrf_k)
        if save_runs is not None and inputs.source != "run files":
            save_trec_run(runs[name], save_runs / f"profile-{fusion.name}.run")
    return runs


def _parse_feedback(text: str | None):
    if text is None:
        return None
    from pydantic import ValidationError

    from ranking.feedback import FeedbackSettings

    depth, _, weight = text.partition(":")
    try:
        return FeedbackSettings(depth=int(depth), weight=float(weight) if weight else 1.0)
    except (ValueError, ValidationError) as exc:
        reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else "not numbers"
        raise typer.BadParameter(f"{text!r}: expected DEPTH[:WEIGHT], e.g. 3:1.0 ({reason})",
                                 param_hint="--feedback") from None


@app.command()
@clean_errors
def load(
    corpus: Annotated[Path, typer.Argument(help="a BEIR folder or corpus.jsonl, a TREC <DOC> file, or a CSV corpus")],
    name: Annotated[str | None, typer.Option("--name", help="the collection's video id (default: the folder or "
                                                            "file name)")] = None,
    batch: Annotated[int, typer.Option("--batch", min=1, help="documents embedded and written at a time")] = 64,
    config: ConfigOption = None, data_dir: DataDirOption = None,
) -> None:
    """Load a collection's documents into the index as segments (title, text, text vectors by the configured
    encoder, the passage the ingest stage embeds), so eval and sweep run on the searcher's own retrievers.
    Resumable: documents already in the index are skipped."""
    from vidsearch.encoders.text import load_text_encoder
    from vidsearch.relevance.collections import load_collection, read_corpus
    from vidsearch.store import open_store

    settings = settings_from(config, data_dir)
    docs = read_corpus(corpus)
    label = name or (corpus.name if corpus.is_dir() else corpus.stem)
    encoder = load_text_encoder(settings.models.text, settings.models.local_files_only)
    store = open_store(settings)
    try:
        with Progress(TextColumn(f"loading {label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True) as bar:
            task = bar.add_task("documents", total=len(docs))
            report = load_collection(store, encoder, label, docs, batch, lambda n: bar.advance(task, n))
        compact = getattr(store, "compact", None)
        if compact is not None:
            compact(force=True)
    finally:
        store.close()
    console.print(f"{report.documents:,} documents of {label} in the index at {settings.data_dir} "
                  f"({report.written:,} written, {report.skipped:,} already there); text vectors by "
                  f"{encoder.identity}", highlight=False)


@app.command("eval")
@clean_errors
def evaluate_command(
    judgments: JudgmentsOption, run: RunOption = None, queries: QueriesOption = None,
    retrievers: RetrieversOption = None, candidates: CandidatesOption = None, save_runs: SaveRunsOption = None,
    profile: ProfileOption = None, profiles_dir: ProfilesDirOption = None,
    metrics: MetricsOption = "ndcg@10,recall@100,mrr@10,map@100,p@10",
    out: OutOption = Path("relevance-report/eval"), config: ConfigOption = None, data_dir: DataDirOption = None,
) -> None:
    """Score runs (files, or the configured index's retrievers) and fused profiles against judgments. Warns when
    a fused profile is significantly worse than its best single list."""
    from ranking.evaluation import evaluate, parse_metric
    from ranking.report.reports import eval_report, fused_losses

    metric_names = [parse_metric(m).name for m in _split(metrics) or []]
    profiles = _profiles(config, data_dir, profile, profiles_dir)
    settings, inputs = _inputs(config, data_dir, judgments, run, queries, retrievers, candidates, save_runs,
                               _feedback_runs(profiles))
    runs = _with_profiles(inputs, profiles, save_runs)
    evaluations = [evaluate(inputs.judgments, r, metric_names) for r in runs.values()]
    notes = list(dict.fromkeys(inputs.notes + [w for e in evaluations for w in e.warnings]))
    singles = [e for e in evaluations if e.run in inputs.runs]
    notes += fused_losses([e for e in evaluations if e.run not in inputs.runs], singles, metric_names[0])
    path = eval_report(evaluations, out, "Relevance evaluation", inputs.context(), notes)
    _print_means({e.run: e.means for e in evaluations})
    _print_notes(notes, inputs.info)
    console.print(f"report: {path}")


@app.command()
@clean_errors
def sweep(
    judgments: JudgmentsOption, run: RunOption = None, queries: QueriesOption = None,
    retrievers: RetrieversOption = None, candidates: CandidatesOption = None, save_runs: SaveRunsOption = None,
    metric: Annotated[str, typer.Option("--metric", help="what to maximise on training queries")] = "ndcg@10",
    report_metrics: MetricsOption = "ndcg@10,recall@100,mrr@10,map@100",
    step: Annotated[float, typer.Option("--step", help="grid step over the weight simplex")] = 0.05,
    samples: Annotated[int | None, typer.Option("--samples", help="random search with this many points "
                                                                  "instead of the grid")] = None,
    normalization: Annotated[str, typer.Option("--normalization", help="comma-separated: minmax, zscore, max")
                             ] = "minmax",
    missing: Annotated[str, typer.Option("--missing", help="comma-separated: zero, min, skip")] = "zero",
    rrf: Annotated[bool, typer.Option("--rrf/--no-rrf", help="also tune RRF weights (k from --rrf-k)")] = False,
    rrf_k: Annotated[int, typer.Option("--rrf-k", min=0)] = 60,
    validation: Annotated[float, typer.Option("--validation", min=0.05, max=0.95,
                                              help="share of queries held out for validation")] = 0.5,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    groups: Annotated[Path | None, typer.Option("--groups", exists=True, dir_okay=False,
                                                help="query-id<TAB>group: a group's queries stay on one side "
                                                     "of the split")] = None,
    group_by_doc_prefix: Annotated[str | None, typer.Option(
        "--group-by-doc-prefix", help="group queries by their relevant document's id up to the last SEP "
                                      "(KorQuAD: '_' keeps an article's questions together)")] = None,
    save_profile: Annotated[str | None, typer.Option("--save-profile", help="save the tuned weights as this "
                                                                            "profile")] = None,
    profiles_dir: ProfilesDirOption = None,
    feedback: Annotated[str | None, typer.Option(
        "--feedback", help="DEPTH[:WEIGHT]: tune with dense pseudo-relevance feedback from the fused top DEPTH "
                           "documents (runs from the index only); the saved profile carries it")] = None,
    out: OutOption = Path("relevance-report/sweep"), config: ConfigOption = None, data_dir: DataDirOption = None,
) -> None:
    """Tune fusion weights on part of the judged queries and report them on the rest."""
    from ranking.errors import InvalidProfile
    from ranking.evaluation import evaluate, fuse_runs, parse_metric
    from ranking.profiles import save_profile as write_profile
    from ranking.report.reports import sweep_report
    from ranking.tuning import FusionSetting, split_queries
    from ranking.tuning import sweep as run_sweep
    from ranking.tuning.sweep import groups_by_document_prefix, read_groups, validation_evaluations

    target = parse_metric(metric).name
    names = list(dict.fromkeys([target, *[parse_metric(m).name for m in _split(report_metrics) or []]]))
    feedback_settings = _parse_feedback(feedback)
    if feedback_settings is not None and run:
        raise typer.BadParameter("feedback searches the index again: leave out --run (runs come from the index)",
                                 param_hint="--feedback")
    fusion_settings = [FusionSetting("weighted", n, m) for n in _split(normalization) or ["minmax"]
                       for m in _split(missing) or ["zero"]]
    if rrf:
        fusion_settings.append(FusionSetting("rrf", rrf_k=rrf_k))
    search = {"step": None if samples else step, "samples": samples, "seed": seed}

    def split(judged):
        query_groups = read_groups(groups) if groups else None
        if group_by_doc_prefix:
            query_groups = groups_by_document_prefix(judged, group_by_doc_prefix)
        return (*split_queries(judged.query_ids(), validation, seed, query_groups), query_groups)

    def tune_with_index(searcher, queries, runs, depth, judged):  # feedback: two rounds while the index is open
        from vidsearch.relevance.feedback import tune_with_feedback
        from vidsearch.relevance.retrieval import feedback_run

        train_, held_, _ = split(judged)
        return tune_with_feedback(runs, judged, train_, held_, feedback_settings,
                                  lambda p: feedback_run(searcher, queries, runs, p, depth), target,
                                  fusion_settings, **search)

    settings, inputs = _inputs(config, data_dir, judgments, run, queries, retrievers, candidates, save_runs,
                               tune_with_index if feedback_settings is not None else None)
    train, held, query_groups = split(inputs.judgments)
    tuned_name = f"tuned ({save_profile})" if save_profile else "tuned"
    if feedback_settings is None:
        result = run_sweep(inputs.runs, inputs.judgments, train, held, target, fusion_settings, **search)
        evaluations = validation_evaluations(result, inputs.runs, inputs.judgments, names, tuned_name)
        tuned = result.profile(save_profile or "tuned", judgments=str(judgments))
    else:
        tuning = inputs.derived
        result = tuning.result
        evaluations = validation_evaluations(tuning.without, inputs.runs, inputs.judgments, names,
                                             "tuned without feedback")
        product = {n: r.subset(held) for n, r in tuning.runs.items()}
        evaluations[tuned_name] = evaluate(inputs.judgments, fuse_runs(
            product, tuned_name, method=tuning.profile.method.value, weights=tuning.profile.weights,
            normalization=tuning.profile.normalization.value, missing=tuning.profile.missing.value,
            rrf_k=tuning.profile.rrf_k), names, held)
        tuned = result.profile(save_profile or "tuned", judgments=str(judgments)).model_copy(
            update={"feedback": feedback_settings})
    saved = None
    if save_profile:
        directory = profiles_dir or settings.ranking.profiles_dir
        if directory is None:
            raise InvalidProfile(save_profile, "nowhere to save it: pass --profiles-dir or set "
                                               "VIDSEARCH_RANKING__PROFILES_DIR")
        saved = write_profile(tuned, directory)
    path = sweep_report(result, evaluations, out, "Fusion weight sweep", tuned_name, inputs.context(),
                        inputs.notes, saved)
    best = result.best
    console.print(f"best on {len(train)} training queries: {best.setting.label()} "
                  f"{', '.join(f'{k}={v:.2f}' for k, v in best.weights.items())} → {target} {best.train:.4f}; "
                  f"on {len(held)} validation queries {evaluations[tuned_name].means[target]:.4f}"
                  f"{f' with feedback {feedback}' if feedback_settings else ''}"
                  f"{' (split by group)' if query_groups else ''}", highlight=False)
    _print_means({name: e.means for name, e in evaluations.items()})
    _print_notes(inputs.notes, inputs.info)
    if saved:
        console.print(f"profile saved: {saved}")
    console.print(f"report: {path}")


@app.command()
@clean_errors
def compare(
    judgments: JudgmentsOption, run: RunOption = None, profile: ProfileOption = None,
    profiles_dir: ProfilesDirOption = None,
    metrics: MetricsOption = "ndcg@10,recall@100,mrr@10",
    trials: Annotated[int, typer.Option("--trials", min=100, help="randomisation test sign flips")] = 10_000,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    out: OutOption = Path("relevance-report/compare"), config: ConfigOption = None, data_dir: DataDirOption = None,
) -> None:
    """Compare runs (and the runs fused by --profile) against the first one: per-metric deltas, paired t-test
    and randomisation test."""
    from ranking.evaluation import evaluate, parse_metric
    from ranking.report.reports import compare_report

    if len(run or []) + len(profile or []) < 2:
        raise typer.BadParameter(f"compare needs at least two runs, the first being the baseline; got "
                                 f"{len(run or [])} --run and {len(profile or [])} --profile",
                                 param_hint="--run")
    metric_names = [parse_metric(m).name for m in _split(metrics) or []]
    profiles = _profiles(config, data_dir, profile, profiles_dir)
    settings, inputs = _inputs(config, data_dir, judgments, run, None, None, None, None)
    runs = _with_profiles(inputs, profiles)
    evaluations = [evaluate(inputs.judgments, r, metric_names) for r in runs.values()]
    path, comparisons = compare_report(evaluations, out, "Run comparison", metric_names, trials, seed,
                                       inputs.context(), inputs.notes)
    _print_means({e.run: e.means for e in evaluations})
    for c in comparisons:
        mark = "[green]significant[/green]" if c.significant() else "not significant"
        console.print(f"{c.candidate} vs {c.baseline} {c.metric}: {c.delta:+.4f} (t-test p={c.t_test_p:.3g}, "
                      f"randomisation p={c.randomisation_p:.3g}; better {c.wins} / same {c.ties} / worse "
                      f"{c.losses}) {mark}", highlight=False)
    _print_notes(inputs.notes, inputs.info)
    console.print(f"report: {path}")
