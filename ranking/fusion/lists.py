"""Shared shapes for fusion: ranked input lists, their cleaning and union, and the fused output.

The hot path touches each candidate once in a dict (the union) and otherwise works on per-list numpy columns;
the per-hit matrices ``explain`` reads (raw, normalised, contributions, ranks) are built only when asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from operator import attrgetter, itemgetter
from typing import Any

import numpy as np

_ID, _SCORE = attrgetter("id"), attrgetter("score")


@dataclass(frozen=True)
class RankedList:
    """One retriever's candidates, best first."""

    name: str
    ids: list[str]
    scores: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def ordered(cls, name: str, ids: Sequence[str], scores: Sequence[float] | np.ndarray) -> RankedList:
        """A list in ``total_order`` whatever order a retriever returned equal scores in."""
        values = np.asarray(scores, dtype=np.float64)
        order = total_order(ids, values)
        return cls(name, [ids[i] for i in order], values[order])


def as_ranked_lists(lists: Mapping[str, Any]) -> list[RankedList]:
    """Accept ``{name: [candidate with .id and .score]}``, ``{name: RankedList}`` or ``{name: (ids, scores)}``."""
    out = []
    for name, candidates in lists.items():
        if isinstance(candidates, RankedList):
            out.append(candidates if candidates.name == name else RankedList(name, candidates.ids,
                                                                             candidates.scores))
        elif isinstance(candidates, tuple) and len(candidates) == 2:
            ids, scores = candidates
            out.append(RankedList(name, list(ids), np.asarray(scores, dtype=np.float64)))
        else:
            ids = list(map(_ID, candidates))
            scores = np.fromiter(map(_SCORE, candidates), dtype=np.float64, count=len(ids))
            out.append(RankedList(name, ids, scores))
    return out


def id_ranks(ids: Sequence[str]) -> np.ndarray:
    """Each id's position in ascending string order (code points, which is UTF-8 byte order, as C's strcmp)."""
    ascending = np.argsort(np.asarray(ids, dtype=object), kind="stable")
    ranks = np.empty(len(ids), dtype=np.int64)
    ranks[ascending] = np.arange(len(ids))
    return ranks


def total_order(ids: Sequence[str] | Callable[[], Sequence[str]], scores: np.ndarray) -> np.ndarray:
    """Positions best first: score descending, then document id descending — trec_eval's own order
    (``comp_sim_docno``), so a ranking never depends on the order its inputs arrived in, and metrics computed
    here equal trec_eval's on the written run even where scores tie. ``ids`` may be a callable: the ids are
    only needed when there are ties, and only the tied ones are compared."""
    order = np.argsort(-scores, kind="stable")
    ranked = scores[order]
    if ranked.size < 2:
        return order
    same = ranked[1:] == ranked[:-1]
    if not same.any():
        return order
    tied = np.zeros(order.size, dtype=bool)
    tied[1:] = same
    tied[:-1] |= same
    at = np.flatnonzero(tied)
    group = np.cumsum(np.concatenate(([True], ~same)))[at]  # which tied stretch each tied position is in
    names = ids() if callable(ids) else ids
    members = order[at]
    ranks = id_ranks([names[i] for i in members])
    order[at] = members[np.lexsort((-ranks, group))]
    return order


def clean_lists(lists: Sequence[RankedList]) -> tuple[list[RankedList], list[str], dict[str, list[str]]]:
    """Drop what a backend should not have sent, saying so: non-finite scores (excluded and reported) and
    out-of-order scores (re-sorted). Tied scores are put in ``total_order``, and lists are taken in name order
    (so fused scores are summed in one order whatever order the lists came in). Empty lists are left out.
    Repeated ids are handled by ``union``."""
    cleaned: list[RankedList] = []
    notices: list[str] = []
    excluded: dict[str, list[str]] = {}
    for lst in sorted(lists, key=attrgetter("name")):
        ids, scores = lst.ids, np.asarray(lst.scores, dtype=np.float64)
        if len(ids) != len(scores):
            raise ValueError(f"list {lst.name!r} has {len(ids)} ids but {len(scores)} scores")
        finite = np.isfinite(scores)
        if not finite.all():
            bad = np.flatnonzero(~finite)
            excluded[lst.name] = [ids[i] for i in bad]
            notices.append(f"{lst.name}: excluded {bad.size} candidate(s) with non-finite scores "
                           f"({', '.join(excluded[lst.name][:3])}{', ...' if bad.size > 3 else ''})")
            ids = [i for i, ok in zip(ids, finite, strict=True) if ok]
            scores = scores[finite]
        if scores.size > 1 and (scores[1:] >= scores[:-1]).any():
            if (scores[1:] > scores[:-1]).any():
                notices.append(f"{lst.name}: candidates were not sorted by score; re-sorted")
            order = total_order(ids, scores)
            if (order != np.arange(order.size)).any():
                ids, scores = [ids[i] for i in order], scores[order]
        if ids:
            cleaned.append(lst if ids is lst.ids and scores is lst.scores else RankedList(lst.name, ids, scores))
    return cleaned, notices, excluded


