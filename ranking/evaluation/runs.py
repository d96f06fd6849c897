"""Runs: one ranked list of documents per query, read from and written to TREC run files
(``qid Q0 docid rank score tag``). A run per retriever is exactly what fusion takes, so offline tuning fuses
saved runs the way the searcher fuses live candidate lists."""

from __future__ import annotations

import logging
import math
from operator import itemgetter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ranking.errors import EvaluationInputError
from ranking.fusion.lists import FusedRanking, RankedList

log = logging.getLogger(__name__)


@dataclass
class Run:
    name: str
    rankings: dict[str, RankedList]  # query id → ranked documents, best first
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rankings)

    def query_ids(self) -> list[str]:
        return list(self.rankings)

    def get(self, query_id: str) -> RankedList:
        found = self.rankings.get(query_id)
        return found if found is not None else RankedList(self.name, [], np.zeros(0))

    def depth(self) -> int:
        return max((len(r) for r in self.rankings.values()), default=0)

    def cut(self, depth: int) -> Run:
        return Run(self.name, {q: RankedList(self.name, r.ids[:depth], r.scores[:depth])
                               for q, r in self.rankings.items()}, list(self.warnings))

    def subset(self, query_ids: Iterable[str]) -> Run:
        return Run(self.name, {q: self.rankings[q] for q in query_ids if q in self.rankings}, list(self.warnings))

    @classmethod
    def from_fused(cls, name: str, fused: Mapping[str, FusedRanking], depth: int | None = None) -> Run:
        return cls(name, {q: RankedList(name, f.ids[:depth], np.asarray(f.scores[:depth], dtype=np.float64))
                          for q, f in fused.items()})


def load_trec_run(path: Path | str, name: str | None = None) -> Run:
    """A TREC run file. Each query's documents are ordered as trec_eval orders them — score descending, ties by
    document id descending (the rank column is ignored, as trec_eval ignores it). Not fatal, but reported: an empty file, NaN scores (excluded), a document listed twice for a query
    (the best kept)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EvaluationInputError(path, f"cannot read run: {exc.strerror or exc}") from None
    rows: dict[str, list[tuple[float, str]]] = {}
    tags: set[str] = set()
    not_finite = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 6:
            raise EvaluationInputError(path, f"expected 'qid Q0 docid rank score tag', got {len(parts)} column(s)",
                                       number)
        query, _, doc, rank, score, tag = parts
        try:
            int(rank)
            score_value = float(score)
        except ValueError:
            raise EvaluationInputError(path, f"rank {rank!r} or score {score!r} is not a number", number) from None
        if not math.isfinite(score_value):
            not_finite += 1
            continue
        rows.setdefault(query, []).append((score_value, doc))
        tags.add(tag)
    run_name = name or (tags.pop() if len(tags) == 1 else path.stem)
    warnings: list[str] = []
    if not rows and not not_finite:
        warnings.append(f"run {path} is empty: every judged query scores 0")
    if not_finite:
        warnings.append(f"run {path}: {not_finite} line(s) with NaN or infinite scores excluded")
    repeated = 0
    rankings: dict[str, RankedList] = {}
    for query, items in rows.items():
        items.sort(key=itemgetter(1), reverse=True)
        items.sort(key=lambda item: -item[0])  # stable: ties stay in descending id order
        ids, scores, seen = [], [], set()
        for score_value, doc in items:
            if doc in seen:
                repeated += 1
                continue
            seen.add(doc)
            ids.append(doc)
            scores.append(score_value)
        rankings[query] = RankedList(run_name, ids, np.array(scores, dtype=np.float64))
    if repeated:
        warnings.append(f"run {path}: {repeated} repeated document(s) within a query dropped (the best kept)")
    for warning in warnings:
        log.warning("%s", warning)
    return Run(run_name, rankings, warnings)


def save_trec_run(run: Run, path: Path | str, depth: int | None = None) -> Path:
    """Write ``run`` with every score at full precision (``repr``): a rounded score can turn two different
    scores into a tie, which trec_eval then breaks by document id rather than by the run's order."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tag = "".join(ch if not ch.isspace() else "_" for ch in run.name) or "run"
    with path.open("w", encoding="utf-8") as out:
        for query, ranking in run.rankings.items():
            for rank, (doc, score) in enumerate(zip(ranking.ids[:depth], ranking.scores[:depth], strict=True),
                                                start=1):
                out.write(f"{query} Q0 {doc} {rank} {float(score)!r} {tag}\n")
    return path


def fuse_runs(runs: Mapping[str, Run], name: str = "fused", **fusion: object) -> Run:
    """One run from per-retriever runs, fusing each query's lists with ``fuse(**fusion)`` (method, weights,
    normalization, missing, rrf_k) — what the searcher would have returned for those candidates."""
    from ranking.fusion import fuse

    queries = list(dict.fromkeys(q for run in runs.values() for q in run.rankings))
    fused = {q: fuse({list_name: run.get(q) for list_name, run in runs.items()}, **fusion) for q in queries}
    out = Run.from_fused(name, fused)
    excluded = sum(len(ids) for f in fused.values() for ids in f.excluded.values())
    if excluded:
        out.warnings.append(f"{excluded} candidate(s) with non-finite scores excluded while fusing")
    return out
