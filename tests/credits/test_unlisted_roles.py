"""Film-style crew titles the role lexicon does not know (팀/실장 ranks, loanword jobs, distributors), several shaped
like a Korean name (조감독, 제작팀, 조명팀): rendered, read by real Tesseract, and paired by the roll's own
structure — flush columns either side of a gutter, blocks opened by their heading — not by the lexicon; a line
that credits no one ("in association with", "그리고") is no credit."""

from __future__ import annotations

import pytest

from testkit.credits.render import (
    CreditBackground,
    CreditEntry,
    CreditLayout,
    CreditMotion,
    CreditRollSpec,
)
from vidsearch.credits.lexicon import role_score

# (title, names): most titles unknown to the lexicon, two known ones among them as real lists have; names of equal
# widths (two, three and five syllables) whose centred pairs line up like flush columns; lines crediting no one
FILM = [
    CreditEntry(role="제작팀", names=("김민수", "이영희")),
    CreditEntry(role="조감독", names=("박서준",), connective="그리고"),
    CreditEntry(role="스턴트", names=("최우식", "정유미", "한지민")),
    CreditEntry(role="촬영", names=("강동원",)),
    CreditEntry(role="조명팀", names=("로건 스킬먼", "콜먼 카운티")),
    CreditEntry(role="메이킹", names=("배두나",)),
    CreditEntry(role="편집", names=("이엘", "구원")),
    CreditEntry(role="배급", names=("오정세",), connective="in association with"),
]
# no title the lexicon knows, several holding a job word (제작, 의상, 촬영), set close together
UNKNOWN_TIGHT = [CreditEntry(role=role, names=names) for role, names in
                 (("제작실장", ("김민수", "이영희")), ("의상팀", ("박서준",)), ("포커스풀러", ("최우식", "정유미")),
                  ("촬영팀", ("강동원", "한지민", "윤여정")), ("차량", ("송강호",)), ("예고편", ("배두나", "유아인")))]
# names of one width set in centred pairs line up like two flush columns; a few wider names break the line-up
NAMES_ONLY = [CreditEntry(role="", names=names) for names in
              (("김민수", "이영희"), ("박서준",), ("최우식", "정유미", "한지민"), ("강동원", "윤여정"), ("송강호",),
               ("쥬세페 토르나토레", "전도연"), ("배두나", "유아인"), ("Michael Beugg", "오정세"), ("한석규", "문소리"))]


def test_the_titles_are_unknown_to_the_lexicon():
    """The premise: were these titles in the lexicon, the tests below would prove nothing about structure."""
    unknown = [e.role for e in FILM if role_score(e.role) < 0.8]
    assert len(unknown) >= 6, unknown


@pytest.mark.slow
def test_two_column_cards_pair_unlisted_titles_by_their_flush_columns(pairs_read):
    spec = CreditRollSpec(entries=FILM, layout=CreditLayout.TWO_COLUMN, motion=CreditMotion.CARDS,
                          entries_per_card=4, card_seconds=2.5, width=1280, height=720, fps=10)
    score = pairs_read("film-two-column", spec)
    assert score.correct_pairs == score.true_pairs == score.found_pairs, score.errors


@pytest.mark.slow
@pytest.mark.parametrize(("layout", "motion", "background"), [
    (CreditLayout.HEADING_LIST, CreditMotion.SCROLL, CreditBackground.BLACK),
    (CreditLayout.COLUMNS, CreditMotion.CARDS, CreditBackground.MOVING_COLOUR),
])
def test_a_block_opened_by_an_unlisted_title_is_headed_by_it(pairs_read, layout, motion, background):
    spec = CreditRollSpec(entries=FILM, layout=layout, motion=motion, background=background, names_per_line=2,
                          entries_per_card=2, card_seconds=2.5, fade_s=0.5 if motion is CreditMotion.CARDS else 0,
                          scroll_speed=0.15, width=1280, height=720, fps=10)
    score = pairs_read(f"film-{layout}-{motion}", spec)
    assert score.correct_pairs == score.true_pairs == score.found_pairs, score.errors


@pytest.mark.slow
def test_blocks_set_close_together_under_titles_the_lexicon_lacks(pairs_read):
    """A quarter line between credits still opens a block (rows of one block sit within 7 % of their pitch), and
    titles holding a job word vote for headed blocks where the lexicon knows none of them whole."""
    assert all(role_score(e.role) < 0.8 for e in UNKNOWN_TIGHT)
    spec = CreditRollSpec(entries=UNKNOWN_TIGHT, layout=CreditLayout.HEADING_LIST, names_per_line=2, entry_gap=0.25,
                          scroll_speed=0.15, width=1280, height=720, fps=10)
    score = pairs_read("film-unknown-tight", spec)
    assert score.correct_pairs == score.true_pairs == score.found_pairs, score.errors


@pytest.mark.slow
@pytest.mark.parametrize("names_per_line", [1, 2])
def test_a_names_only_roll_in_blocks_gets_no_headings_and_no_columns(pairs_read, names_per_line):
    """Blocks opened by names (no title the lexicon knows) stay names under no role; centred pairs of names are
    not a role column beside a name column."""
    spec = CreditRollSpec(entries=NAMES_ONLY, layout=CreditLayout.HEADING_LIST, names_per_line=names_per_line,
                          scroll_speed=0.15, width=1280, height=720, fps=10)
    score = pairs_read(f"film-names-only-{names_per_line}", spec)
    assert score.correct_pairs == score.true_pairs == score.found_pairs, score.errors
