"""A searcher's in-memory view of one index: slots, filters, BM25 postings and vector fields.

Every document gets a slot (an integer) when it arrives; replacing or deleting it marks the old slot dead. The view
is rebuilt from the journal's rows, or loaded from a snapshot and brought up to date with the rows written after
it, so opening a large store costs a file load, not a re-analysis.
"""

from __future__ import annotations

import datetime as dt
import pickle
from array import array
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from vidsearch.schema import FieldKind, IndexName, index_schema
from vidsearch.store.base import Range
from vidsearch.store.embedded.growable import Growable
from vidsearch.store.embedded.journal import StoredRow
from vidsearch.store.embedded.postings import CsrPostings, TextFieldIndex
from vidsearch.store.embedded.vectors import VectorFieldIndex


def date_number(value: Any) -> float:
    """Dates as days since 0001-01-01 (datetimes with their fraction of a day), for range filters."""
    if isinstance(value, dt.datetime):
        return value.toordinal() + (value.hour * 3600 + value.minute * 60 + value.second) / 86400
    if isinstance(value, dt.date):
        return float(value.toordinal())
    if isinstance(value, str):
        text = value.replace("Z", "+00:00")
        return date_number(dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text))
    return float(value)


def _values(body: Mapping[str, Any], name: str) -> list[Any]:
    value = body.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


