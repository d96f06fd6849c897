"""Judged text collections (BEIR, TREC, CSV corpora) loaded into the product's index, so relevance work runs on
the searcher's own retrievers: each document becomes a segment — title → ``title``, text → ``caption`` — with
``text_vec`` from the configured text encoder over the text-vector stage's own passage (``segment_text``).

Corpus formats: a BEIR folder or ``corpus.jsonl`` (``_id``, ``title``, ``text``); a TREC file of ``<DOC>`` blocks
(``<DOCNO>``, optional ``<TITLE>``/``<HEAD>``, ``<TEXT>``); a CSV with an id column (``_id``, ``doc_id``, ``id``,
``docno``), an optional ``title`` and a text column (``text``, ``abstract``, ``body``, ``contents``). A CSV cell
holding a printed list of sentences (``['One.' 'Two.']``, as SciFact's corpus has) is read as those sentences.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tokenize
from ast import literal_eval
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ranking.errors import EvaluationInputError
from vidsearch.documents import Segment
from vidsearch.encoders.text import TextEncoder
from vidsearch.schema import IndexName
from vidsearch.stages.text_vectors import segment_text
from vidsearch.store.base import IndexBackend

_ID_COLUMNS = ("_id", "doc_id", "id", "docno")
_TEXT_COLUMNS = ("text", "abstract", "body", "contents")
_TREC_DOC = re.compile(r"<DOC>(.*?)</DOC>", re.S | re.I)


def _trec_field(block: str, *tags: str) -> str:
    for tag in tags:
        found = re.search(rf"<{tag}>(.*?)</{tag}>", block, re.S | re.I)
        if found:
            return " ".join(found.group(1).split())
    return ""


def _sentences(cell: str) -> str:
    """A printed list/array of string literals → the strings joined; any other cell as it is."""
    text = cell.strip()
    if not (text.startswith("[") and text.endswith("]") and ("'" in text or '"' in text)):
        return cell
    try:
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        return " ".join(literal_eval(t.string) for t in tokens if t.type == tokenize.STRING)
    except (tokenize.TokenError, SyntaxError, ValueError):
        return cell


def _title(text: str) -> str:
    """Wiki-derived BEIR titles write spaces as underscores (KorQuAD, NQ): read them as words."""
    return text.replace("_", " ").strip()


def corpus_file(path: Path) -> Path:
    if path.is_dir():
        for name in ("corpus.jsonl", "corpus.csv", "corpus.trec", "corpus.txt"):
            if (path / name).is_file():
                return path / name
        raise EvaluationInputError(path, "no corpus.jsonl, corpus.csv or corpus.trec in this folder")
    if not path.is_file():
        raise EvaluationInputError(path, "no such corpus file or folder")
    return path


def read_corpus(path: Path | str) -> dict[str, tuple[str, str]]:
    """Document id → (title, text), in file order."""
    path = corpus_file(Path(path))
    docs: dict[str, tuple[str, str]] = {}
    if path.suffix == ".csv":
        csv.field_size_limit(1 << 30)
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            columns = reader.fieldnames or []
            id_column = next((c for c in _ID_COLUMNS if c in columns), None)
            text_column = next((c for c in _TEXT_COLUMNS if c in columns), None)
            if id_column is None or text_column is None:
                raise EvaluationInputError(path, f"a CSV corpus needs an id column ({', '.join(_ID_COLUMNS)}) and "
                                                 f"a text column ({', '.join(_TEXT_COLUMNS)}); it has {columns}")
            for row in reader:
                docs[row[id_column]] = (row.get("title") or "", _sentences(row[text_column] or ""))
    elif path.suffix == ".jsonl":
        for number, line in enumerate(path.open(encoding="utf-8"), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                docs[str(record["_id"])] = (_title(record.get("title") or ""), record.get("text") or "")
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise EvaluationInputError(path, f"not a BEIR corpus line with _id/title/text ({exc})",
                                           number) from None
    else:
        for block in _TREC_DOC.findall(path.read_text(encoding="utf-8", errors="replace")):
            doc_id = _trec_field(block, "DOCNO")
            if doc_id:
                docs[doc_id] = (_trec_field(block, "TITLE", "HEAD"), _trec_field(block, "TEXT"))
    if not docs:
        raise EvaluationInputError(path, "no documents found")
    return docs


def collection_segments(name: str, docs: dict[str, tuple[str, str]]) -> Iterator[Segment]:
    for i, (doc_id, (title, text)) in enumerate(docs.items()):
        yield Segment(id=doc_id, video_id=name, index=i, start_s=0.0, end_s=0.0, title=title or None,
                      caption=text or None)


@dataclass
class LoadReport:
    documents: int
    written: int
    skipped: int  # already in the index with a vector (a resumed load)


def load_collection(store: IndexBackend, encoder: TextEncoder, name: str, docs: dict[str, tuple[str, str]],
                    batch: int = 64, progress: Callable[[int], None] | None = None) -> LoadReport:
    """Write ``docs`` as segments with their text vectors, ``batch`` at a time (a killed load keeps what it wrote
    and a rerun skips it)."""
    store.ensure_indices({"text": {"id": encoder.identity, "dims": encoder.dims}})
    segments = list(collection_segments(name, docs))
    present = set(store.get(IndexName.SEGMENTS, [s.id for s in segments]))
    todo = [s for s in segments if s.id not in present]
    if progress is not None and present:
        progress(len(segments) - len(todo))
    written = 0
    for start in range(0, len(todo), batch):
        chunk = todo[start:start + batch]
        texts = [segment_text(s, encoder) for s in chunk]
        for segment, vector in zip(chunk, encoder.encode_documents(texts), strict=True):
            segment.text_vec = vector.tolist()
        report = store.upsert(IndexName.SEGMENTS, [(s.id, s.to_doc()) for s in chunk])
        if report.failed:
            raise EvaluationInputError(name, f"{len(report.failed)} documents rejected by the index, e.g. "
                                             f"{report.failed[0]}")
        written += len(chunk)
        if progress is not None:
            progress(len(chunk))
    store.refresh()
    return LoadReport(len(segments), written, len(segments) - len(todo))
