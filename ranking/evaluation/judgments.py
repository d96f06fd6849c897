"""Relevance judgments (qrels) and the queries they judge.

Reads TREC qrels (``qid iter docid grade``), BEIR TSV (``query-id corpus-id score`` with a header) and JSONL
(one ``{"query_id", "doc_id", "relevance"}`` per line, optionally ``"query"`` with the query text). Problems that do
not make the file unusable are counted and reported, not fatal: repeated judgments (the highest grade kept),
documents the index does not hold (``check_documents``). A line that cannot be parsed stops with its line number.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ranking.errors import EvaluationInputError

log = logging.getLogger(__name__)

_QUERY_KEYS = ("query_id", "qid", "query-id", "_id", "id")
_DOC_KEYS = ("doc_id", "docid", "corpus-id", "document", "segment_id")
_GRADE_KEYS = ("relevance", "grade", "rel", "score", "label")
_TEXT_KEYS = ("query", "text", "question")


@dataclass
class JudgmentReport:
    """What loading (and checking) judgments found wrong without refusing the file."""

    judgments: int = 0
    repeated: int = 0  # same (query, doc) judged again with the same grade
    conflicting: int = 0  # judged again with a different grade: the highest kept
    unknown_documents: int = 0  # judged documents the index or corpus does not hold
    unknown_examples: list[tuple[str, str]] = field(default_factory=list)
    queries_without_relevant: int = 0

    def warnings(self) -> list[str]:
        out = []
        if self.repeated:
            out.append(f"{self.repeated} repeated judgment(s) ignored")
        if self.conflicting:
            out.append(f"{self.conflicting} conflicting judgment(s): the highest grade kept")
        if self.unknown_documents:
            shown = ", ".join(f"{q}:{d}" for q, d in self.unknown_examples[:3])
            out.append(f"{self.unknown_documents} judged document(s) are not in the index ({shown}"
                       f"{', ...' if self.unknown_documents > 3 else ''}); they count as never retrieved")
        if self.queries_without_relevant:
            out.append(f"{self.queries_without_relevant} judged quer(y/ies) have no relevant document and are "
                       "left out of the averages")
        return out


@dataclass
class Judgments:
    qrels: dict[str, dict[str, int]]  # query id → doc id → grade (> 0 relevant)
    queries: dict[str, str] = field(default_factory=dict)  # query id → text, where known
    source: str = ""
    report: JudgmentReport = field(default_factory=JudgmentReport)

    def __len__(self) -> int:
        return len(self.qrels)

    def query_ids(self) -> list[str]:
        """Queries with at least one relevant document, in file order: the ones metrics average over."""
        return [q for q, docs in self.qrels.items() if any(g > 0 for g in docs.values())]

    def subset(self, query_ids: Iterable[str]) -> Judgments:
        keep = [q for q in query_ids if q in self.qrels]
        return Judgments({q: self.qrels[q] for q in keep}, {q: self.queries[q] for q in keep if q in self.queries},
                         self.source, self.report)

    def documents(self) -> set[str]:
        return {d for docs in self.qrels.values() for d in docs}

    def check_documents(self, known: Collection[str]) -> JudgmentReport:
        """Count (and log) judged documents missing from ``known`` (the index's or corpus's ids). Not fatal: a
        missing relevant document still counts against recall, as it would for a user."""
        missing = [(q, d) for q, docs in self.qrels.items() for d in docs if d not in known]
        self.report.unknown_documents = len(missing)
        self.report.unknown_examples = missing[:10]
        if missing:
            log.warning("%s: %d judged document(s) are not in the index, e.g. %s", self.source or "judgments",
                        len(missing), ", ".join(f"{q}:{d}" for q, d in missing[:3]))
        return self.report


def _add(qrels: dict[str, dict[str, int]], report: JudgmentReport, query: str, doc: str, grade: int) -> None:
    docs = qrels.setdefault(query, {})
    old = docs.get(doc)
    if old is None:
        docs[doc] = grade
        report.judgments += 1
    elif old == grade:
        report.repeated += 1
    else:
        report.conflicting += 1
        docs[doc] = max(old, grade)


def _grade(value: object, path: Path, line: int) -> int:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise EvaluationInputError(path, f"relevance grade {value!r} is not a number", line) from None
    if number != number or number != int(number):
        raise EvaluationInputError(path, f"relevance grade {value!r} is not a whole number", line)
    return int(number)


def _first(record: Mapping, keys: tuple[str, ...]) -> object:
    for key in keys:
        if key in record and record[key] is not None:
            return record[key]
    return None


def load_judgments(path: Path | str, fmt: str = "auto") -> Judgments:
    """Judgments from a TREC qrels, BEIR TSV or JSONL file (``fmt``: auto, trec, tsv, jsonl)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise EvaluationInputError(path, f"cannot read judgments: {exc.strerror or exc}") from None
    if fmt == "auto":
        fmt = "jsonl" if path.suffix.lower() in (".jsonl", ".json", ".ndjson") else "trec"
    qrels: dict[str, dict[str, int]] = {}
    queries: dict[str, str] = {}
    report = JudgmentReport()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if fmt == "jsonl":
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvaluationInputError(path, f"not a JSON object: {exc.msg}", number) from None
            if not isinstance(record, dict):
                raise EvaluationInputError(path, "each line must be a JSON object", number)
            query, doc, grade = (_first(record, _QUERY_KEYS), _first(record, _DOC_KEYS),
                                 _first(record, _GRADE_KEYS))
            if query is None or doc is None:
                raise EvaluationInputError(path, "needs query_id and doc_id", number)
            text_value = _first(record, _TEXT_KEYS)
            if isinstance(text_value, str):
                queries.setdefault(str(query), text_value)
            _add(qrels, report, str(query), str(doc), _grade(1 if grade is None else grade, path, number))
            continue
        parts = line.split()
        if len(parts) == 4:  # TREC: qid iteration docid grade
            query, doc, grade = parts[0], parts[2], parts[3]
        elif len(parts) == 3:  # BEIR: query-id corpus-id score (header line skipped)
            if number == 1 and not parts[2].lstrip("-").isdigit():
                continue
            query, doc, grade = parts
        else:
            raise EvaluationInputError(path, f"expected 'qid 0 docid grade' (TREC) or 'qid docid grade' (BEIR), "
                                              f"got {len(parts)} column(s)", number)
        _add(qrels, report, query, doc, _grade(grade, path, number))
    if not qrels:
        raise EvaluationInputError(path, "no judgments in the file")
    judgments = Judgments(qrels, queries, str(path), report)
    report.queries_without_relevant = len(qrels) - len(judgments.query_ids())
    for warning in report.warnings():
        log.warning("%s: %s", path, warning)
    return judgments


