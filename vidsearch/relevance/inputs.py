"""What ``vidsearch relevance`` works on: judgments, per-retriever runs (from run files, or collected from the
configured index with the searcher's retrievers), and the notes a report should carry about its inputs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ranking.errors import EvaluationInputError
from ranking.evaluation.judgments import Judgments, load_judgments, load_queries
from vidsearch.relevance.retrieval import collect_runs
from ranking.evaluation.runs import Run, load_trec_run, save_trec_run
from ranking.profiles import FusionProfile, load_profile
from vidsearch.config import Settings
from vidsearch.schema import IndexName
from vidsearch.store.base import IndexBackend

log = logging.getLogger(__name__)


# (searcher, queries, runs, depth, judgments) → anything; runs while the index is open
WithIndex = Callable[..., Any]


@dataclass
class RelevanceInputs:
    judgments: Judgments
    runs: dict[str, Run]
    source: str  # "run files" or "index at <path>"
    notes: list[str] = field(default_factory=list)  # problems with the inputs a reader should weigh
    info: list[str] = field(default_factory=list)  # what was done (runs saved, retrievers left out)
    derived: Any = None  # what ``with_index`` computed while the index was open (feedback runs)

    def context(self) -> list[str]:
        return [f"- judgments: `{self.judgments.source}` ({len(self.judgments.query_ids())} queries with a "
                f"relevant document)", f"- runs: {', '.join(self.runs)} (from {self.source})"]


def parse_run_argument(text: str) -> tuple[str | None, Path]:
    """``name=path`` or ``path``."""
    name, sep, path = text.partition("=")
    if sep and name and not Path(text).exists():
        return name, Path(path)
    return None, Path(text)


def gather_inputs(settings: Settings, judgments_path: Path, run_arguments: Sequence[str] = (),
                  queries_path: Path | None = None, retrievers: Sequence[str] | None = None,
                  candidates: int | None = None, save_runs: Path | None = None,
                  progress=None, with_index: WithIndex | None = None) -> RelevanceInputs:
    """Judgments plus runs: the given run files, or (with no run files) each query through the configured
    index's retrievers. Unknown judged documents, empty runs and NaN scores become notes, not failures.
    ``with_index(searcher, queries, runs, depth, judgments)`` runs while the index is open (runs from the index
    only); what it returns is ``derived``."""
    judgments = load_judgments(judgments_path)
    notes = list(judgments.report.warnings())
    runs: dict[str, Run] = {}
    for argument in run_arguments:
        name, path = parse_run_argument(argument)
        run = load_trec_run(path, name)
        if run.name in runs:
            raise EvaluationInputError(path, f"two runs are named {run.name!r}; name them: --run NAME=PATH")
        runs[run.name] = run
        notes += run.warnings
    source = "run files"
    info: list[str] = []
    derived = None
    if not runs:
        queries = load_queries(queries_path) if queries_path is not None else dict(judgments.queries)
        if not queries:
            raise EvaluationInputError(judgments_path, "no run files and no query texts: give --run files, or "
                                                       "--queries (or judgments in JSONL with a 'query' field)")
        judged = judgments.query_ids()
        missing_text = [q for q in judged if q not in queries]
        if missing_text:
            notes.append(f"{len(missing_text)} judged queries have no text and were not searched")
        queries = {q: queries[q] for q in judged if q in queries}
        runs, source, left_out, derived = _runs_from_index(settings, queries, retrievers, candidates, progress,
                                                           lambda *a: with_index(*a, judgments) if with_index else None)
        info += left_out
        if save_runs is not None:
            for run in runs.values():
                save_trec_run(run, save_runs / f"{run.name}.run")
            info.append(f"candidate runs saved to {save_runs} (reuse them with --run)")
    if source != "run files":
        notes += _check_index_documents(settings, judgments)
    for run in runs.values():
        if not run.rankings:
            notes.append(f"run {run.name} has no results at all")
    inputs = RelevanceInputs(judgments, runs, source, list(dict.fromkeys(notes)), info)
    inputs.derived = derived if source != "run files" else None
    return inputs


def _runs_from_index(settings: Settings, queries: dict[str, str], retrievers: Sequence[str] | None,
                     candidates: int | None, progress, then: Callable[..., Any]
                     ) -> tuple[dict[str, Run], str, list[str], Any]:
    """Each query through the searcher's retrievers — by default the available ones that have indexed text to
    search (no all-zero ``bm25_credits`` row on a collection without credits). The same path as a search:
    Korean queries are translated for the English-only retrievers where a translator is configured."""
    from vidsearch.errors import InvalidQuery
    from vidsearch.search import Searcher

    searcher = Searcher(settings)
    left_out: list[str] = []
    try:
        available, unavailable = searcher.available_retrievers()
        if retrievers:
            names = list(retrievers)
        else:
            empty = retrievers_without_text(searcher.store, available)
            names = [n for n in available if n not in empty]
            left_out = [f"retriever {n} left out: {reason} (ask for it with --retrievers)"
                        for n, reason in empty.items()]
        unknown = [n for n in names if n not in available]
        if unknown:
            reasons = "; ".join(f"{n}: {unavailable.get(n, 'not a retriever of the searcher')}" for n in unknown)
            raise InvalidQuery(f"cannot run retrievers {unknown} ({reasons}); available: {available}")
        depth = candidates or settings.search.candidates
        runs = collect_runs(searcher.store, queries, lambda text: searcher.retrievers_for(
            text, names, depth, english=searcher.translation_of(text, names)), progress=progress)
        for name in names:
            runs.setdefault(name, Run(name, {}))
        derived = then(searcher, queries, runs, depth)
    finally:
        searcher.store.close()
    return runs, f"the {settings.store_backend.value} index at {settings.data_dir}", left_out, derived




def retrievers_without_text(store: IndexBackend, names: Sequence[str], sample: int = 2000) -> dict[str, str]:
    """Retrievers with nothing to search in this index, with the reason: no credit lines for ``bm25_credits``,
    no text vectors for ``text_vec``, no image vectors for ``clip_vec``."""
    encoders = store.encoders()
    empty: dict[str, str] = {}
    if "text_vec" in names and "text" not in encoders:
        empty["text_vec"] = "the index has no text vectors"
    if "clip_vec" in names and "image_text" not in encoders:
        empty["clip_vec"] = "the index has no image-text vectors"
    if "bm25_credits" in names:
        seen = 0
        for _, body in store.scan(IndexName.SEGMENTS):
            if body.get("credits_text"):
                break
            seen += 1
            if seen >= sample:
                empty["bm25_credits"] = f"none of the first {sample:,} segments has credit lines"
                break
        else:
            empty["bm25_credits"] = "no segment has credit lines"
    return empty


def _check_index_documents(settings: Settings, judgments: Judgments) -> list[str]:
    from vidsearch.store import open_store

    store = open_store(settings)
    try:
        found = store.get(IndexName.SEGMENTS, sorted(judgments.documents()))
    finally:
        store.close()
    report = judgments.check_documents(set(found))
    return [w for w in report.warnings() if "not in the index" in w]


def profiles_named(settings: Settings, names: Sequence[str], profiles_dir: Path | None = None
                   ) -> list[FusionProfile]:
    directory = profiles_dir or settings.ranking.profiles_dir
    if not names:
        return []
    from vidsearch.encoder_profiles import default_profile
    from vidsearch.store import open_store

    store = open_store(settings)
    try:
        recorded = store.encoders().get("text", {}).get("id")
    finally:
        store.close()
    default = default_profile(settings, recorded)
    return [load_profile(name, directory, settings.ranking, default) for name in names]
