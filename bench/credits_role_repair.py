"""How often the role-title repair rewrites a title printed right but missing from its vocabulary, and how often it
undoes a one-letter misread of a listed title — leave-one-out over the repair vocabulary (dev data only).

A real roll prints titles the vocabulary lacks (a film's own job words). ``lexicon.repair_role`` edits a title the
layout set as a role toward a vocabulary title one letter away, so an unlisted title one letter from a listed one is
rewritten and every name under it is credited to the wrong role — the names all read right, the pairs wrong. This
bench takes each vocabulary title out of the vocabulary in turn and asks whether the repair leaves it as printed
("false repairs"), for single words (two syllables; three or more), the same titles printed with a space, and each
as the odd part of a composite ("촬영·X"); and, with the whole vocabulary, whether a seeded one-vowel misread of
each title is repaired back ("true repairs").

    PYTHONPATH=$PWD python bench/credits_role_repair.py [--ref DIR] [--out FILE]

``--ref DIR`` runs the same measure on another checkout (e.g. ``git archive <commit> | tar -x -C DIR``) in a
subprocess and prints both side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_VOWELS = 21


def _mutate_vowel(title: str, rng: random.Random) -> str:
    k = rng.randrange(len(title))
    index = ord(title[k]) - 0xAC00
    initial, vowel, final = index // 588, index % 588 // 28, index % 28
    other = rng.choice([v for v in range(_VOWELS) if v != vowel])
    return title[:k] + chr(0xAC00 + initial * 588 + other * 28 + final) + title[k + 1:]


def measure() -> dict:
    """The figures for the checkout this process imports ``vidsearch`` from."""
    from vidsearch.credits import lexicon

    full = lexicon._title_vocabulary()
    titles = sorted(t for t in full if lexicon._HANGUL_RUN.fullmatch(t))
    real = lexicon._title_vocabulary
    kinds: dict[str, list[tuple[str, str]]] = {"two_syllables": [], "three_or_more": [], "spaced": [],
                                               "composite_part": []}
    try:
        for title in titles:
            lexicon._title_vocabulary = lambda t=title: full - {t}  # the title is one the vocabulary lacks
            kind = "two_syllables" if len(title) == 2 else "three_or_more"
            kinds[kind].append((title, lexicon.repair_role(title)))
            if len(title) >= 4:
                spaced = f"{title[:2]} {title[2:]}"
                kinds["spaced"].append((spaced, lexicon.repair_role(spaced)))
            composite = f"촬영·{title}"
            kinds["composite_part"].append((composite, lexicon.repair_role(composite)))
    finally:
        lexicon._title_vocabulary = real
    rng = random.Random(18)
    misreads = [(title, _mutate_vowel(title, rng)) for title in titles]
    misreads = [(t, m) for t, m in misreads if m not in full]
    repaired = sum(lexicon.repair_role(m) == t for t, m in misreads)
    result = {"vocabulary": len(full)}
    for kind, pairs in kinds.items():
        wrong = [(printed, out) for printed, out in pairs if out != printed]
        result[f"false_repairs_{kind}"] = {"titles": len(pairs), "rewritten": len(wrong),
                                           "rate": round(len(wrong) / max(len(pairs), 1), 4),
                                           "examples": wrong[:12]}
    result["true_repairs_one_vowel"] = {"misreads": len(misreads), "repaired": repaired,
                                        "rate": round(repaired / max(len(misreads), 1), 4)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", type=Path, default=None, help="another checkout to measure beside this one")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # the --ref subprocess
    args = parser.parse_args()
    here = measure()
    if args.json:
        print(json.dumps(here, ensure_ascii=False))
        return
    runs = {"this checkout": here}
    if args.ref:
        env = {**os.environ, "PYTHONPATH": str(args.ref.resolve())}
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--json"], env=env,
                              cwd=args.ref, capture_output=True, text=True, check=True)
        runs = {f"ref {args.ref}": json.loads(done.stdout), **runs}
    print(f"{'measure':34s}" + "".join(f"{name:>28s}" for name in runs))
    for key in here:
        if key == "vocabulary":
            continue
        cells = []
        for run in runs.values():
            row = run.get(key, {})
            count = row.get("rewritten", row.get("repaired", 0))
            total = row.get("titles", row.get("misreads", 0))
            cells.append(f"{count}/{total} ({row.get('rate', 0):.3f})")
        print(f"{key:34s}" + "".join(f"{c:>28s}" for c in cells))
    for name, run in runs.items():
        for key, row in run.items():
            if key.startswith("false_") and row["examples"]:
                print(f"  {name} {key}: " + ", ".join(f"{a}→{b}" for a, b in row["examples"][:8]))
    if args.out:
        args.out.write_text(json.dumps(runs, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
