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
from testkit.credits.sample import (  # noqa: E402
    BOILERPLATE,
    FILM_CREW_ROLES,
    SPACED_ROLES,
    CreditSources,
    load_sources,
    load_transliterations,
    sample_entries,
    sample_mixed_entries,
)
from testkit.credits.truth import CreditRollTruth  # noqa: E402

SUBTITLES = ("오늘 정말 고마웠어요", "내일 다시 만나요", "I will see you tomorrow")


@dataclass(frozen=True)
class RollCase:
    name: str
    spec: CreditRollSpec
    filler: FillerSpec | None
    kind: str = ""  # the layout case (bench groups by it)

    def tags(self) -> dict[str, str]:
        return {"case": self.kind, "layout": self.spec.layout.value, "motion": self.spec.motion.value,
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


# (case name, spec overrides): the layouts real programmes use, each a way to break the pipeline
LAYOUTS: list[tuple[str, dict]] = [
    ("two_column", dict(layout=CreditLayout.TWO_COLUMN, names_per_line=2)),
    ("role_above", dict(layout=CreditLayout.HEADING_LIST, names_per_line=2, background=CreditBackground.MOVING_COLOUR)),
    ("columns3", dict(layout=CreditLayout.COLUMNS, columns=3, height=1080)),
    ("columns2_light", dict(layout=CreditLayout.COLUMNS, columns=2, background=CreditBackground.LIGHT)),
    ("cards_cut", dict(layout=CreditLayout.TWO_COLUMN, motion=CreditMotion.CARDS, entries_per_card=3)),
    ("cards_fade", dict(layout=CreditLayout.COLUMNS, columns=3, motion=CreditMotion.CARDS, entries_per_card=2,
                        fade_s=0.6, background=CreditBackground.MOVING_COLOUR)),
    ("busy_video", dict(layout=CreditLayout.TWO_COLUMN, background=CreditBackground.BUSY)),
    ("small_font", dict(layout=CreditLayout.TWO_COLUMN, text_size=0.032, names_per_line=2)),
    ("fast_scroll", dict(layout=CreditLayout.HEADING_LIST, scroll_speed=0.25, names_per_line=2)),
    ("dot_leader", dict(layout=CreditLayout.DOT_LEADER)),
    ("slash_dots", dict(layout=CreditLayout.SLASH, name_separator="dot")),
    ("scroll_down", dict(layout=CreditLayout.TWO_COLUMN, motion=CreditMotion.SCROLL_DOWN)),
    ("names_only", dict(layout=CreditLayout.HEADING_LIST, names_per_line=2)),
    # footage busier than the roll: faster shapes, textured patches (stripes, grids, lettered signs) some moving up
    # like the text, and a slower roll — edges of the picture outnumber the text's
    ("busy_texture", dict(layout=CreditLayout.HEADING_LIST, names_per_line=2, background=CreditBackground.BUSY,
                          footage_speed=2.0, footage_texture=10, scroll_speed=0.07)),
    # film-style crew lists (FILM_CREW_ROLES: team/rank titles and loanword jobs the layout's role lexicon lacks,
    # several shaped like a Korean name; mixed Korean/Latin titles), mostly native Korean names, some credits with
    # a line that credits no one ("in association with") under the role: pairing must follow the roll's structure
    ("film_role_above", dict(layout=CreditLayout.HEADING_LIST, names_per_line=2)),
    ("film_cards", dict(layout=CreditLayout.COLUMNS, columns=3, motion=CreditMotion.CARDS, entries_per_card=2,
                        fade_s=0.6, background=CreditBackground.MOVING_COLOUR)),
    ("film_two_column", dict(layout=CreditLayout.TWO_COLUMN, motion=CreditMotion.CARDS, entries_per_card=3)),
    ("film_columns2_light", dict(layout=CreditLayout.COLUMNS, columns=2, background=CreditBackground.LIGHT)),
    # credits set close together: a third of a line more between two credits than between two rows of one
    ("film_tight", dict(layout=CreditLayout.HEADING_LIST, names_per_line=3, entry_gap=0.3)),
    # pairing assumptions real credits break (after the cases above, so their seeds and figures stay comparable):
    # a title set over two lines (SPACED_ROLES) ...
    ("film_role_wrapped", dict(layout=CreditLayout.HEADING_LIST, names_per_line=2, wrap_roles=True)),
    # ... the role printed to the right of its names, and company boilerplate after the last credit
    ("film_role_right", dict(layout=CreditLayout.TWO_COLUMN, role_side="right", names_per_line=2,
                             closing_lines=BOILERPLATE[:2])),
    # "A, B and C" on one line under the heading, then boilerplate
    ("film_and", dict(layout=CreditLayout.HEADING_LIST, names_per_line=3, name_separator="and",
                      closing_lines=BOILERPLATE[2:])),
    # "A & B" beside the role
    ("film_amp", dict(layout=CreditLayout.TWO_COLUMN, names_per_line=2, name_separator="amp")),
    # no space at all between credits, so no block shows where the next role starts: the headings (film titles the
    # lexicon mostly lacks) set in smaller type than the names, in the names' own colour ...
    ("film_no_gap", dict(layout=CreditLayout.HEADING_LIST, names_per_line=3, entry_gap=0.0, role_scale=0.7,
                         role_colour=(255, 255, 255))),
    # ... and larger than the names, centred above a credit's names set in two columns
    ("film_no_gap_columns", dict(layout=CreditLayout.COLUMNS, columns=2, entry_gap=0.0, role_scale=1.15,
                                 line_spacing=2.1)),
    # cards as broadcasters cut them (after the cases above): one credit per short faded card on a light picture
    # (encoders put keyframes in the fades: the scan saw only those) ...
    ("cards_short_light", dict(layout=CreditLayout.HEADING_LIST, motion=CreditMotion.CARDS, entries_per_card=1,
                               card_seconds=1.8, fade_s=0.6, background=CreditBackground.LIGHT, role_scale=1.15)),
    # ... and short cut cards of one layout, two credits each, role over names: titles at one place card after card
    ("cards_headings", dict(layout=CreditLayout.HEADING_LIST, motion=CreditMotion.CARDS, entries_per_card=2,
                            card_seconds=2.0, names_per_line=2, role_colour=(150, 150, 150))),
    # a dot leader between film titles the lexicon mostly lacks (some read like a name: 편곡) and their names,
    # joined by commas and wrapped onto rows set flush right under the first: the leader's dots are too thin to be
    # a piece of their own, so only the columns say which side is the role
    ("film_dot_leader", dict(layout=CreditLayout.DOT_LEADER, names_per_line=3, name_separator="comma",
                             background=CreditBackground.MOVING_COLOUR)),
    # headings in broadcast yellow on a plain dark ground, a little smaller than the names
    ("yellow_headings", dict(layout=CreditLayout.HEADING_LIST, names_per_line=2, role_colour=(240, 210, 90),
                             role_scale=0.85)),
]
FILM = ("film_role_above", "film_cards", "film_two_column", "film_columns2_light", "film_tight", "film_role_wrapped",
        "film_role_right", "film_and", "film_amp", "film_no_gap", "film_no_gap_columns", "film_dot_leader")
FILM_SHARES = {"korean": 0.7, "foreign_hangul": 0.15, "latin": 0.1, "company": 0.05}
QUICK = ("two_column", "columns3", "cards_fade", "busy_video", "small_font", "fast_scroll")


def cases(split: str = "dev", quick: bool = False, seed: int = 7) -> list[RollCase]:
    if split == "heldout":
        return heldout_cases(seed)
    credits = shared_eval() / "dev" / "credits"
    src = sources(split)
    names = load_transliterations(credits / "muik_en_ko_transliteration" / "pairs.tsv")
    out = []
    for i, (name, overrides) in enumerate(LAYOUTS):
        if quick and name not in QUICK:
            continue
        case_seed = seed * 1000 + i
        motion = overrides.get("motion", CreditMotion.SCROLL)
        film = name in FILM
        entries = sample_mixed_entries(src, names, case_seed, n_entries=10 if motion is not CreditMotion.CARDS else 8,
                                       no_role_share=1.0 if name == "names_only" else 0.0,
                                       shares=FILM_SHARES if film else None,
                                       role_pool=(SPACED_ROLES if name == "film_role_wrapped" else
                                                  FILM_CREW_ROLES if film else None),
                                       connective_share=0.2 if film else 0.0)
        overrides = dict(overrides)
        height = overrides.pop("height", 720)
        font = (CreditFont.GOTHIC, CreditFont.MYEONGJO)[i % 2].path
        spec = CreditRollSpec(entries=entries, height=height, width=height * 16 // 9, font=font, seed=case_seed,
                              corner_text="KBS 2" if i % 4 == 0 else None, **overrides)
        filler = None
        if i % 3 == 1:
            filler = FillerSpec(seconds=8.0, seed=case_seed,
                                subtitles=[Subtitle(start_s=2.0, end_s=6.0, text=SUBTITLES[i % 3])])
        out.append(RollCase(f"{split}-{i:02d}-{name}", spec, filler, name))
    return out


def heldout_cases(seed: int) -> list[RollCase]:
    """Acceptance only: held-out names and job titles in the first layouts."""
    src = heldout_sources()
    out = []
    for i, (name, overrides) in enumerate(LAYOUTS[:8]):
        case_seed = seed * 1000 + i
        entries = sample_entries(src, case_seed, n_entries=10, max_names=3, english_share=0.0)
        overrides = dict(overrides)
        height = overrides.pop("height", 720)
        spec = CreditRollSpec(entries=entries, height=height, width=height * 16 // 9, seed=case_seed, **overrides)
        out.append(RollCase(f"heldout-{i:02d}-{name}", spec, None, name))
    return out


RENDERER = REPO / "testkit" / "credits"


def renderer_version(folder: Path = RENDERER) -> str:
    """A digest of the renderer's own source (testkit/credits/*.py): a changed renderer draws a different roll
    from the same spec, so it must never reuse a roll an older renderer drew."""
    digest = hashlib.sha1()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:10]


def roll_key(case: RollCase) -> str:
    """What a rendered roll depends on: its spec, its filler and the renderer's source."""
    spec_json = case.spec.model_dump_json() + (case.filler.model_dump_json() if case.filler else "")
    return hashlib.sha1((spec_json + renderer_version()).encode()).hexdigest()[:10]


def ensure_rendered(case: RollCase, work: Path) -> tuple[Path, CreditRollTruth]:
    """The case's video and truth, rendered unless a file for exactly this spec and renderer is already in
    ``work`` (the file name carries a hash of both, so a changed sampler, renderer setting or renderer code never
    reuses a stale roll)."""
    video = work / f"{case.name}-{roll_key(case)}.mp4"
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
