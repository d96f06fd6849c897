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


SHADOWED = [("믹싱", ("펜·얀", "제롬 데이비드")), ("색보정", ("서버 헤링턴",)), ("촬영·조명", ("손지창",)), ("소품", ("조진웅",)),
            ("자막", ("Camp Grove", "손여은", "최진원")), ("작가", ("스테버니지 오티스",)),
            ("촬영·조명", ("유인나", "유승호", "브레킨리지 퀸런")), ("스크립터", ("명지연", "박웅", "조민기")),
            ("음향·믹싱", ("맨빌 프림 파치노", "이재순")), ("조연출", ("Volunteer Mannville", "남주희")),
            ("촬영", ("C-STORY",)), ("분장·미용", ("Yellowstone Edmondson", "권오중", "남규리"))]


@pytest.mark.slow
def test_a_shadowed_yellow_title_over_mauve_read_as_nothing_still_heads_its_names(pairs_read):
    """Cards of three credits over moving colour, yellow titles with the renderer's drop shadow (fuzz-cards-2303):
    over mauve, the text channel (per-pixel minimum: yellow's blue is low) splits at the shadow's edges, every look
    at every size reads hollow glyphs as nothing, and 조연출's names were credited under no role. A blank crop is
    read from its brightness too."""
    spec = CreditRollSpec(entries=[CreditEntry(role=r, names=n) for r, n in SHADOWED], layout=CreditLayout.COLUMNS,
                          motion=CreditMotion.CARDS, background=CreditBackground.MOVING_COLOUR,
                          font=CreditFont.GOTHIC_BOLD.path, role_font=CreditFont.GOTHIC_BOLD.path,
                          role_colour=(240, 210, 90), text_size=0.045, role_scale=1.0, line_spacing=1.6,
                          entry_gap=1.2, names_per_line=1, name_separator="gap", fade_s=0.0, card_seconds=1.8,
                          entries_per_card=3, seed=2303)
    score = pairs_read("blank-shadowed-yellow-title", spec)
    missed = [e for e in score.errors if "조연출" in e or "남주희" in e or "Mannville" in e]
    assert not missed, score.errors
