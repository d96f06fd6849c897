"""What the script-segment re-read (``ocr.read_mixed_script``) and the dotless-i check change, and what they cost.

Every dev name line (the dev rolls' names, each alone and after its role, one of the four credit fonts in turn,
light on black) is read twice through ``read_crops`` (the pipeline's first read + second look): with both off and
with both on. Printed side by side: lines read exactly, lines that changed (fixed / broken), and the CPU seconds of
the Tesseract children and of this process. Plain black crops: this isolates the reading from locating and pairing.

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python bench/ocr_mixed_script.py [--limit 300]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.credits_rolls import cases  # noqa: E402
from testkit.credits.spec import CreditFont  # noqa: E402
from vidsearch.ocr import reading  # noqa: E402
from vidsearch.ocr.settings import OcrSettings  # noqa: E402
from vidsearch.ocr.tesseract import TesseractEngine  # noqa: E402


def _draw(text: str, font: CreditFont, px: int = 30) -> np.ndarray:
    face = ImageFont.truetype(str(font.path), px)
    image = Image.new("RGB", (int(face.getlength(text)) + px, int(px * 1.8)), (0, 0, 0))
    ImageDraw.Draw(image).text((px // 2, int(px * 1.35)), text, font=face, fill=(255, 255, 255), anchor="ls")
    return np.asarray(image)[:, :, ::-1].copy()


def _cpu() -> tuple[float, float]:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def _read(crops: list[np.ndarray], on: bool) -> tuple[list[str], float]:
    engine = TesseractEngine(OcrSettings(read_mixed_script=on))
    check = reading.dotless_i
    if not on:
        reading.dotless_i = lambda line, image: False
    try:
        start = _cpu()
        texts = [r.line.text for r in reading.read_crops(engine, crops, 40)]
        end = _cpu()
    finally:
        reading.dotless_i = check
    return texts, (end[0] - start[0]) + (end[1] - start[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="read only the first N lines (0: all)")
    args = parser.parse_args()
    lines: list[str] = []
    for case in cases("dev"):
        for entry in case.spec.entries:
            for name in entry.names:
                lines.append(name)
                if entry.role:
                    lines.append(f"{entry.role} {name}")
    lines = sorted(set(lines))
    if args.limit:
        lines = lines[:args.limit]
    fonts = list(CreditFont)
    crops = [_draw(text, fonts[k % len(fonts)]) for k, text in enumerate(lines)]
    started = time.monotonic()
    off, cpu_off = _read(crops, False)
    on, cpu_on = _read(crops, True)
    fixed = [(t, a, b) for t, a, b in zip(lines, off, on) if a != t and b == t]
    broken = [(t, a, b) for t, a, b in zip(lines, off, on) if a == t and b != t]
    print(f"{len(lines)} lines ({time.monotonic() - started:.0f} s wall)")
    print(f"{'':18}{'off':>10}{'on':>10}")
    print(f"{'read exactly':18}{sum(a == t for t, a in zip(lines, off)):>10}{sum(b == t for t, b in zip(lines, on)):>10}")
    print(f"{'CPU-s':18}{cpu_off:>10.1f}{cpu_on:>10.1f}   (ratio on/off {cpu_on / max(1e-6, cpu_off):.3f})")
    print(f"changed: {sum(a != b for a, b in zip(off, on))}, fixed {len(fixed)}, broken {len(broken)}")
    for label, rows in (("fixed", fixed), ("broken", broken)):
        for truth, a, b in rows:
            print(f"  {label}: {truth!r}: {a!r} -> {b!r}")


if __name__ == "__main__":
    main()
