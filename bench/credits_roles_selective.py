"""Role codes that abstain: calibrate the assigner's (score, margin) thresholds on dev so that the codes it gives
are right >= 0.97 of the time, and report that selective accuracy and the coverage on a disjoint half.

Dev items (all from the taxonomy's authored titles and the shared dev lists, never heldout):
  unindexed  — titles held out of the index (a synonym the taxonomy lacks), gold = their code
  noisy      — every title with one OCR-style corruption, against the full index
  composite  — two titles joined as rolls print them ("조연출·편집"), gold = both codes
  drama      — role strings of the drama database that name a taxonomy title
  non_role   — names, phrases and shipped non-role lines (any code is wrong), and the ambiguous titles

    nice -n 10 python bench/credits_roles_selective.py            # writes bench/results/credits_roles_selective.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from vidsearch.config import Settings  # noqa: E402
from vidsearch.credits.roles import load_role_mapper, sources  # noqa: E402
from vidsearch.credits.roles.assign import (  # noqa: E402
    AMBIGUOUS_TITLES,
    calibrate_selective,
    evaluate_selective,
    selective_outcomes,
)
from vidsearch.credits.roles.dataset import LabelledTexts, index_texts, labelled_strings, split_titles  # noqa: E402
from vidsearch.credits.roles.mapper import RoleIndex, RoleMapper  # noqa: E402
from vidsearch.credits.roles.recipe import load_corpus  # noqa: E402
from vidsearch.credits.roles.variants import noisy_variants  # noqa: E402

TARGET = 0.97


def unindexed_mapper(full: RoleMapper, train) -> RoleMapper:
    """The production index without the held-out titles (rows selected, nothing re-encoded)."""
    wanted = index_texts(full.taxonomy, train)
    allowed = set(zip(wanted.texts, wanted.concepts.tolist(), strict=True))
    index = full.index
    rows = [i for i, (t, c) in enumerate(zip(index.texts, index.concepts.tolist(), strict=True)) if (t, c) in allowed]
    subset = RoleIndex(LabelledTexts([index.texts[i] for i in rows], index.concepts[rows]), index.vectors[rows])
    return RoleMapper(full.taxonomy, full.encoder, train, full.threshold, subset)


def items(settings: Settings, full: RoleMapper, seed: int) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    taxonomy = full.taxonomy
    split = split_titles(taxonomy, 0.25, seed)
    rng = random.Random(seed)
    groups: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    groups["unindexed"] = [(t.text, (t.code,)) for t in split.eval]
    groups["noisy"] = [(form, (t.code,)) for t in taxonomy.titles for form in noisy_variants(t.text, 1, seed)]
    by_lang = {lang: [t for t in taxonomy.titles if t.lang == lang and t.code != "" and "." in t.code]
               for lang in ("ko", "en")}
    composite = []
    for _ in range(150):
        lang = rng.choice(("ko", "ko", "en"))
        a, b = rng.sample(by_lang[lang], 2)
        if a.code == b.code:
            continue
        joiner = rng.choice(("·", "/", " / ", ", ") if lang == "ko" else (" / ", " & ", ", "))
        composite.append((f"{a.text}{joiner}{b.text}", (a.code, b.code)))
    groups["composite"] = composite
    known = {t.text: t.code for t in taxonomy.titles}
    eval_dir = sources.shared_eval_dir(settings.credits.eval_dir)
    drama = labelled_strings(taxonomy, sources.kdrama_role_strings(eval_dir / sources.KDRAMA_RELATIVE))
    groups["drama"] = [(text, (known[text],)) for text in drama if text in known]
    corpus = load_corpus(settings, taxonomy, seed)
    negatives = corpus.calibration_negatives + corpus.report_negatives
    groups["non_role"] = [(t, ()) for t in negatives] + [(t, ()) for t in AMBIGUOUS_TITLES]
    return groups


def half(text: str) -> int:
    return int(hashlib.sha1(text.encode()).hexdigest(), 16) % 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "credits_roles_selective.json")
    args = parser.parse_args()
    settings = Settings(data_dir=Path("/tmp/vidsearch-roles-selective"), log_level="WARNING")
    started = time.perf_counter()
    full = load_role_mapper(settings)
    loaded = time.perf_counter() - started
    split = split_titles(full.taxonomy, 0.25, args.seed)
    unindexed = unindexed_mapper(full, split.train)
    groups = items(settings, full, args.seed)
    outcomes: dict[str, list[tuple[float, float, bool]]] = {}
    for name, rows in groups.items():
        outcomes[name] = selective_outcomes(unindexed if name == "unindexed" else full, rows)
    flat = [(name, text, gold, outcome) for name, rows in groups.items()
            for (text, gold), outcome in zip(rows, outcomes[name], strict=True)]
    calib = [(o, bool(g)) for _, t, g, o in flat if half(t) == 0]
    report = [(o, bool(g)) for _, t, g, o in flat if half(t) == 1]
    chosen = calibrate_selective([o for o, _ in calib], [g for _, g in calib], TARGET)
    measured = evaluate_selective([o for o, _ in report], [g for _, g in report], chosen.min_score, chosen.min_margin)
    per_group = {}
    for name in groups:
        rows = [(o, bool(g)) for n, t, g, o in flat if n == name and half(t) == 1]
        result = evaluate_selective([o for o, _ in rows], [g for _, g in rows], chosen.min_score, chosen.min_margin)
        per_group[name] = {"items": len(rows), "mapped": result.mapped, "selective_accuracy": round(result.accuracy, 4),
                           "coverage": round(result.coverage, 4)}
    unthresholded = evaluate_selective([o for o, _ in report], [g for _, g in report], -1.0, 0.0)
    result = {
        "target": TARGET, "encoder": full.encoder.identity, "load_s": round(loaded, 1),
        "thresholds": {"role_min_confidence": chosen.min_score, "role_min_margin": chosen.min_margin},
        "calibration_half": {"selective_accuracy": round(chosen.accuracy, 4), "coverage": round(chosen.coverage, 4),
                             "items": chosen.items},
        "report_half": {"selective_accuracy": round(measured.accuracy, 4), "coverage": round(measured.coverage, 4),
                        "items": measured.items, "mapped": measured.mapped},
        "report_half_without_abstention": {"accuracy": round(unthresholded.accuracy, 4)},
        "by_group": per_group,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"thresholds: score >= {chosen.min_score:.4f}, margin >= {chosen.min_margin}  (calibrated on "
          f"{chosen.items} dev items)")
    print(f"report half: selective accuracy {measured.accuracy:.3f} (target >= {TARGET}), coverage "
          f"{measured.coverage:.3f}; without abstention every item is mapped and {unthresholded.accuracy:.3f} right")
    for name, row in per_group.items():
        print(f"  {name:10s} items {row['items']:4d}  mapped {row['mapped']:4d}  selective accuracy "
              f"{row['selective_accuracy']:.3f}  coverage {row['coverage']:.3f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
