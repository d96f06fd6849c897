"""Role mapping: the base encoder against the trained mapper on role titles held out of training, Korean and
English separately, and how fast role texts are mapped.

    .venv/bin/python bench/credits_roles.py                           # dev split: train (seeded), measure, time
    .venv/bin/python bench/credits_roles.py --model-dir DIR           # measure a model `credits train` saved
    .venv/bin/python bench/credits_roles.py --split heldout [--model-dir DIR]   # acceptance data, report only
    .venv/bin/python bench/credits_roles.py --split heldout --untrained         # what a fresh install maps with

Dev protocols, each on titles the encoder never trained on (a seeded quarter of the authored titles per language):
  in taxonomy, one OCR error  every held-out title with exactly one OCR-style corruption, the clean title indexed
                              (what a credit roll with a misread glyph gives)                      ← the issue's target
  in taxonomy, expected OCR   the same titles at Tesseract's measured character error rate (2.9%, ENVIRONMENT.md):
                              the expectation over clean reads and one-error reads
  not in taxonomy             the title is absent from the index as well: a synonym the taxonomy lacks (hardest)

``--split heldout`` reads ../shared/eval/heldout/credits (Naver movie staff job titles, one SBS credit block, a
Cine21 KO↔EN crew glossary) and only reports: gold codes are annotations kept as hashes in
bench/credits_roles_heldout_gold.tsv; glossary gold comes from the English side's exact taxonomy label. Nothing
here feeds training, thresholds or tests. Writes bench/results/credits_roles_<split>.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from vidsearch.config import Settings  # noqa: E402
from vidsearch.credits.roles.dataset import split_titles  # noqa: E402
from vidsearch.credits.roles.encoders import base_encoder  # noqa: E402
from vidsearch.credits.roles.evaluation import gold_ranks, ranking_metrics  # noqa: E402
from vidsearch.credits.roles.mapper import RoleMapper, read_manifest  # noqa: E402
from vidsearch.credits.roles.recipe import (  # noqa: E402
    NOISY_EVAL_FORMS,
    evaluate_role_model,
    fit_role_model,
    heldout_items,
    load_role_mapper,
    load_role_taxonomy,
)
from vidsearch.credits.roles.sources import shared_eval_dir  # noqa: E402
from vidsearch.credits.roles.text import compact_key, language_of, normalise_role_text  # noqa: E402
from vidsearch.credits.roles.training import TrainingConfig  # noqa: E402
from vidsearch.credits.roles.variants import noisy_variants  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
GOLD = Path(__file__).resolve().parent / "credits_roles_heldout_gold.tsv"
TESSERACT_CER = 0.029


def expected_ocr_top1(mapper: RoleMapper, split, cer: float) -> dict[str, float]:
    """Top-1 expected at a per-character error rate: P(clean read)·right(clean) + P(misread)·right(one error)."""
    texts, codes, noisy, noisy_codes = heldout_items(split)
    clean_right = gold_ranks(mapper, texts, codes) == 1
    # a title has up to NOISY_EVAL_FORMS distinct one-error forms (fewer for very short titles)
    counts = [len(noisy_variants(t.text, NOISY_EVAL_FORMS, split.seed + 1, second_chance=0.0)) for t in split.eval]
    owner = np.repeat(np.arange(len(texts)), counts)
    noisy_hits = np.bincount(owner, gold_ranks(mapper, noisy, noisy_codes) == 1, minlength=len(texts))
    counts_array = np.asarray(counts, dtype=float)
    noisy_right = np.where(counts_array > 0, noisy_hits / np.maximum(counts_array, 1), clean_right)
    p_error = 1 - (1 - cer) ** np.asarray([len(compact_key(t)) for t in texts])
    expected = (1 - p_error) * clean_right + p_error * noisy_right
    langs = np.asarray([language_of(t) for t in texts])
    return {lang: float(expected[langs == lang].mean()) for lang in ("ko", "en")} | {"all": float(expected.mean())}


def speed(mapper: RoleMapper, encoder_config: dict, titles: list[str]) -> dict[str, float]:
    """Role texts per second on strings no encoder has cached: the base engine alone, the mapper in batches of
    64, and the mapper one line at a time (as a caller mapping each OCR line separately would)."""
    fresh = [v for t in titles for v in noisy_variants(t, 1, seed=4242)][:600]
    raw = base_encoder(encoder_config["backend"], encoder_config.get("model"), finetune=False)
    start = time.perf_counter()
    raw.encode(fresh[:200])
    base_rate = 200 / (time.perf_counter() - start)
    batch = fresh[200:456]
    start = time.perf_counter()
    for i in range(0, len(batch), 64):
        mapper.map(batch[i:i + 64])
    batched_rate = len(batch) / (time.perf_counter() - start)
    single = fresh[456:556]
    start = time.perf_counter()
    for text in single:
        mapper.map([text])
    single_rate = len(single) / (time.perf_counter() - start)
    return {"base_encoder_texts_per_s": round(base_rate, 1), "mapper_batched_texts_per_s": round(batched_rate, 1),
            "mapper_one_at_a_time_texts_per_s": round(single_rate, 1),
            "batched_over_one_at_a_time": round(batched_rate / single_rate, 2)}


def trained_model(settings: Settings, folder: Path | None, config: TrainingConfig, eval_fraction: float) -> Path:
    """``folder`` if it holds a model, else a model trained (on dev data only) into it or a temp folder."""
    if folder is None or not (folder / "role_model.json").is_file():
        folder = folder or Path(tempfile.mkdtemp(prefix="roles-"))
        print(f"training on dev titles into {folder} ...", flush=True)
        fit_role_model(settings, config, eval_fraction, folder)
    return folder


def dev(settings: Settings, folder: Path) -> dict:
    taxonomy = load_role_taxonomy(settings.credits)
    result = evaluate_role_model(settings, folder, with_base=True)
    manifest = read_manifest(folder)
    split = split_titles(taxonomy, manifest["split"]["eval_fraction"], manifest["split"]["seed"])
    trained = RoleMapper.load(folder, taxonomy)
    base = RoleMapper(taxonomy, base_encoder(manifest["encoder"]["backend"], manifest["encoder"].get("model"),
                                             finetune=False))
    rows = {}
    for name, metrics, mapper in (("base", result.base, base), ("trained", result.trained, trained)):
        rows[name] = {"in_taxonomy_one_ocr_error": metrics.indexed_noisy, "not_in_taxonomy": metrics.unindexed_clean,
                      "not_in_taxonomy_one_ocr_error": metrics.unindexed_noisy}
        rows[name]["in_taxonomy_expected_ocr"] = expected_ocr_top1(mapper, split, TESSERACT_CER)
    fit = manifest.get("result", {})
    return {"model": str(folder), "encoder": trained.encoder.identity, "held_out_titles": result.eval_titles,
            "rows": rows, "threshold": trained.threshold, "calibration": fit.get("calibration"),
            "unknown_on_held_out_titles": fit.get("unknown_on_eval_titles"),
            "unknown_on_other_non_role_lines": fit.get("unknown_on_non_roles"),
            "speed": speed(trained, manifest["encoder"], [t.text for t in taxonomy.titles]),
            "training": manifest.get("training")}


def _print_dev(report: dict) -> None:
    def cell(m) -> str:
        return f"{m['top1']:.3f}" if isinstance(m, dict) else f"{m.top1:.3f}"

    print(f"\nrole mapping on {report['held_out_titles']} held-out titles ({report['encoder']})")
    print(f"{'protocol':34} {'base ko':>8} {'base en':>8} {'trained ko':>11} {'trained en':>11} {'ratio ko':>9} "
          f"{'ratio en':>9}")
    for protocol in ("in_taxonomy_one_ocr_error", "in_taxonomy_expected_ocr", "not_in_taxonomy",
                     "not_in_taxonomy_one_ocr_error"):
        base, trained = report["rows"]["base"][protocol], report["rows"]["trained"][protocol]
        values = []
        for side in (base, trained):
            for lang in ("ko", "en"):
                m = side[lang]
                values.append(m if isinstance(m, float) else m.top1)
        ratios = [values[2] / values[0], values[3] / values[1]]
        print(f"{protocol:34} {values[0]:8.3f} {values[1]:8.3f} {values[2]:11.3f} {values[3]:11.3f} "
              f"{ratios[0]:9.2f} {ratios[1]:9.2f}")
    print("\ntrained mapper, top-1 / top-5 / MRR (n)")
    for protocol in ("in_taxonomy_one_ocr_error", "not_in_taxonomy", "not_in_taxonomy_one_ocr_error"):
        side = report["rows"]["trained"][protocol]
        print(f"{protocol:34}", "  ".join(
            f"{lang} {m.top1:.3f} / {m.top5:.3f} / {m.mrr:.3f} (n={m.count})"
            for lang, m in ((lang, side[lang]) for lang in ("ko", "en"))))
    print("unknown-role:", report["calibration"], f"other non-role lines rejected "
          f"{report['unknown_on_other_non_role_lines']}")
    print("speed:", report["speed"])


# -- heldout (acceptance) ------------------------------------------------------------------------------------------
def _hash(source: str, text: str) -> str:
    return hashlib.sha256(f"{source}\x1f{compact_key(text)}".encode()).hexdigest()[:16]


def read_heldout(root: Path) -> list[tuple[str, str, int]]:
    """(source, role text, occurrences) from the three heldout credit files."""
    items: dict[tuple[str, str], int] = {}
    staff = root / "naver_movie_scraper" / "staff_flat.tsv"
    for line in staff.read_text(encoding="utf-8").splitlines()[1:]:
        role = line.split("\t")[-1].strip()
        if role:
            items[("naver", role)] = items.get(("naver", role), 0) + 1
    samples = root / "korean_broadcast_credit_samples"
    for line in (samples / "sbs_mmtg_ep222-1_youtube_description.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "/" not in line:
            continue
        for entry in re.split(r"\s{2,}", line.strip()):
            for role in map(normalise_role_text, entry.split("/", 1)[0].split("·")):
                if role:
                    items[("sbs", role)] = items.get(("sbs", role), 0) + 1
    for line in (samples / "cine21_dp_system_glossary_excerpt.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or " / " not in line:
            continue
        korean, rest = line.split(" / ", 1)
        english, _, gloss = rest.partition(" — ")
        items[("glossary-ko", korean.strip())] = 1
        for term in english.split(","):
            items[("glossary-en:" + english.split(",")[-1].strip(), term.strip())] = 1
        for quoted in re.findall(r"'([^']+)'", gloss):
            items[("glossary-gloss:" + english.split(",")[-1].strip(), quoted)] = 1
    return [(source, text, count) for (source, text), count in items.items()]


def heldout(settings: Settings, folder: Path | None) -> dict:
    """``folder`` None: the mapper the credit stage uses when no model was trained (base encoder + characters)."""
    taxonomy = load_role_taxonomy(settings.credits)
    mapper = RoleMapper.load(folder, taxonomy) if folder is not None else load_role_mapper(settings)
    gold: dict[str, set[str]] = {}
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, codes = line.split("\t")[:2]
            gold[key] = set(codes.split("|")) - {"-"}
    labels = {compact_key(alias): c.code for c in taxonomy.concepts for alias in c.aliases}
    known_titles = {t.key for t in taxonomy.titles} | set(labels)
    records = []
    for source, text, count in read_heldout(shared_eval_dir(settings.credits.eval_dir) / "heldout" / "credits"):
        if source.startswith("glossary-") and source != "glossary-ko":
            english_side = source.split(":", 1)[1]
            codes = {labels[compact_key(english_side)]} if compact_key(english_side) in labels else set()
        else:
            codes = gold.get(_hash(source.split(":")[0], text))
        if codes is None:
            print(f"no gold for a {source} item; skipped", file=sys.stderr)
            continue
        records.append({"source": source.split(":")[0], "text": text, "count": count, "gold": sorted(codes),
                        "in_taxonomy": compact_key(text) in known_titles})
    mappings = mapper.map([r["text"] for r in records], top_k=5)
    for record, mapping in zip(records, mappings, strict=True):
        concept_codes = [set(taxonomy.concept_of(m.code).codes) for m in mapping.matches]
        gold_codes = set(record["gold"])
        rank = next((i + 1 for i, codes in enumerate(concept_codes) if codes & gold_codes), None)
        record.update(rank=rank, predicted=mapping.matches[0].code, score=mapping.matches[0].score,
                      unknown=mapping.unknown)
    scored = [r for r in records if r["gold"]]

    def table(rows: list[dict]) -> dict:
        out = {}
        for lang in ("ko", "en"):
            ranks = [r["rank"] or np.inf for r in rows if language_of(r["text"]) == lang]
            out[lang] = ranking_metrics(np.asarray(ranks, dtype=float)).model_dump()
        out["all"] = ranking_metrics(np.asarray([r["rank"] or np.inf for r in rows], dtype=float)).model_dump()
        return out

    return {"model": str(folder or "untrained"), "encoder": mapper.encoder.identity, "items": records,
            "all": table(scored), "titles_in_taxonomy": table([r for r in scored if r["in_taxonomy"]]),
            "titles_not_in_taxonomy": table([r for r in scored if not r["in_taxonomy"]]),
            "no_ebu_role": [(r["text"], r["predicted"], r["unknown"]) for r in records if not r["gold"]]}


def _print_heldout(report: dict) -> None:
    print(f"\nheldout role titles ({report['encoder']})")
    for name in ("all", "titles_in_taxonomy", "titles_not_in_taxonomy"):
        print(f"  {name:24}", "  ".join(f"{lang} top-1 {m['top1']:.3f} top-5 {m['top5']:.3f} MRR {m['mrr']:.3f} "
                                        f"(n={m['count']})" for lang, m in report[name].items()))
    for r in report["items"]:
        mark = "ok " if r["rank"] == 1 else ("—  " if not r["gold"] else "BAD")
        print(f"  {mark} {r['source']:14} {r['text']!r:26} gold {','.join(r['gold']) or '(no EBU role)':14} "
              f"got {r['predicted']:8} {r['score']:.3f}{' unknown' if r['unknown'] else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["dev", "heldout"], default="dev")
    parser.add_argument("--model-dir", type=Path, help="a saved model (trained into it first if empty)")
    parser.add_argument("--epochs", type=int, default=TrainingConfig().epochs)
    parser.add_argument("--eval-fraction", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--untrained", action="store_true",
                        help="with --split heldout: the untrained base encoder + character channel (no training)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="roles-bench-")))
    config = TrainingConfig(epochs=args.epochs, seed=args.seed)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.untrained and args.split == "heldout":
        report = heldout(settings, None)
        _print_heldout(report)
        out = RESULTS / "credits_roles_heldout_untrained.json"
        out.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        print(f"wrote {out}")
        return
    folder = trained_model(settings, args.model_dir, config, args.eval_fraction)
    if args.split == "dev":
        report = dev(settings, folder)
        _print_dev(report)
    else:
        report = heldout(settings, folder)
        _print_heldout(report)
    out = RESULTS / f"credits_roles_{args.split}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=lambda o: o.model_dump()
                              if hasattr(o, "model_dump") else str(o)), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
