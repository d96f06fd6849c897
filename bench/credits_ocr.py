"""End-credit OCR benchmark: CER of the lines read, (role, name) pair F1, credit timing, seconds of processing per
minute of credit roll, and batched vs per-line Tesseract — measured side by side in one run.

Every roll (bench/credits_rolls.py) goes through the whole pipeline as ingest runs it: locate the credit section
in the video, read it, lay out the credits. Results go to bench/results/credits_ocr.json.

    nice -n 10 python bench/credits_ocr.py              # all 32 rolls
    nice -n 10 python bench/credits_ocr.py --quick      # 8 rolls covering every layout/motion/background/size
    nice -n 10 python bench/credits_ocr.py --split heldout   # acceptance only: held-out names and job titles
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.credits_rolls import cases, ensure_rendered  # noqa: E402
from vidsearch.config import Settings  # noqa: E402
from vidsearch.credits.pipeline import CreditExtractor  # noqa: E402
from testkit.credits.render import CreditFont  # noqa: E402
from testkit.credits.scoring import RollScore, score_lines, score_pairs  # noqa: E402
from vidsearch.ocr.preprocess import binarize_for_ocr  # noqa: E402
from vidsearch.ocr.tesseract import TesseractEngine  # noqa: E402


def roll_seconds(truth) -> float:
    """How long credits are on screen: from the first line's appearance to the last line's exit."""
    return max(line.last_s for line in truth.lines) - min(line.first_s for line in truth.lines)


def line_images(texts: list[str], height: int = 720) -> list[np.ndarray]:
    """Credit lines as the reader crops them (white on black, then binarised), for the Tesseract comparison."""
    out = []
    for i, text in enumerate(texts):
        font = ImageFont.truetype(str((CreditFont.GOTHIC, CreditFont.MYEONGJO)[i % 2].path), round(0.045 * height))
        width = int(font.getlength(text)) + 40
        image = Image.new("RGB", (width, round(0.09 * height)))
        ImageDraw.Draw(image).text((20, round(0.07 * height)), text, font=font, fill=(255, 255, 255), anchor="ls")
        out.append(binarize_for_ocr(np.asarray(image)[:, :, ::-1].copy()))
    return out


def tesseract_batching(texts: list[str]) -> dict:
    images = line_images(texts)
    batched, per_line = TesseractEngine(), TesseractEngine(batched=False)
    started = time.perf_counter()
    a = batched.read_lines(images)
    batched_s = time.perf_counter() - started
    started = time.perf_counter()
    b = per_line.read_lines(images)
    per_line_s = time.perf_counter() - started
    return {"lines": len(images), "batched_s": round(batched_s, 3), "per_line_s": round(per_line_s, 3),
            "per_line_over_batched": round(per_line_s / batched_s, 2),
            "ms_per_line_batched": round(1000 * batched_s / len(images), 1),
            "ms_per_line_per_line": round(1000 * per_line_s / len(images), 1),
            "same_text": sum(x.text == y.text for x, y in zip(a, b)), }


def summary(score: RollScore) -> dict:
    by_lang = {f"cer_{lang}": round(cer, 4) for lang in ("ko", "en") if (cer := score.cer_of(lang)) is not None}
    return {"cer": round(score.cer, 4), **by_lang, "cer_nospace": round(score.cer_nospace, 4),
            "pair_f1": round(score.f1, 4),
            "pair_precision": round(score.precision, 4), "pair_recall": round(score.recall, 4),
            "pairs": score.true_pairs, "lines": score.lines, "lines_missed": score.lines_missed,
            "extra_lines": score.extra_lines,
            "timed_share": round(score.timed_pairs / score.correct_pairs, 4) if score.correct_pairs else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/vidsearch-credit-rolls"))
    parser.add_argument("--split", choices=("dev", "heldout"), default="dev")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--errors", action="store_true", help="print every misread line and wrong pair")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=args.work / "data", log_level="WARNING")
    extractor = CreditExtractor.from_settings(settings)

    total = RollScore()
    groups: dict[str, RollScore] = defaultdict(RollScore)
    rows = []
    processing_s = credit_s = 0.0
    stage_seconds: dict[str, float] = defaultdict(float)
    all_texts: list[str] = []
    for case in cases(args.split, args.quick):
        video, truth = ensure_rendered(case, args.work)
        started = time.perf_counter()
        reading = extractor.extract(video)
        elapsed = time.perf_counter() - started
        score = score_lines(truth, reading.text)
        score.add(score_pairs(truth, [(c.role_text, n, c.time) for c in reading.lines for n in c.names]))
        total.add(score)
        for key, value in case.tags().items():
            groups[f"{key}={value}"].add(score)
        for key, value in reading.seconds.items():
            stage_seconds[key] += value
        seconds_on_screen = roll_seconds(truth)
        processing_s += elapsed
        credit_s += seconds_on_screen
        all_texts.extend(line.text for line in truth.lines)
        row = {"case": case.name, **case.tags(), **summary(score), "seconds": round(elapsed, 2),
               "credit_seconds": round(seconds_on_screen, 2), "video_seconds": truth.duration_s,
               "sections": [[s.start_s, s.end_s] for s in reading.sections], "unreadable": len(reading.unreadable)}
        rows.append(row)
        print(f"{case.name:50s} CER {score.cer:6.2%} F1 {score.f1:.3f} ({score.correct_pairs}/{score.true_pairs}, "
              f"found {score.found_pairs}) {elapsed:5.1f} s", flush=True)
        if args.errors:
            for error in score.errors:
                print("    ", error)

    batching = tesseract_batching(all_texts[:80])
    result = {
        "split": args.split, "rolls": len(rows), **summary(total),
        "seconds_per_credit_minute": round(60 * processing_s / credit_s, 2),
        "processing_s": round(processing_s, 1), "credit_s": round(credit_s, 1),
        "stage_seconds": {k: round(v, 1) for k, v in sorted(stage_seconds.items())},
        "tesseract_batching": batching,
        "by_group": {k: summary(v) for k, v in sorted(groups.items())},
        "cases": rows,
        "machine": {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2),
                    "python": platform.python_version()},
    }
    out = args.out or REPO / "bench" / "results" / f"credits_ocr{'_heldout' if args.split == 'heldout' else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nrolls {len(rows)}  CER {total.cer:.2%} (Korean-role lines {total.cer_of('ko') or 0:.2%}, English-role "
          f"lines {total.cer_of('en') or 0:.2%}; no spaces {total.cer_nospace:.2%})  pair F1 {total.f1:.3f} "
          f"(P {total.precision:.3f} R {total.recall:.3f})  timed {summary(total)['timed_share']:.1%}")
    print(f"processing {60 * processing_s / credit_s:.1f} s per minute of credit roll "
          f"({processing_s:.0f} s for {credit_s:.0f} s of credits); stages: {result['stage_seconds']}")
    print(f"tesseract per-line / batched: {batching['per_line_over_batched']}x "
          f"({batching['ms_per_line_per_line']} vs {batching['ms_per_line_batched']} ms per line, "
          f"{batching['lines']} lines, identical text {batching['same_text']}/{batching['lines']})")
    for key, value in result["by_group"].items():
        print(f"  {key:28s} CER {value['cer']:6.2%} (ko {value.get('cer_ko', 0):6.2%}, en "
              f"{value.get('cer_en', 0):6.2%})  F1 {value['pair_f1']:.3f}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
