"""Relevance judgments collected where people search: a hit marked relevant or not for the query, stored with the
query, the profile and the ranking that was shown — and exported as TREC qrels or JSONL that
``vidsearch relevance eval|sweep`` read directly (``ranking.evaluation.judgments``)."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from vidsearch.edits.records import EditRecord, EditRejected, EditTarget, FieldChange, fold
from vidsearch.store.base import EditLog, EditRecordTaken

MAX_QUERY_CHARS = 2000
MAX_RANKING = 200


class Judgment(BaseModel):
    query_id: str
    query: str
    doc_id: str
    relevance: int
    who: str
    profile: str | None = None
    ranking: list[str] = Field(default_factory=list)
    rank: int | None = None
    version: int


def query_id(query: str) -> str:
    """Stable per query text (NFKC, case and spacing folded), so judgments from many sessions meet."""
    key = " ".join(unicodedata.normalize("NFKC", query).casefold().split())
    return "q-" + hashlib.sha1(key.encode()).hexdigest()[:12]


def judge(edit_log: EditLog, query: str, doc_id: str, relevance: int, who: str, profile: str | None = None,
          ranking: list[str] | None = None, rank: int | None = None, weights: dict[str, float] | None = None
          ) -> Judgment:
    query = query.strip()
    if not query or len(query) > MAX_QUERY_CHARS:
        raise EditRejected(f"a judged query has 1 to {MAX_QUERY_CHARS} characters")
    if not 0 <= relevance <= 3:
        raise EditRejected(f"relevance {relevance} is not a grade 0 (not relevant) to 3 (highly relevant)")
    shown = list(ranking or [])[:MAX_RANKING]
    qid = query_id(query)
    target_id = f"{qid}:{doc_id}"
    context = {"query": query, "query_id": qid, "doc_id": doc_id, "profile": profile, "ranking": shown,
               "rank": rank, "weights": weights or {}}
    for _ in range(3):  # two people judging the same hit at once: the later one is simply the newer version
        records = edit_log.of_targets(EditTarget.JUDGMENT.value, [target_id])
        edits = fold(records).get((EditTarget.JUDGMENT.value, target_id))
        old = edits.active().get("relevance") if edits else None
        version = edits.version + 1 if edits else 1
        record = EditRecord.new(EditTarget.JUDGMENT, target_id, version, who, "judgment",
                                {"relevance": FieldChange(old=old, new=relevance)}, context=context)
        try:
            edit_log.append(record.to_doc())
        except EditRecordTaken:
            continue
        return _judgment(record)
    raise EditRejected(f"{doc_id} is being judged for this query by others right now; try again")


def _judgment(record: EditRecord) -> Judgment:
    ctx = record.context
    return Judgment(query_id=ctx["query_id"], query=ctx["query"], doc_id=ctx["doc_id"],
                    relevance=record.changes["relevance"].new, who=record.who, profile=ctx.get("profile"),
                    ranking=ctx.get("ranking", []), rank=ctx.get("rank"), version=record.version)


def judgments(edit_log: EditLog, query: str | None = None) -> list[Judgment]:
    """The newest judgment of every (query, document), optionally of one query."""
    out = []
    for edits in fold(edit_log.of_target_kind(EditTarget.JUDGMENT.value)).values():
        judgment = _judgment(edits.records[-1])
        if query is None or judgment.query_id == query_id(query):
            out.append(judgment)
    return sorted(out, key=lambda j: (j.query_id, j.rank if j.rank is not None else 1 << 30, j.doc_id))


def export(edit_log: EditLog, out: Path, fmt: str = "jsonl") -> dict[str, Any]:
    """Write the judgments as JSONL (with query texts: ``relevance eval -j`` needs nothing else) or TREC qrels
    (plus ``<name>.queries.jsonl`` beside it for ``--queries``), with ranking's own writers."""
    from ranking.evaluation.judgments import Judgments, save_jsonl_judgments, save_trec_qrels

    found = judgments(edit_log)
    qrels: dict[str, dict[str, int]] = {}
    for j in found:
        qrels.setdefault(j.query_id, {})[j.doc_id] = j.relevance
    queries = {j.query_id: j.query for j in found}
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "jsonl":
        files = [save_jsonl_judgments(Judgments(qrels, queries), out)]
    elif fmt == "trec":
        side = out.with_suffix(".queries.jsonl")
        side.write_text("".join(json.dumps({"_id": q, "text": t}, ensure_ascii=False) + "\n"
                                for q, t in queries.items()), encoding="utf-8")
        files = [save_trec_qrels(Judgments(qrels, queries), out), side]
    else:
        raise EditRejected(f"unknown format {fmt!r}: jsonl or trec")
    return {"judgments": len(found), "queries": len(queries), "files": [str(f) for f in files]}
