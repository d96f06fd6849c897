"""Vector search over one ``dense_vector`` field: exact for small collections, HNSW (usearch) above a threshold.

Vectors are L2-normalised float32 rows; similarity is the dot product and scores are reported as Elasticsearch
reports ``dot_product`` (``(1 + dot) / 2``), so fusion sees the same numbers from both backends. HNSW candidates
are rescored exactly from the float32 matrix. Filtered searches use the graph while the filter keeps most of the
collection and go exact over the allowed rows when it is selective — so a filter never starves the result.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

from vidsearch.store.embedded.growable import Growable

log = logging.getLogger(__name__)

# Below this share of the collection a filter is "selective": gather the allowed rows and search them exactly.
_SELECTIVE = 0.25

# One query's matrix-vector product is memory-bound: a multi-threaded BLAS gains little and, when a core is busy
# (a search server beside an encoder), waits on it — measured 0.7 ms single-threaded vs 0.9-8 ms threaded for
# 10k x 512 under load. Query products run single-threaded (the limit costs ~10 us).
_BLAS = ThreadpoolController()


class VectorFieldIndex:
    def __init__(self, dims: int, ann_threshold: int, connectivity: int = 16, expansion_search: int = 96) -> None:
        self.dims = dims
        self.ann_threshold = ann_threshold
        self.connectivity = connectivity
        self.expansion_search = expansion_search
        self.matrix = Growable(np.float32, (dims,))
        self.present = Growable(np.bool_, fill=False)
        self.ann = None
        self.ann_upto = 0  # slots below this that are present are in the graph

    def add(self, slot: int, vector: np.ndarray) -> None:
        self.matrix.set(slot, vector)
        self.present.set(slot, True)

    def count(self, live: np.ndarray) -> int:
        present = self.present.view()
        return int((present & live[: len(present)]).sum())

    # -- HNSW -----------------------------------------------------------------------------------------------
    def _new_ann(self):
        from usearch.index import Index

        # f16 storage: recall@10 ~0.999 on clustered 384-d data here, where i8 loses ~13 points.
        return Index(ndim=self.dims, metric="ip", dtype="f16", connectivity=self.connectivity,
                     expansion_add=128, expansion_search=self.expansion_search)

    def sync_ann(self, live: np.ndarray) -> None:
        """Bring the graph up to date with every present, live vector (building it past the threshold)."""
        present = self.present.view()
        size = len(present)
        if self.ann is None:
            if self.count(live) < self.ann_threshold:
                return
            self.ann = self._new_ann()
            self.ann_upto = 0
        if self.ann_upto < size:
            new = np.flatnonzero(present[self.ann_upto:size] & live[self.ann_upto:size]) + self.ann_upto
            if new.size:
                self.ann.add(new.astype(np.uint64), self.matrix.view()[new], threads=0)
            self.ann_upto = size

    def save_ann(self, path: Path) -> bool:
        if self.ann is None:
            return False
        self.ann.save(str(path))
        return True

    def load_ann(self, path: Path, upto: int) -> None:
        ann = self._new_ann()
        ann.load(str(path))
        ann.expansion_search = self.expansion_search
        self.ann, self.ann_upto = ann, upto

    # -- search ---------------------------------------------------------------------------------------------
    def search(self, query: np.ndarray, k: int, allowed: np.ndarray, num_candidates: int | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """(slots, scores) of the k best allowed vectors, best first."""
        present = self.present.view()
        size = len(present)
        allowed = allowed[:size] & present
        n_allowed = int(allowed.sum())
        if n_allowed == 0 or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        query = np.asarray(query, np.float32)
        matrix = self.matrix.view()
        use_graph = self.ann is not None and n_allowed > _SELECTIVE * size and n_allowed > self.ann_threshold
        if use_graph:
            slots = self._graph_candidates(query, k, allowed, num_candidates or max(10 * k, 100))
            if slots.size >= min(k, n_allowed):
                dots = matrix[slots] @ query
                return self._top(slots, dots, k)
        with _BLAS.limit(limits=1, user_api="blas"):
            if n_allowed < _SELECTIVE * size:
                slots = np.flatnonzero(allowed)
                dots = matrix[slots] @ query
            else:
                dots = matrix @ query
                dots = np.where(allowed, dots, -np.inf)
                slots = np.arange(size)
        return self._top(slots, dots, k)

    def _graph_candidates(self, query: np.ndarray, k: int, allowed: np.ndarray, num_candidates: int) -> np.ndarray:
        wanted = max(k, num_candidates)
        matches = self.ann.search(query, min(wanted, len(self.ann)))
        keys = np.asarray(matches.keys, dtype=np.int64)
        keys = keys[keys < len(allowed)]
        return keys[allowed[keys]]

    @staticmethod
    def _top(slots: np.ndarray, dots: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        finite = np.isfinite(dots)
        slots, dots = slots[finite], dots[finite]
        if slots.size > k:
            part = np.argpartition(-dots, k - 1)[:k]
            slots, dots = slots[part], dots[part]
        order = np.lexsort((slots, -dots))  # ties broken by insertion order, deterministically
        return slots[order], ((1.0 + dots[order]) / 2.0).astype(np.float32)
