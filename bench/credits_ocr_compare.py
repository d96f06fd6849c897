"""Two sets of `bench/credits_ocr.py` results side by side (e.g. plain kor vs the extended korx model), each set
possibly several partial runs (`--only` chunks) merged by their raw counts.

    python bench/credits_ocr_compare.py --before a1.json a2.json --after b1.json b2.json
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

FIELDS = ("names", "exact", "chars", "edits", "timed", "pairs_right", "found_pairs", "correct_found")


def merged(paths: list[Path]) -> tuple[dict[str, dict[str, int]], float, float]:
    """Counts per group ("layout X", "origin Y", "all") and (CPU-seconds, roll seconds) over every run."""
    groups: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    cpu = roll = 0.0
    for path in paths:
        result = json.loads(path.read_text(encoding="utf-8"))
        for label, rows in (("layout", result["by_case"]), ("origin", result["by_origin"])):
            for name, row in rows.items():
                for key in FIELDS:
                    groups[f"{label} {name}"][key] += row["counts"][key]
                    if label == "layout":
                        groups["all"][key] += row["counts"][key]
        cpu += sum(case["cpu_s"] for case in result["cases"])
        roll += sum(case["roll_s"] for case in result["cases"])
    return groups, cpu, roll


def measures(c: dict[str, int]) -> tuple[float, float, float, float]:
    """exact, CER, pairs, timed (of the names read exactly)."""
    return (c["exact"] / max(c["names"], 1), c["edits"] / max(c["chars"], 1), c["pairs_right"] / max(c["names"], 1),
            c["timed"] / max(c["exact"], 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", nargs="+", type=Path, required=True)
    parser.add_argument("--after", nargs="+", type=Path, required=True)
    args = parser.parse_args()
    (before, cpu_b, roll_b), (after, cpu_a, roll_a) = merged(args.before), merged(args.after)
    print("| group | names | exact before → after (≥ 0.95) | CER (≤ 0.02) | pairs (≥ 0.95) | timed (≥ 0.98) |")
    print("|---|---|---|---|---|---|")
    order = sorted(after, key=lambda k: (not k.startswith("layout"), k == "all", k))
    for group in order:
        b, a = measures(before[group]), measures(after[group])
        print(f"| {group} | {after[group]['names']} | {b[0]:.3f} → {a[0]:.3f} | {b[1]:.3f} → {a[1]:.3f} "
              f"| {b[2]:.3f} → {a[2]:.3f} | {b[3]:.3f} → {a[3]:.3f} |")
    precision_b = before["all"]["correct_found"] / max(before["all"]["found_pairs"], 1)
    precision_a = after["all"]["correct_found"] / max(after["all"]["found_pairs"], 1)
    print(f"\npair precision {precision_b:.3f} → {precision_a:.3f}; CPU-s per roll-s {cpu_b / roll_b:.3f} → "
          f"{cpu_a / roll_a:.3f} (ratio {cpu_a / roll_a / (cpu_b / roll_b):.2f}x on the same rolls)")


if __name__ == "__main__":
    main()