@dataclass
class Union:
    """The union of the lists' ids in first-seen order (which never decides a ranking: see ``total_order``):
    union row i is ``every[positions[i]]`` (the lists'
    ids concatenated); ``rows[j]`` maps list j's candidates to union rows."""

    every: list[str]
    positions: np.ndarray
    rows: list[np.ndarray]
    lists: list[RankedList]

    def __len__(self) -> int:
        return len(self.positions)

    def ids_at(self, rows: np.ndarray) -> list[str]:
        """The ids of these union rows, in that order (one C-level pass)."""
        picked = self.positions[rows].tolist()
        if len(picked) == 1:
            return [self.every[picked[0]]]
        return list(itemgetter(*picked)(self.every)) if picked else []

    def matrix(self, columns: Sequence[np.ndarray], fill: float = np.nan) -> np.ndarray:
        """(len(ids), len(lists)) with ``columns[j]`` at list j's rows and ``fill`` where a list is absent."""
        out = np.full((len(self), len(columns)), fill)
        for j, (r, values) in enumerate(zip(self.rows, columns, strict=True)):
            out[r, j] = values
        return out


def union(lists: Sequence[RankedList], notices: list[str]) -> Union:
    """One dict operation per candidate, the cost that dominates fusion: each id maps to the position where it
    was first seen, and first-seen positions are ranked densely into union rows. A list that repeats an id keeps
    its first (best) occurrence, with a notice."""
    every = list(chain.from_iterable(lst.ids for lst in lists))
    n = len(every)
    first_at = np.fromiter(map({}.setdefault, every, range(n)), dtype=np.int64, count=n)
    is_first = np.zeros(n, dtype=bool)
    is_first[first_at] = True
    rows_all = (np.cumsum(is_first) - 1)[first_at]
    lengths = [len(lst.ids) for lst in lists]
    starts = np.cumsum([0, *lengths[:-1]])
    rows = np.split(rows_all, starts[1:])
    lists = list(lists)
    # A repeat within one list: its first sighting is elsewhere, but not before the list began.
    repeated = (first_at != np.arange(n)) & (first_at >= np.repeat(starts, lengths))
    if repeated.any():
        for j in np.unique(np.searchsorted(starts, np.flatnonzero(repeated), side="right") - 1):
            lst, r = lists[j], rows[j]
            _, keep = np.unique(r, return_index=True)
            keep.sort()
            notices.append(f"{lst.name}: {r.size - keep.size} repeated id(s) dropped, the best kept")
            lists[j] = RankedList(lst.name, [lst.ids[i] for i in keep], lst.scores[keep])
            rows[j] = r[keep]
    return Union(every, np.flatnonzero(is_first), rows, lists)


@dataclass
class Contributions:
    """What fusion computed per list, in union order, from which ``FusedRanking`` builds per-hit matrices.

    ``values[j]``: the value list j gave each of its candidates (normalised score or RRF term); ``fill[j]``:
    the value counted where list j is absent; ``covered``: per-row weight sum when a missing list is skipped.
    """

    union: Union
    values: list[np.ndarray]
    weights: np.ndarray
    fill: np.ndarray
    covered: np.ndarray | None = None


