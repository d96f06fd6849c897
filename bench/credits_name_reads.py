"""How often the reading path misreads one syllable or letter of a name — names drawn from dev data, rendered
as single roll lines by the testkit renderer and read by the pipeline's own path (looks, Tesseract, votes).

Every remaining dev name error is one syllable misread, mostly a lost stroke (홍요섭 → 옹요섭,
처치랜드 → 저치랜드, 섀드웰 → 새드웰, Symington → Svinington). This bench draws names of each origin (native Korean
from the drama list, Hangul-written foreign and Latin from the dev transliteration pairs, companies) from the
part of the dev name data held out of any name model (``held_out``: a stable hash of the name, one in four),
renders each line with the testkit's fonts, backgrounds (black, light, moving colour) and text sizes down to 0.022 of a 720-line frame, takes
``--sightings`` crops of it as a roll's passage would (the picture moved on, the line shifted by a fraction of a
pixel, softened and JPEG-compressed each on its own, as a decoded broadcast frame is), and reads them with
``reading.read_sightings`` (second looks, votes).

    PYTHONPATH=$PWD python bench/credits_name_reads.py [--names 60] [--seed 21] [--out FILE] [--errors]

Reported per origin: names read exactly (spaces aside), CER, and every name the vote changed from the first
binarised read — right (to the print) or false (from the print to a misread). A read that does not reach the
print from its first look is what a later lever (more looks, a ranking of alternatives) has to find.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEV = REPO.parent / "shared" / "eval" / "dev" / "credits"
SIZES = (0.022, 0.026, 0.03, 0.035, 0.045)
BACKGROUNDS = ("black", "light", "moving_colour")
HELD_OUT = 4  # one name in this many is held out of any name model and drawn here


def held_out(name: str) -> bool:
    """A stable split of the dev names: True for the bench's share, never for a model's."""
    return int(hashlib.sha1(name.encode("utf-8")).hexdigest(), 16) % HELD_OUT == 0


@dataclass(frozen=True)
class Case:
    name: str
    origin: str
    font: str
    size: float
    background: str
    blur: float
    quality: int


def draw_names(count: int, seed: int) -> list[tuple[str, str]]:
    """``count`` held-out names of each origin, seeded."""
    from testkit.credits.sample import LATIN_COMPANIES, load_sources, load_transliterations

    sources = load_sources(DEV / "kdrama_wiki_db" / "kdrama_name_role_flat.tsv",
                           DEV / "ebu_role_taxonomy" / "ebu_RoleCodeCS_flat.tsv")
    pairs = load_transliterations(DEV / "muik_en_ko_transliteration" / "pairs.tsv")
    rng = np.random.default_rng(seed)

    def pick(pool: list[str]) -> list[str]:
        pool = sorted(set(n for n in pool if held_out(n) and "\n" not in n))
        return [pool[i] for i in rng.choice(len(pool), min(count, len(pool)), replace=False)]

    foreign = [pairs.name(rng) for _ in range(count * 40)]
    companies = list(sources.companies) + list(LATIN_COMPANIES)
    return ([(n, "korean") for n in pick(list(sources.names))]
            + [(n, "foreign_hangul") for n in pick([h for _, h in foreign])]
            + [(n, "latin") for n in pick([latin for latin, _ in foreign])]
            + [(n, "company") for n in pick(companies)])


def cases(count: int, seed: int) -> list[Case]:
    from testkit.credits.spec import CreditFont

    rng = np.random.default_rng(seed + 1)
    fonts = list(CreditFont)
    return [Case(name, origin, fonts[int(rng.integers(len(fonts)))].name, float(rng.choice(SIZES)),
                 str(rng.choice(BACKGROUNDS)), float(rng.uniform(0.3, 0.9)), int(rng.integers(30, 75)))
            for name, origin in draw_names(count, seed)]


def sightings(case: Case, count: int, seed: int) -> list[np.ndarray]:
    """``count`` crops of the line as the cropper cuts them (x padding 0.8, y padding 0.5 of its ink height),
    each from a frame of its own: the picture moved on, a sub-pixel shift, softened and JPEG-compressed."""
    from testkit.credits.backgrounds import _Background, _compose
    from testkit.credits.render import _draw, _Fonts, _Piece, _Row
    from testkit.credits.spec import CreditBackground, CreditFont, CreditRollSpec

    spec = CreditRollSpec(entries=[{"role": "", "names": (case.name,)}], font=CreditFont[case.font].path,
                          text_size=case.size, background=CreditBackground(case.background), seed=seed)
    fonts = _Fonts(spec)
    band = 4 * fonts.name_px
    row = _Row([_Piece(case.name, spec.width / 2, "ms", False)], case.name, None, (case.name,), "names", 0,
               fonts.name_px)
    canvas = _draw(spec, fonts, [row], [band * 0.65], band)
    rows = np.flatnonzero(canvas.alpha.max(axis=1) > 60)
    cols = np.flatnonzero(canvas.alpha.max(axis=0) > 60)
    height = int(rows[-1] - rows[0] + 1)
    rng = np.random.default_rng(seed)
    background = _Background(spec)
    top = spec.height // 2 - band // 2
    out = []
    for k in range(count):
        frame = background.frame(1.0 + 0.4 * k)
        strip = _compose(frame[top:top + band], canvas, 0, band)
        shift = np.float32([[1, 0, rng.uniform(-0.5, 0.5)], [0, 1, rng.uniform(-0.5, 0.5)]])
        strip = cv2.warpAffine(strip, shift, (strip.shape[1], band), borderMode=cv2.BORDER_REPLICATE)
        strip = cv2.GaussianBlur(strip, (0, 0), case.blur)
        ok, data = cv2.imencode(".jpg", strip, [cv2.IMWRITE_JPEG_QUALITY, case.quality])
        strip = cv2.imdecode(data, cv2.IMREAD_COLOR)
        x0, x1 = max(0, int(cols[0] - 0.8 * height)), int(cols[-1] + 0.8 * height)
        y0, y1 = max(0, int(rows[0] - 0.5 * height)), int(rows[-1] + 0.5 * height)
        out.append(strip[y0:y1, x0:x1].copy())
    return out


def cer(read: str, truth: str) -> tuple[int, int]:
    from testkit.credits.namescore import name_form

    from vidsearch.credits.cleanup import edit_distance

    a, b = name_form(read).replace(" ", ""), name_form(truth).replace(" ", "")
    return edit_distance(a, b), len(b)


def same(read: str, truth: str) -> bool:
    return cer(read, truth)[0] == 0


def run(args: argparse.Namespace) -> dict:
    from vidsearch.ocr.reading import read_sightings
    from vidsearch.ocr.tesseract import TesseractEngine

    drawn = cases(args.names, args.seed)
    crops = [sightings(c, args.sightings, args.seed + i) for i, c in enumerate(drawn)]
    started = time.process_time(), time.time()
    reads = read_sightings(TesseractEngine(), crops, args.line_height)
    rows, summary = [], {}
    for case, (line, _) in zip(drawn, reads):
        first = line.readings[0] if line.readings else line.text
        edits, length = cer(line.text, case.name)
        rows.append({**case.__dict__, "read": line.text, "first": first, "readings": list(line.readings)})
        for key in (case.origin, "all"):
            s = summary.setdefault(key, {"names": 0, "exact": 0, "edits": 0, "chars": 0, "right_rewrites": 0,
                                         "false_rewrites": 0})
            s["names"] += 1
            s["exact"] += edits == 0
            s["edits"] += edits
            s["chars"] += length
            if not same(first, line.text):
                s["right_rewrites"] += same(line.text, case.name) and not same(first, case.name)
                s["false_rewrites"] += same(first, case.name) and not same(line.text, case.name)
    for s in summary.values():
        s["exact_share"] = round(s["exact"] / s["names"], 3)
        s["cer"] = round(s["edits"] / max(1, s["chars"]), 4)
    return {"summary": summary, "rows": rows, "line_height": args.line_height,
            "cpu_s": round(time.process_time() - started[0], 1), "wall_s": round(time.time() - started[1], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--names", type=int, default=60, help="names drawn per origin")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--sightings", type=int, default=3, help="crops per line (1: a still card's one read)")
    parser.add_argument("--line-height", type=int, default=40, help="text height the crops are scaled to")
    parser.add_argument("--errors", action="store_true", help="print every misread and rewrite")
    parser.add_argument("--out", type=Path, help="write the figures and every read as JSON")
    args = parser.parse_args()
    result = run(args)
    print(f"{'origin':16} {'names':>5} {'exact':>6} {'CER':>7} {'right':>5} {'false':>5}   (rewrites by the vote)")
    for origin, s in result["summary"].items():
        print(f"{origin:16} {s['names']:5d} {s['exact_share']:6.3f} {s['cer']:7.4f} {s['right_rewrites']:5d} "
              f"{s['false_rewrites']:5d}")
    print(f"wall {result['wall_s']} s")
    if args.errors:
        for row in result["rows"]:
            if not same(row["read"], row["name"]) or not same(row["read"], row["first"]):
                print(f"  {row['name']!r:24} read {row['read']!r:24} first {row['first']!r:20} {row['font']:13} "
                      f"{row['size']} {row['background']:13} blur {row['blur']:.2f} q{row['quality']} "
                      f"{row['readings']}")
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
