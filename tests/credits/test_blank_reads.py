"""A line every look reads as nothing is read once more at twice the size (``ocr.reading.read_crops``): Tesseract
reads no text at all off some clean crops of a short Hangul title (진행 in 0.7 of the names' size over a coloured
picture) at 40 and 30 px and left grey, and the title's names were credited under no role. Rendered and read by
real Tesseract."""

from __future__ import annotations

import pytest

from testkit.credits.render import CreditEntry, CreditLayout, CreditRollSpec
from testkit.credits.spec import CreditBackground, CreditFont, CreditMotion

CARDS = [
    CreditEntry(role="음악감독", names=("그린시티픽쳐스", "신동미")),
    CreditEntry(role="연출", names=("매그놀리아 빌링즐리",)),
    CreditEntry(role="색보정", names=("Mona Hammock", "Loretto Maroa")),
    CreditEntry(role="안무", names=("소원",)),
    CreditEntry(role="진행", names=("허정도", "임윤아", "Malory Tainter", "줄리아드 알리페이")),
    CreditEntry(role="책임프로듀서", names=("슐러 브레큰리지", "SM C&C")),
    CreditEntry(role="특수효과", names=("스위스 달링", "정태우")),
    CreditEntry(role="기획", names=("최봉", "Kennesaw Kosygin", "이김프로덕션", "Lamarr Barker")),
]


@pytest.mark.slow
def test_a_small_title_read_as_nothing_still_heads_its_names(pairs_read):
    """Cards of four credits over moving colour, titles in grey at 0.7 of the names' size: 진행's four names are
    credited under 진행, not under no role."""
    spec = CreditRollSpec(entries=CARDS, layout=CreditLayout.COLUMNS, motion=CreditMotion.CARDS,
                          background=CreditBackground.MOVING_COLOUR, font=CreditFont.GOTHIC_BOLD.path,
                          role_font=CreditFont.GOTHIC_BOLD.path, role_colour=(200, 200, 200), text_size=0.055,
                          role_scale=0.7, line_spacing=1.6, names_per_line=3, fade_s=0.3, card_seconds=1.8,
                          entries_per_card=4, seed=2001)
    score = pairs_read("blank-small-title", spec)
    missed = [e for e in score.errors if "진행" in e]
    assert not missed, score.errors
