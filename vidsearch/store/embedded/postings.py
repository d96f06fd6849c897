"""BM25 over an inverted index, scored exactly as Lucene's ``BM25Similarity`` (what Elasticsearch computes).

    idf   = ln(1 + (N - n + 0.5) / (n + 0.5))
    score = boost * idf * tf / (tf + k1 * (1 - b + b * dl / avgdl))

N is the number of live documents with the field, n those containing the term, avgdl = total term count / N, and
dl the document's length after Lucene's lossy one-byte norm encoding (``SmallFloat.intToByte4``), so long
documents get exactly the length Elasticsearch would use. Statistics cover the whole index, not the filtered part,
as in Elasticsearch's filter context.

Postings live in two parts: a compressed-sparse-row ``base`` (from a snapshot, possibly memory-mapped) and a small
``delta`` of documents added since. ``merged()`` folds the delta into a new base for the next snapshot.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from vidsearch.store.embedded.growable import Growable

K1 = 1.2
B = 0.75

# --- Lucene SmallFloat.intToByte4 / byte4ToInt -------------------------------------------------------------


def _long_to_int4(i: int) -> int:
    num_bits = i.bit_length()
    if num_bits < 4:
        return i
    shift = num_bits - 4
    encoded = (i >> shift) & 0x07
    return encoded | ((shift + 1) << 3)


def _int4_to_long(i: int) -> int:
    bits = i & 0x07
    shift = (i >> 3) - 1
    return bits if shift == -1 else (bits | 0x08) << shift


_NUM_FREE_VALUES = 255 - _long_to_int4(2**31 - 1)  # 24: lengths below this are stored exactly


def int_to_byte4(i: int) -> int:
    if i < _NUM_FREE_VALUES:
        return i
    return _NUM_FREE_VALUES + _long_to_int4(i - _NUM_FREE_VALUES)


def byte4_to_int(b: int) -> int:
    return b if b < _NUM_FREE_VALUES else _NUM_FREE_VALUES + _int4_to_long(b - _NUM_FREE_VALUES)


LENGTH_TABLE = np.array([byte4_to_int(b) for b in range(256)], dtype=np.float32)


def encoded_lengths(lengths: np.ndarray) -> np.ndarray:
    """The lengths Lucene scores with (decode(encode(length))), vectorised."""
    bounds = LENGTH_TABLE.astype(np.int64)
    codes = np.searchsorted(bounds, lengths.astype(np.int64), side="right") - 1
    return LENGTH_TABLE[np.clip(codes, 0, 255)]


# --- the index ----------------------------------------------------------------------------------------------


@dataclass
class CsrPostings:
    vocab: dict[str, int]
    offsets: np.ndarray  # int64, len(vocab) + 1
    slots: np.ndarray  # int32
    tfs: np.ndarray  # float32

    @classmethod
    def empty(cls) -> CsrPostings:
        return cls({}, np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32))

    def get(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        tid = self.vocab.get(term)
        if tid is None:
            return None
        lo, hi = self.offsets[tid], self.offsets[tid + 1]
        return self.slots[lo:hi], self.tfs[lo:hi]


class TextFieldIndex:
    def __init__(self, base: CsrPostings | None = None, lengths: Growable | None = None) -> None:
        self.base = base or CsrPostings.empty()
        self.delta: dict[str, tuple[array, array]] = {}
        self.delta_postings = 0
        self.lengths = lengths or Growable(np.int32)
        self.norm_lengths = Growable(np.float32)  # the lengths Lucene scores with
        if len(self.lengths):
            self.norm_lengths.extend(encoded_lengths(self.lengths.view()))
        self.doc_count = 0  # live documents with this field
        self.total_terms = 0  # sum of their lengths

    def recount(self, live: np.ndarray) -> None:
        lengths = self.lengths.view()
        alive = live[: len(lengths)] & (lengths > 0)
        self.doc_count = int(alive.sum())
        self.total_terms = int(lengths[alive].sum())

    def add(self, slot: int, term_freqs: Mapping[str, int]) -> None:
        length = sum(term_freqs.values())
        self.lengths.set(slot, length)
        self.norm_lengths.set(slot, LENGTH_TABLE[int_to_byte4(length)])
        if term_freqs:
            self.doc_count += 1
            self.total_terms += self.lengths.view()[slot]
        for term, tf in term_freqs.items():
            entry = self.delta.get(term)
            if entry is None:
                entry = self.delta[term] = (array("i"), array("f"))
            entry[0].append(slot)
            entry[1].append(tf)
        self.delta_postings += len(term_freqs)

    def kill(self, slot: int) -> None:
        lengths = self.lengths.view()
        if slot < len(lengths) and lengths[slot] > 0:
            self.doc_count -= 1
            self.total_terms -= int(lengths[slot])

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        parts = []
        base = self.base.get(term)
        if base is not None:
            parts.append(base)
        delta = self.delta.get(term)
        if delta is not None:
            parts.append((np.frombuffer(delta[0], np.int32), np.frombuffer(delta[1], np.float32)))
        if not parts:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        if len(parts) == 1:
            return parts[0]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def score_into(self, acc: np.ndarray, terms: Sequence[str], live: np.ndarray, allowed: np.ndarray,
                   boost: float = 1.0) -> None:
        """Add each query term's BM25 contribution for the allowed documents into ``acc``."""
        if self.doc_count == 0:
            return
        avgdl = self.total_terms / self.doc_count
        counts: dict[str, int] = {}
        for term in terms:
            counts[term] = counts.get(term, 0) + 1
        for term, repeat in counts.items():
            slots, tfs = self.postings(term)
            if slots.size == 0:
                continue
            alive = live[slots]
            n = int(alive.sum())
            if n == 0:
                continue
            idf = np.log1p((self.doc_count - n + 0.5) / (n + 0.5))
            keep = allowed[slots]
            slots, tfs = slots[keep], tfs[keep]
            if slots.size == 0:
                continue
            norms = K1 * (1 - B + B * self.norm_lengths.view()[slots] / avgdl)
            acc[slots] += (boost * repeat * idf) * tfs / (tfs + norms)

    def merged(self, live: np.ndarray) -> CsrPostings:
        """Base and delta as one CSR without dead documents: the next snapshot's postings."""
        vocab = dict(self.base.vocab)
        tids = [np.repeat(np.arange(len(self.base.vocab), dtype=np.int64), np.diff(self.base.offsets))]
        slots = [self.base.slots.astype(np.int32, copy=False)]
        tfs = [self.base.tfs.astype(np.float32, copy=False)]
        for term, (s, f) in self.delta.items():
            tid = vocab.setdefault(term, len(vocab))
            tids.append(np.full(len(s), tid, np.int64))
            slots.append(np.frombuffer(s, np.int32))
            tfs.append(np.frombuffer(f, np.float32))
        all_tids, all_slots, all_tfs = np.concatenate(tids), np.concatenate(slots), np.concatenate(tfs)
        keep = live[all_slots] if all_slots.size else np.zeros(0, bool)
        all_tids, all_slots, all_tfs = all_tids[keep], all_slots[keep], all_tfs[keep]
        order = np.lexsort((all_slots, all_tids))
        offsets = np.zeros(len(vocab) + 1, np.int64)
        np.cumsum(np.bincount(all_tids, minlength=len(vocab)), out=offsets[1:])
        return CsrPostings(vocab, offsets, all_slots[order], all_tfs[order])

