"""Credit rolls drawn at random over every knob the renderer has, to find the assumptions the pipeline shares with
the fixed dev layouts of bench/credits_ocr.py.

Each roll picks, from its seed: a layout family's layout and motion, the font (4 Nanum faces, the role maybe in
another), sizes, line spacing, gaps between credits, names per row and their separator, role colour (same as the
names, dimmer, or yellow), background, card length and fade, scroll speed, and credits of every name origin under
dev role titles (drama list, film crew titles, or English). Prints each roll's names read exactly and pairs right,
its knobs, and every error; then the totals per knob value, so a value that breaks the pipeline stands out.

    nice -n 10 python bench/credits_fuzz.py --family cards --rolls 12
    nice -n 10 python bench/credits_fuzz.py --family heading --rolls 12 --seed 100

Dev data only (``../shared/eval/dev``). A figure here is a search for failures, not an acceptance measure.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.corpus import shared_eval  # noqa: E402
from bench.credits_rolls import RollCase, ensure_rendered, sources  # noqa: E402
from testkit.credits.namescore import NameScore, ReadCredit, score_names  # noqa: E402
from testkit.credits.sample import FILM_CREW_ROLES, load_transliterations, sample_mixed_entries  # noqa: E402
from testkit.credits.spec import CreditBackground, CreditFont, CreditLayout, CreditMotion, CreditRollSpec  # noqa: E402
from vidsearch.config import Settings  # noqa: E402
from vidsearch.credits.pipeline import CreditExtractor  # noqa: E402
from vidsearch.credits.stage import credit_pairs  # noqa: E402

# layout family -> the (layout, motion) pairs it draws from
FAMILIES = {
    "cards": [(CreditLayout.COLUMNS, CreditMotion.CARDS), (CreditLayout.TWO_COLUMN, CreditMotion.CARDS),
              (CreditLayout.HEADING_LIST, CreditMotion.CARDS)],
    # cards as real rolls fade them: short holds, long fades, dimmer peak contrast, foreign names with rare syllables
    "fade": [(CreditLayout.COLUMNS, CreditMotion.CARDS), (CreditLayout.TWO_COLUMN, CreditMotion.CARDS),
             (CreditLayout.HEADING_LIST, CreditMotion.CARDS)],
    "heading": [(CreditLayout.HEADING_LIST, CreditMotion.SCROLL), (CreditLayout.COLUMNS, CreditMotion.SCROLL)],
    "side": [(CreditLayout.TWO_COLUMN, CreditMotion.SCROLL), (CreditLayout.DOT_LEADER, CreditMotion.SCROLL),
             (CreditLayout.SLASH, CreditMotion.SCROLL)],
}
ROLE_COLOURS = {"grey": (200, 200, 200), "white": (255, 255, 255), "yellow": (240, 210, 90), "dim": (150, 150, 150)}
# the fade family's names at their peak: full white, or a grey a fade never brightens past
NAME_PEAKS = {"white": (255, 255, 255), "grey": (200, 200, 200), "dim": (160, 160, 160)}
# the fade family's name origins: the real credit lists the held-out rolls come from are mostly foreign names
FOREIGN_SHARES = {"korean": 0.2, "foreign_hangul": 0.45, "latin": 0.3, "company": 0.05}


def random_case(family: str, seed: int, src, names) -> tuple[RollCase, dict[str, str]]:
    """One roll with every knob drawn from ``seed``; returns the case and the knobs (for the per-knob totals)."""
    rng = np.random.default_rng(seed)
    layout, motion = FAMILIES[family][int(rng.integers(len(FAMILIES[family])))]
    font = list(CreditFont)[int(rng.integers(4))]
    role_font = font if rng.random() < 0.7 else list(CreditFont)[int(rng.integers(4))]
    background = [CreditBackground.BLACK, CreditBackground.MOVING_COLOUR, CreditBackground.LIGHT,
                  CreditBackground.BUSY][int(rng.choice(4, p=[0.35, 0.35, 0.2, 0.1]))]
    role_colour = list(ROLE_COLOURS)[int(rng.integers(len(ROLE_COLOURS)))]
    if background is CreditBackground.LIGHT:
        role_colour = "grey"  # the renderer darkens the default pair on a light picture
    pool = ["drama", "film", "english"][int(rng.choice(3, p=[0.45, 0.4, 0.15]))]
    cards = motion is CreditMotion.CARDS
    knobs = dict(
        layout=layout.value, motion=motion.value, font=font.name, role_font=role_font.name, background=background.value,
        role_colour=role_colour, roles=pool,
        text_size=float(rng.choice([0.035, 0.04, 0.045, 0.055])),
        role_scale=float(rng.choice([0.7, 0.85, 1.0, 1.15])),
        line_spacing=float(rng.choice([1.4, 1.6, 1.75, 2.1])),
        entry_gap=float(rng.choice([0.0, 0.3, 0.6, 1.2])),
        names_per_line=int(rng.integers(1, 4)),
        name_separator=str(rng.choice(["gap", "gap", "comma", "dot"])),
        max_names=int(rng.integers(1, 5)),
    )
    if cards:
        knobs.update(fade_s=float(rng.choice([0.0, 0.3, 0.6, 1.0])), card_seconds=float(rng.choice([1.8, 2.5, 3.5])),
                     entries_per_card=int(rng.integers(1, 5)))
    else:
        knobs.update(scroll_speed=float(rng.choice([0.06, 0.1, 0.15, 0.22])))
    name_peak, shares = "white", None
    if family == "fade":  # drawn after every other knob, so the other families' rolls stay as they were
        background = [CreditBackground.BLACK, CreditBackground.MOVING_COLOUR, CreditBackground.LIGHT,
                      CreditBackground.BUSY][int(rng.choice(4, p=[0.15, 0.45, 0.3, 0.1]))]
        name_peak = "white" if background is CreditBackground.LIGHT else list(NAME_PEAKS)[int(rng.integers(3))]
        role_colour = "grey" if background is CreditBackground.LIGHT else role_colour
        knobs.update(background=background.value, role_colour=role_colour, name_peak=name_peak,
                     fade_s=float(rng.choice([0.5, 0.8, 1.2])), card_seconds=float(rng.choice([1.5, 2.0, 2.5])),
                     text_size=float(rng.choice([0.03, 0.035, 0.04, 0.045])))
        shares = FOREIGN_SHARES
    role_pool = FILM_CREW_ROLES if pool == "film" else None
    entries = sample_mixed_entries(src, names, seed, n_entries=int(rng.integers(8, 13)), max_names=knobs["max_names"],
                                   english_share=0.9 if pool == "english" else 0.0, role_pool=role_pool,
                                   connective_share=0.1 if pool == "film" else 0.0, shares=shares)
    spec_knobs = {k: v for k, v in knobs.items() if k not in ("layout", "motion", "font", "role_font", "background",
                                                              "role_colour", "roles", "max_names", "name_peak")}
    spec = CreditRollSpec(entries=entries, layout=layout, motion=motion, background=background, font=font.path,
                          role_font=role_font.path, role_colour=ROLE_COLOURS[role_colour],
                          name_colour=NAME_PEAKS[name_peak], seed=seed, **spec_knobs)
    return RollCase(f"fuzz-{family}-{seed}", spec, None, family), {k: str(v) for k, v in knobs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", choices=sorted(FAMILIES), default="cards")
    parser.add_argument("--rolls", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0, help="first roll's seed; roll k uses seed + k")
    parser.add_argument("--work", type=Path, default=Path("/tmp/vidsearch-credit-fuzz"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    extractor = CreditExtractor.from_settings(Settings(data_dir=args.work / "data", log_level="WARNING"))
    credits = shared_eval() / "dev" / "credits"
    src, names = sources("dev"), load_transliterations(credits / "muik_en_ko_transliteration" / "pairs.tsv")
    by_knob: dict[tuple[str, str], NameScore] = defaultdict(NameScore)
    overall = NameScore()
    for k in range(args.rolls):
        case, knobs = random_case(args.family, args.seed + k, src, names)
        video, truth = ensure_rendered(case, args.work)
        started = time.perf_counter()
        reading = extractor.extract(video)
        read = [ReadCredit(line.role_text, name, line.time, line.start_time, line.end_time)
                for line, name in credit_pairs(reading.lines)]
        scores = score_names(truth, read)
        score = scores["all"]
        overall.add(NameScore(**{f: getattr(score, f) for f in ("names", "exact", "chars", "edits", "timed",
                                                                  "pairs_right", "found_pairs", "correct_found")}))
        for item in knobs.items():
            by_knob[item].add(NameScore(names=score.names, exact=score.exact, pairs_right=score.pairs_right))
        print(f"{case.name:18s} names {score.names:3d} exact {score.ratio('exact', 'names'):.3f} "
              f"pairs {score.ratio('pairs_right', 'names'):.3f} ({time.perf_counter() - started:.0f} s)  "
              + " ".join(f"{k}={v}" for k, v in knobs.items()), flush=True)
        for error in [e for s in scores.values() for e in s.errors]:
            print("    ", error)
    print(f"\nALL: {overall.names} names, exact {overall.ratio('exact', 'names') or 0:.3f}, pairs "
          f"{overall.ratio('pairs_right', 'names') or 0:.3f}, pair precision {overall.pair_precision or 0:.3f}")
    print("per knob value (names, exact, pairs) — values below 0.95 marked '!':")
    for (knob, value), s in sorted(by_knob.items()):
        exact, pairs = s.ratio("exact", "names") or 0, s.ratio("pairs_right", "names") or 0
        flag = "!" if min(exact, pairs) < 0.95 else " "
        print(f" {flag} {knob:15s} {value:16s} {s.names:4d}  {exact:.3f}  {pairs:.3f}")


if __name__ == "__main__":
    main()
