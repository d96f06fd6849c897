"""The rendered credit rolls the credit benchmarks read: real names and roles (dev K-drama list + EBU roles, or the
held-out Naver film staff list behind ``--split heldout``), every layout, scrolling and cards, black and moving
colour backgrounds, 720p and 1080p, Gothic and Myeongjo, some after programme footage with subtitles.

Rendered once into a work folder (videos are never committed) with their ground truth as JSON beside them.

    nice -n 10 python bench/credits_rolls.py --work /tmp/vidsearch-credit-rolls
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.corpus import shared_eval  # noqa: E402
from testkit.credits.filler import FillerSpec, Subtitle  # noqa: E402
from testkit.credits.render import (  # noqa: E402
    CreditBackground,
    CreditFont,
    CreditLayout,
    CreditMotion,
    CreditRollSpec,
    render_credit_roll,
)
from testkit.credits.sample import CreditSources, load_sources, sample_entries  # noqa: E402
from testkit.credits.truth import CreditRollTruth  # noqa: E402

SUBTITLES = ("오늘 정말 고마웠어요", "내일 다시 만나요", "I will see you tomorrow")


@dataclass(frozen=True)
class RollCase:
    name: str
    spec: CreditRollSpec
    filler: FillerSpec | None

    def tags(self) -> dict[str, str]:
        return {"layout": self.spec.layout.value, "motion": self.spec.motion.value,
                "background": self.spec.background.value, "height": f"{self.spec.height}p",
                "font": Path(self.spec.font).stem, "filler": "yes" if self.filler else "no"}


def heldout_sources() -> CreditSources:
    """Names and Korean job titles from the held-out Naver film staff list (acceptance only)."""
    path = shared_eval() / "heldout" / "credits" / "naver_movie_scraper" / "staff_flat.tsv"
    names, roles = set(), set()
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            name, role = (row.get("name_ko") or "").strip(), (row.get("role_ko") or "").strip()
            if name:
                names.add(name)
            if role:
                roles.add(role)
    return CreditSources(tuple(sorted(names)), (), tuple(sorted(roles)), (), ())


def sources(split: str) -> CreditSources:
    if split == "heldout":
        return heldout_sources()
    credits = shared_eval() / "dev" / "credits"
    return load_sources(credits / "kdrama_wiki_db" / "kdrama_name_role_flat.tsv",
                        credits / "ebu_role_taxonomy" / "ebu_RoleCodeCS_flat.tsv")


def cases(split: str = "dev", quick: bool = False, seed: int = 7) -> list[RollCase]:
    src = sources(split)
    grid = list(itertools.product(CreditLayout, CreditMotion, CreditBackground, (720, 1080)))
    if quick:  # two per layout, together covering both motions, backgrounds and sizes
        black, colour = CreditBackground.BLACK, CreditBackground.MOVING_COLOUR
        grid = [g for k, layout in enumerate(CreditLayout) for g in (
            (layout, CreditMotion.SCROLL, (black, colour)[k % 2], (720, 1080)[k % 2]),
            (layout, CreditMotion.CARDS, (colour, black)[k % 2], (1080, 720)[k % 2]))]
    out = []
    for i, (layout, motion, background, height) in enumerate(grid):
        case_seed = seed * 1000 + i
        entries = sample_entries(src, case_seed, n_entries=12 if motion is CreditMotion.SCROLL else 9,
                                 max_names=3, english_share=0.3 if split == "dev" else 0.0)
        font = (CreditFont.GOTHIC, CreditFont.MYEONGJO)[i % 2].path
        spec = CreditRollSpec(entries=entries, layout=layout, motion=motion, background=background,
                              height=height, width=height * 16 // 9, font=font, seed=case_seed,
                              names_per_line=1 + i % 2, corner_text="KBS 2" if i % 3 == 0 else None)
        filler = None
        if i % 2 == 1:
            filler = FillerSpec(seconds=12.0, seed=case_seed,
                                subtitles=[Subtitle(start_s=2.0, end_s=6.0, text=SUBTITLES[i % 3])])
        out.append(RollCase(f"{split}-{i:02d}-{layout.value}-{motion.value}-{background.value}-{height}",
                            spec, filler))
    return out


def ensure_rendered(case: RollCase, work: Path) -> tuple[Path, CreditRollTruth]:
    """The case's video and truth, rendered unless a file for exactly this spec is already in ``work`` (the
    file name carries a hash of the spec, so a changed sampler or renderer setting never reuses a stale roll)."""
    spec_json = case.spec.model_dump_json() + (case.filler.model_dump_json() if case.filler else "")
    video = work / f"{case.name}-{hashlib.sha1(spec_json.encode()).hexdigest()[:10]}.mp4"
    truth_path = video.with_suffix(".json")
    if video.is_file() and truth_path.is_file():
        return video, CreditRollTruth.model_validate_json(truth_path.read_text(encoding="utf-8"))
    truth = render_credit_roll(case.spec, video, case.filler)
    truth_path.write_text(truth.model_dump_json(indent=1), encoding="utf-8")
    return video, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/vidsearch-credit-rolls"))
    parser.add_argument("--split", choices=("dev", "heldout"), default="dev")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    for case in cases(args.split, args.quick):
        video, truth = ensure_rendered(case, args.work)
        print(json.dumps({"video": str(video), "seconds": truth.duration_s, "lines": len(truth.lines),
                          "pairs": len(truth.pairs())}, ensure_ascii=False))


if __name__ == "__main__":
    main()