class FusedRanking:
    """Fused ids best first with their scores; per hit, every list's raw score, normalised score,
    contribution and rank (``explain``).

    Matrix columns follow ``lists``: ``raw`` and ``normalised`` are NaN where a list did not return the hit;
    ``contributions`` are what each list added (rows sum to ``scores``); ``ranks`` are 1-based, 0 where absent.
    """

    def __init__(self, ids: list[str], scores: np.ndarray, lists: list[str], order: np.ndarray | None = None,
                 parts: Contributions | None = None, *, method: str = "weighted", normalization: str | None = None,
                 notices: list[str] | None = None, excluded: dict[str, list[str]] | None = None) -> None:
        self.ids = ids
        self.scores = scores
        self.lists = lists
        self.method = method
        self.normalization = normalization
        self.notices = notices or []
        self.excluded = excluded or {}
        self._order = order if order is not None else np.arange(len(ids))
        self._parts = parts
        self.rules_fired: list[dict[str, str]] = []  # filled by FusionProfile.fuse: query rules that applied
        self.weights_used: dict[str, float] = {}  # the weights asked for (after rules), before list matching

    @classmethod
    def empty(cls, method: str, notices: list[str] | None = None,
              excluded: dict[str, list[str]] | None = None) -> FusedRanking:
        return cls([], np.zeros(0), [], method=method, notices=notices, excluded=excluded)

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"FusedRanking({self.method}, {len(self.ids)} hits, lists={self.lists})"

    @property
    def weights(self) -> dict[str, float]:
        if self._parts is None:
            return {}
        return dict(zip(self.lists, self._parts.weights.tolist(), strict=True))

    def _ordered(self, matrix: np.ndarray) -> np.ndarray:
        return np.take(matrix, self._order, axis=0)

    @cached_property
    def raw(self) -> np.ndarray:
        if self._parts is None:
            return np.zeros((0, 0))
        return self._ordered(self._parts.union.matrix([lst.scores for lst in self._parts.union.lists]))

    @cached_property
    def normalised(self) -> np.ndarray:
        if self._parts is None:
            return np.zeros((0, 0))
        return self._ordered(self._parts.union.matrix(self._parts.values))

    @cached_property
    def contributions(self) -> np.ndarray:
        if self._parts is None:
            return np.zeros((0, 0))
        p = self._parts
        used = np.where(np.isnan(self.normalised), p.fill, self.normalised) * p.weights
        if p.covered is not None:
            covered = np.take(p.covered, self._order)
            used = used / np.where(covered > 0, covered, 1.0)[:, None]
        return used

    @cached_property
    def ranks(self) -> np.ndarray:
        if self._parts is None:
            return np.zeros((0, 0), np.int64)
        u = self._parts.union
        return self._ordered(u.matrix([np.arange(1, r.size + 1) for r in u.rows], fill=0).astype(np.int64))

    @cached_property
    def _slots(self) -> list[np.ndarray]:
        """Per list, union row → index in that list (-1 where absent): explaining a few hits reads these
        instead of building (hits × lists) matrices for every candidate."""
        if self._parts is None:
            return []
        u = self._parts.union
        slots = []
        for r in u.rows:
            slot = np.full(len(u), -1, dtype=np.int64)
            slot[r] = np.arange(r.size)
            slots.append(slot)
        return slots

    def explain(self, position: int) -> dict[str, dict[str, Any]]:
        """Per list: raw score, normalised score (None where the list did not return this hit), the
        contribution it made to the fused score, and its 1-based rank in that list (None where absent)."""
        p = self._parts
        if p is None:
            raise IndexError(f"hit {position} is out of range: the ranking is empty")
        row = int(self._order[position])
        share = 1.0
        if p.covered is not None and p.covered[row] > 0:
            share = 1.0 / float(p.covered[row])
        out: dict[str, dict[str, Any]] = {}
        for j, name in enumerate(self.lists):
            at = int(self._slots[j][row])
            found = at >= 0
            norm = float(p.values[j][at]) if found else None
            used = norm if found else float(p.fill[j])
            out[name] = {
                "raw": float(p.union.lists[j].scores[at]) if found else None,
                "normalised": norm,
                "contribution": float(p.weights[j]) * used * share,
                "rank": at + 1 if found else None,
            }
        return out

    def explanations(self, k: int | None = None) -> list[dict[str, Any]]:
        """``explain`` for every hit (the first ``k``), with the id and fused score."""
        n = len(self.ids) if k is None else min(k, len(self.ids))
        return [{"id": self.ids[i], "score": float(self.scores[i]), "lists": self.explain(i)} for i in range(n)]

    def top(self, k: int) -> FusedRanking:
        return FusedRanking(self.ids[:k], self.scores[:k], self.lists, self._order[:k], self._parts,
                            method=self.method, normalization=self.normalization, notices=self.notices,
                            excluded=self.excluded)


def ranked_output(parts: Contributions, scores: np.ndarray, method: str, normalization: str | None,
                  notices: list[str], excluded: dict[str, list[str]]) -> FusedRanking:
    order = total_order(lambda: parts.union.ids_at(np.arange(len(parts.union))), scores)
    return FusedRanking(parts.union.ids_at(order), np.take(scores, order),
                        [lst.name for lst in parts.union.lists], order, parts, method=method,
                        normalization=normalization, notices=notices, excluded=excluded)
