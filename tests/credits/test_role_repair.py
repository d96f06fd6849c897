"""Role titles read right: a heading the layout found but OCR misread ("VEX 슈퍼바이저2]" for VFX 슈퍼바이저,
"그럽텀" for 그립팀) is repaired toward the one title the lexicon or the role taxonomy knows that it is close to,
so its names pair with the title printed — on the dev rolls where real Tesseract misreads them."""

from __future__ import annotations

import pytest

from bench.credits_rolls import cases
from testkit.credits.sample import FILM_CREW_ROLES, KOREAN_CREW_ROLES
from vidsearch.credits.lexicon import repair_role


@pytest.mark.parametrize(("read", "printed"), [
    ("VEX 슈퍼바이저2]", "VFX 슈퍼바이저"),  # stray marks after Hangul, an acronym one letter off
    ("그럽텀", "그립팀"),  # two vowels misread in a three-syllable title
    ("촬영강독", "촬영감독"),
    # the same misread with a space in it (read spacing follows ink gaps: which sighting won decided it, and
    # dev film_no_gap's 그립팀 names paired with '그립 텀' at one sampling phase of four)
    ("그립 텀", "그립팀"),
    ("그럽 텀", "그립팀"),
    ("편칩", "편집"),  # a two-syllable title the slash set as the role, one letter off (fuzz side 908: 4 names)
    ("촬영·주명", "촬영·조명"),  # one part of a composite title one letter off (fuzz 1301: four names lost)
    ("조연출·펀집", "조연출·편집"),
    ("음향·믹셍", "음향·믹싱"),
])
def test_a_misread_title_is_repaired(read, printed):
    assert repair_role(read) == printed


def test_a_composite_whose_other_part_is_no_title_is_left_alone():
    """Only beside parts that are titles as printed is a two-syllable part a title: names set with a middle dot
    ("김민수·이영희", "주명·조명희") and two odd parts stay as read."""
    for text in ("김민수·이영희", "주명·조명희", "주명·편짐", "Hair/Makeup"):
        assert repair_role(text) == text


def test_titles_as_printed_are_left_alone():
    """Real titles (known or not) are never rewritten toward another one: 제작투자 is not 제작부장."""
    titles = set(FILM_CREW_ROLES) | set(KOREAN_CREW_ROLES) | {"Art Director", "라인 PD", "B캠 촬영", "ABC"}
    assert {t: repair_role(t) for t in titles if repair_role(t) != t} == {}


def test_a_title_printed_with_a_space_keeps_its_words():
    """A rank printed as its own word is no two-syllable title to repair: "촬영 기사" became 촬영 기자 (기사, a rank,
    is one letter from 기자), and "각본 기사" joined into 극본기사 where 각본기사 was not listed (its rank counted
    as no title word). Found by bench/credits_role_repair.py (leave-one-out over the repair vocabulary)."""
    for title in ("촬영 기사", "조명 기사", "동시녹음 기사", "각본 기사", "미술 실장", "연출 팀장", "편집 기사"):
        assert repair_role(title) == title


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["film_tight", "film_columns2_light"])
def test_dev_rolls_with_misread_titles_pair_every_name(kind, pairs_read):
    """Tesseract reads film_tight's 'VFX 슈퍼바이저' as 'VEX 슈퍼바이저2]' and film_columns2_light's '그립팀' as
    '그럽텀': without the repair those names pair with a title that was never printed."""
    case = next(c for c in cases("dev") if c.kind == kind)
    score = pairs_read(case.name, case.spec, case.filler)
    assert score.correct_pairs == score.true_pairs, score.errors