def save_trec_qrels(judgments: Judgments, path: Path | str) -> Path:
    path = Path(path)
    lines = [f"{q} 0 {d} {g}" for q, docs in judgments.qrels.items() for d, g in docs.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def save_jsonl_judgments(judgments: Judgments, path: Path | str) -> Path:
    path = Path(path)
    with path.open("w", encoding="utf-8") as out:
        for q, docs in judgments.qrels.items():
            for d, g in docs.items():
                record = {"query_id": q, "doc_id": d, "relevance": g}
                if q in judgments.queries:
                    record["query"] = judgments.queries[q]
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def load_queries(path: Path | str) -> dict[str, str]:
    """Query texts: BEIR JSONL (``_id``, ``text``), JSONL with ``query_id``/``query``, or TSV ``qid<TAB>text``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise EvaluationInputError(path, f"cannot read queries: {exc.strerror or exc}") from None
    queries: dict[str, str] = {}
    jsonl = path.suffix.lower() in (".jsonl", ".json", ".ndjson")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if jsonl:
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvaluationInputError(path, f"not a JSON object: {exc.msg}", number) from None
            query, value = _first(record, _QUERY_KEYS), _first(record, _TEXT_KEYS)
        else:
            query, _, value = line.partition("\t")
        if query is None or not isinstance(value, str) or not value.strip():
            raise EvaluationInputError(path, "needs a query id and a non-empty text", number)
        queries[str(query)] = value.strip()
    if not queries:
        raise EvaluationInputError(path, "no queries in the file")
    return queries
