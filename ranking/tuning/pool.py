"""Candidate pools: each query's per-list candidates, cleaned and unioned exactly as ``fuse`` does, held as one
(candidates × lists) matrix so any number of weight vectors can be scored at once (a matrix product and a
column-wise stable sort per query over candidates held in descending id order, which is fuse's tie order). The metric a pool gives for a weight vector equals evaluating ``fuse``'s
output with those weights (tested)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ranking.evaluation.judgments import Judgments
from ranking.evaluation.metrics import Metric, ideal_gains, metric_values, parse_metric
from ranking.evaluation.runs import Run
from ranking.fusion.lists import RankedList, clean_lists, id_ranks, union
from ranking.fusion.normalization import normaliser
from ranking.fusion.rrf import rrf_terms
from ranking.fusion.weighted import MissingPolicy, missing_policy


@dataclass
class QueryPool:
    values: np.ndarray  # candidates × lists: what each list gives each candidate (missing policy applied)
    present: np.ndarray  # candidates × lists, bool
    ranks: np.ndarray  # candidates × lists: 0-based position in each list (meaningless where absent)
    lengths: np.ndarray  # lists: candidates per list (0 where the list found nothing for this query)
    grades: np.ndarray  # judged grade per candidate (0 unjudged)
    ideal: np.ndarray  # depth: the query's ideal grades
    relevant: int
    by_id: np.ndarray  # candidates in descending id order: ``fuse``'s tie order (see ranking.fusion.lists)

    def reachable(self, taking_part: np.ndarray) -> np.ndarray:
        """The candidates some list taking part returned, in descending id order (zero-weight lists drop out)."""
        return self.by_id[(self.present[self.by_id] & taking_part).any(axis=1)]


@dataclass
class FusionSetting:
    method: str = "weighted"
    normalization: str = "minmax"
    missing: str = "zero"
    rrf_k: int = 60

    def label(self) -> str:
        if self.method == "rrf":
            return f"rrf k={self.rrf_k}"
        return f"weighted {self.normalization}" + (f" missing={self.missing}" if self.missing != "zero" else "")


class CandidatePool:
    def __init__(self, runs: Mapping[str, Run], judgments: Judgments, query_ids: Sequence[str],
                 setting: FusionSetting, depth: int) -> None:
        self.lists = sorted(runs)  # fuse sums lists in name order
        self.setting = setting
        self.depth = depth
        self.query_ids = [q for q in query_ids if any(g >= 1 for g in judgments.qrels.get(q, {}).values())]
        policy = missing_policy(setting.missing) if setting.method == "weighted" else MissingPolicy.ZERO
        self._skip = setting.method == "weighted" and policy is MissingPolicy.SKIP
        normalise = normaliser(setting.normalization) if setting.method == "weighted" else None
        self.pools: list[QueryPool] = []
        for query in self.query_ids:
            judged = judgments.qrels.get(query, {})
            found = [runs[name].get(query) for name in self.lists]
            lists, _, _ = clean_lists([RankedList(name, r.ids, r.scores) for name, r in zip(self.lists, found,
                                                                                          strict=True)])
            columns = np.zeros((0, len(self.lists)))
            present = np.zeros((0, len(self.lists)), dtype=bool)
            ranks = np.zeros((0, len(self.lists)))
            lengths = np.zeros(len(self.lists))
            grades = np.zeros(0)
            by_id = np.zeros(0, dtype=np.int64)
            if lists:
                joined = union(lists, [])
                n = len(joined)
                columns = np.zeros((n, len(self.lists)))
                present = np.zeros((n, len(self.lists)), dtype=bool)
                ranks = np.zeros((n, len(self.lists)))
                for lst, rows in zip(joined.lists, joined.rows, strict=True):
                    j = self.lists.index(lst.name)
                    ranks[rows, j] = np.arange(rows.size)
                    lengths[j] = rows.size
                    if normalise is not None:
                        vals = normalise(lst.scores)
                        if policy is MissingPolicy.MIN:
                            columns[:, j] = vals.min()
                    else:
                        vals = rrf_terms(rows.size, float(setting.rrf_k))
                    columns[rows, j] = vals
                    present[rows, j] = True
                ids = joined.ids_at(np.arange(n))
                grades = np.array([judged.get(d, 0) for d in ids], dtype=np.float64)
                by_id = np.argsort(-id_ranks(ids), kind="stable")
            self.pools.append(QueryPool(columns, present, ranks, lengths, grades,
                                        ideal_gains(judged.values(), depth),
                                        sum(1 for g in judged.values() if g >= 1), by_id))

    def scores(self, weights: np.ndarray, metric: str | Metric) -> np.ndarray:
        """(queries × settings) metric values for each row of ``weights`` (settings × lists).

        Lists a row weights 0 take no part, as in ``fuse``: their candidates drop out; ties go by descending
        document id. Rows are grouped by which lists take part."""
        metric = parse_metric(metric)
        weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
        depth = min(self.depth, metric.k or self.depth)
        patterns, group = np.unique(weights > 0, axis=0, return_inverse=True)
        group = group.ravel()
        out = np.zeros((len(self.pools), len(weights)))
        relevant = np.empty(len(weights))
        for row, pool in enumerate(self.pools):
            if pool.grades.size == 0:
                continue
            fused = pool.values @ weights.T  # candidates × settings
            if self._skip:
                covered = pool.present @ weights.T
                fused = np.divide(fused, covered, out=np.zeros_like(fused), where=covered > 0)
            gains = np.zeros((len(weights), depth))
            for p, taking_part in enumerate(patterns):
                columns = np.flatnonzero(group == p)
                reachable = pool.reachable(taking_part)
                if reachable.size == 0:
                    continue
                ranked = np.argsort(-fused[np.ix_(reachable, columns)], axis=0, kind="stable")[:depth]
                gains[columns, : ranked.shape[0]] = pool.grades[reachable[ranked]].T
            ideal = np.broadcast_to(pool.ideal[:depth], (len(weights), depth))
            relevant.fill(pool.relevant)
            out[row] = metric_values(metric, gains, ideal, relevant)
        return out
