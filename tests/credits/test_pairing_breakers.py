"""Pairing assumptions real credits break, rendered and read by real Tesseract: a title set over two lines ("Sound"
/ "Mixer"), the role printed to the right of its names, "A, B and C" / "A & B" on one line, and company
boilerplate ("© 2024 ... All rights reserved", "Presented by") after the last credit, which credits no one."""

from __future__ import annotations

import pytest

from testkit.credits.render import CreditEntry, CreditLayout, CreditRollSpec
from vidsearch.credits.cleanup import split_names
from vidsearch.credits.lexicon import is_boilerplate

WRAPPED = [
    CreditEntry(role="Sound Mixer", names=("김민수", "이영희")),
    CreditEntry(role="VFX 슈퍼바이저", names=("박서준", "Jane Porter", "최우식")),
    CreditEntry(role="Costume Designer", names=("강동원",)),
    CreditEntry(role="프로덕션 디자이너", names=("정유미", "한지민")),
    CreditEntry(role="Location Manager", names=("쥬세페 토르나토레", "배두나", "송강호")),
    CreditEntry(role="라인 PD", names=("윤여정", "Michael Beugg")),
]
ROLE_RIGHT = [
    CreditEntry(role="조감독", names=("김민수", "이영희", "박서준")),
    CreditEntry(role="컨셉아트", names=("최우식",)),
    CreditEntry(role="촬영", names=("강동원", "정유미")),
    CreditEntry(role="제작투자", names=("한지민", "쥬세페 토르나토레", "윤여정")),
    CreditEntry(role="편집", names=("송강호",)),
    CreditEntry(role="메이킹", names=("배두나", "유아인")),
]
BOILERPLATE = ("© 2024 Studio Dragon. All rights reserved.", "Presented by", "이 영화의 저작권은 제작사에 있습니다")


def test_names_joined_by_and_or_ampersand_split_but_a_company_ampersand_stays():
    assert split_names("정하완, 이윤미 and 서해원") == ["정하완", "이윤미", "서해원"]
    assert split_names("김성오 & Hocking County") == ["김성오", "Hocking County"]
    assert split_names("Barunson E&A") == ["Barunson E&A"]
    # as Tesseract reads a rendered "&": the space before it lost, or the sign read "8" between Hangul names
    assert split_names("김민수& 이영희") == ["김민수", "이영희"]
    assert split_names("강동원 8 정유미") == ["강동원", "정유미"]


def test_boilerplate_is_told_from_credits():
    assert all(is_boilerplate(line) for line in BOILERPLATE + ("Copyright © 2023 CJ ENM", "All Rights Reserved"))
    assert not any(is_boilerplate(t) for t in ("Presented", "김민수", "Copyrighter", "Production Designer"))


@pytest.mark.slow
def test_titles_over_two_lines_names_joined_by_and_and_boilerplate(pairs_read):
    """Each title's second line joins its first (not a name, not a second role); "A, B and C" are three names;
    the boilerplate after the roll is no credit (pair precision 1)."""
    spec = CreditRollSpec(entries=WRAPPED, layout=CreditLayout.HEADING_LIST, wrap_roles=True, names_per_line=3,
                          name_separator="and", closing_lines=BOILERPLATE, width=1280, height=720, fps=10,
                          scroll_speed=0.15)
    score = pairs_read("wrapped-and", spec)
    assert score.correct_pairs == score.true_pairs == score.found_pairs, score.errors


@pytest.mark.slow
def test_role_right_of_its_names_and_ampersand(pairs_read):
    """Names flush right against the gutter and the title after them: the columns' meanings swap; "A & B" beside
    the title are two names; boilerplate centred under the columns does not hide them."""
    spec = CreditRollSpec(entries=ROLE_RIGHT, layout=CreditLayout.TWO_COLUMN, role_side="right", names_per_line=2,
                          name_separator="amp", closing_lines=BOILERPLATE[:2], width=1280, height=720, fps=10,
                          scroll_speed=0.15)
    score = pairs_read("role-right", spec)
    assert score.correct_pairs == score.true_pairs == score.found_pairs, score.errors