class IndexView:
    def __init__(self, index: IndexName, dims: Mapping[str, int], ann_threshold: int,
                 ann_connectivity: int = 16, ann_expansion_search: int = 96) -> None:
        self.index = index
        self.schema = index_schema(index)
        self.seq = 0
        self.unsaved_changes = 0  # documents changed since the last snapshot was loaded or written
        self.ids: list[str] = []
        self.slot_of: dict[str, int] = {}
        self.live = Growable(np.bool_, fill=False)
        self.keyword_fields = [f for f, k in self.schema.kinds.items() if k is FieldKind.KEYWORD and "." not in f]
        self.number_fields = [f for f, k in self.schema.kinds.items()
                              if k in (FieldKind.NUMBER, FieldKind.DATE) and "." not in f]
        self.keywords: dict[str, dict[str, array]] = {f: {} for f in self.keyword_fields}
        self.numbers: dict[str, Growable] = {f: Growable(np.float64, fill=np.nan) for f in self.number_fields}
        self.text: dict[str, TextFieldIndex] = {f: TextFieldIndex() for f in self.schema.analyzers}
        self.vectors: dict[str, VectorFieldIndex] = {
            f: VectorFieldIndex(dims[f], ann_threshold, ann_connectivity, ann_expansion_search)
            for f in self.schema.vectors if f in dims
        }

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def live_count(self) -> int:
        return len(self.slot_of)

    # -- updates --------------------------------------------------------------------------------------------
    def _kill(self, slot: int) -> None:
        self.live.set(slot, False)
        for field in self.text.values():
            field.kill(slot)

    def apply(self, seq: int, rows: Iterable[StoredRow], gone: Iterable[str]) -> int:
        """Apply the journal's changes since this view's seq. Returns how many documents changed."""
        changed = 0
        for row in rows:
            old = self.slot_of.get(row.id)
            if old is not None:
                self._kill(old)
            self._add(row)
            changed += 1
        for doc_id in gone:
            old = self.slot_of.pop(doc_id, None)
            if old is not None:
                self._kill(old)
                changed += 1
        self.seq = seq
        self.unsaved_changes += changed
        return changed

    def _add(self, row: StoredRow) -> None:
        slot = len(self.ids)
        self.ids.append(row.id)
        self.slot_of[row.id] = slot
        self.live.set(slot, True)
        body = orjson.loads(row.body)
        for name in self.keyword_fields:
            for value in _values(body, name):
                postings = self.keywords[name].get(str(value))
                if postings is None:
                    postings = self.keywords[name][str(value)] = array("i")
                postings.append(slot)
        for name in self.number_fields:
            values = _values(body, name)
            if values:
                kind = self.schema.kinds[name]
                self.numbers[name].set(slot, date_number(values[0]) if kind is FieldKind.DATE else float(values[0]))
        terms = orjson.loads(row.terms)
        for name, field in self.text.items():
            field.add(slot, terms.get(name, {}))
        for name, field in self.vectors.items():
            blob = row.vectors.get(name)
            if blob is not None:
                field.add(slot, np.frombuffer(blob, np.float32))

    # -- filters --------------------------------------------------------------------------------------------
    def mask(self, terms: Mapping[str, list[str]], ranges: Mapping[str, Range]) -> np.ndarray:
        """Live documents passing every filter clause (boolean per slot)."""
        size = len(self.ids)
        allowed = self.live.padded(size).copy()
        for name, values in terms.items():
            clause = np.zeros(size, bool)
            if name == "_id":
                slots = [self.slot_of[v] for v in values if v in self.slot_of]
                clause[slots] = True
            else:
                for value in values:
                    postings = self.keywords[name].get(str(value))
                    if postings is not None:
                        clause[np.frombuffer(postings, np.int32)] = True
            allowed &= clause
        for name, rng in ranges.items():
            column = self.numbers[name].padded(size)
            kind = self.schema.kinds[name]
            convert = date_number if kind is FieldKind.DATE else float
            with np.errstate(invalid="ignore"):
                if rng.gte is not None:
                    allowed &= column >= convert(rng.gte)
                if rng.lte is not None:
                    allowed &= column <= convert(rng.lte)
        return allowed

    # -- search ---------------------------------------------------------------------------------------------
    def bm25(self, analysed: Mapping[str, list[str]], boosts: Mapping[str, float], allowed: np.ndarray, k: int
             ) -> tuple[np.ndarray, np.ndarray]:
        """multi_match best_fields: per document the best field's BM25 score. (slots, scores) best first."""
        size = len(self.ids)
        live = self.live.padded(size)
        best = np.zeros(size, np.float32)
        acc = np.zeros(size, np.float32)
        for name, terms in analysed.items():
            if not terms:
                continue
            acc.fill(0.0)
            self.text[name].score_into(acc, terms, live, allowed, boosts.get(name, 1.0))
            np.maximum(best, acc, out=best)
        hits = np.flatnonzero(best > 0)
        scores = best[hits]
        if hits.size > k:
            part = np.argpartition(-scores, k - 1)[:k]
            hits, scores = hits[part], scores[part]
        order = np.lexsort((hits, -scores))
        return hits[order], scores[order]

    def knn(self, field: str, vector: np.ndarray, k: int, allowed: np.ndarray, num_candidates: int | None
            ) -> tuple[np.ndarray, np.ndarray]:
        index = self.vectors[field]
        index.sync_ann(self.live.padded(len(self.ids)))
        return index.search(vector, k, allowed, num_candidates)

    # -- snapshots ------------------------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        size = len(self.ids)
        live = self.live.padded(size)
        meta: dict[str, Any] = {"seq": self.seq, "size": size, "text": {}, "vectors": {}}
        (folder / "ids.json").write_bytes(orjson.dumps(self.ids))
        np.save(folder / "live.npy", live)
        keywords = {f: {v: np.frombuffer(a, np.int32)[live[np.frombuffer(a, np.int32)]] for v, a in d.items()}
                    for f, d in self.keywords.items()}
        (folder / "keywords.pkl").write_bytes(pickle.dumps(keywords, protocol=5))
        np.savez(folder / "numbers.npz", **{f: g.padded(size) for f, g in self.numbers.items()})
        for i, (name, field) in enumerate(self.text.items()):
            csr = field.merged(live)
            (folder / f"text{i}.vocab.json").write_bytes(orjson.dumps(list(csr.vocab)))
            np.savez(folder / f"text{i}.npz", offsets=csr.offsets, slots=csr.slots, tfs=csr.tfs,
                     lengths=field.lengths.padded(size))
            meta["text"][name] = i
        for i, (name, field) in enumerate(self.vectors.items()):
            np.save(folder / f"vec{i}.matrix.npy", field.matrix.padded(size))
            np.save(folder / f"vec{i}.present.npy", field.present.padded(size))
            has_ann = field.save_ann(folder / f"vec{i}.usearch")
            meta["vectors"][name] = {"file": i, "ann_upto": field.ann_upto if has_ann else 0, "ann": has_ann}
        (folder / "meta.json").write_bytes(orjson.dumps(meta))

    def load(self, folder: Path) -> None:
        meta = orjson.loads((folder / "meta.json").read_bytes())
        self.seq = meta["seq"]
        self.ids = orjson.loads((folder / "ids.json").read_bytes())
        live = np.load(folder / "live.npy")
        self.live = Growable(np.bool_, fill=False, data=live)
        self.slot_of = {doc_id: slot for slot, doc_id in enumerate(self.ids) if live[slot]}
        keywords = pickle.loads((folder / "keywords.pkl").read_bytes())
        self.keywords = {f: {v: array("i", a.astype(np.int32).tobytes()) for v, a in keywords.get(f, {}).items()}
                         for f in self.keyword_fields}
        with np.load(folder / "numbers.npz") as numbers:
            for name in self.number_fields:
                if name in numbers:
                    self.numbers[name] = Growable(np.float64, fill=np.nan, data=numbers[name])
        for name, i in meta["text"].items():
            if name not in self.text:
                continue
            vocab_list = orjson.loads((folder / f"text{i}.vocab.json").read_bytes())
            with np.load(folder / f"text{i}.npz") as arrays:
                base = CsrPostings({t: j for j, t in enumerate(vocab_list)}, arrays["offsets"], arrays["slots"],
                                   arrays["tfs"])
                field = TextFieldIndex(base, Growable(np.int32, data=arrays["lengths"]))
            field.recount(live)
            self.text[name] = field
        for name, info in meta["vectors"].items():
            field = self.vectors.get(name)
            if field is None:
                continue
            i = info["file"]
            field.matrix = Growable(np.float32, (field.dims,), data=np.load(folder / f"vec{i}.matrix.npy"))
            field.present = Growable(np.bool_, fill=False, data=np.load(folder / f"vec{i}.present.npy"))
            if info["ann"]:
                field.load_ann(folder / f"vec{i}.usearch", info["ann_upto"])
