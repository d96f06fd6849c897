"""One line of text alone: a card of one credit, or footage text (a lower third, a caption, signs, a ticker).

Cards of one credit each show one line per frame, as footage does; the scan takes a lone centred row at one height
sample after sample as a candidate, and the reading keeps it only as cards of credits (rows changing, role and
name). The footage cases are real renders read by the real pipeline; none may become a credit section."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.credits.captions import Caption, render_captioned_footage
from testkit.credits.filler import FillerSpec, Subtitle
from vidsearch.credits.card_rows import CardRow, card_row, card_row_samples, cards_of_one_row
from vidsearch.credits.layout import CreditLine
from vidsearch.media.probe import probe_video


def test_a_card_sets_its_lone_row_in_the_middle_clear_of_the_sides():
    assert card_row((0.49, 0.53, 0.40, 0.72)) == CardRow(0.51, pytest.approx(0.04))  # '연출   김민수'
    assert card_row((0.71, 0.74, 0.06, 0.33)) is None  # a lower third: low, left
    assert card_row((0.73, 0.76, 0.02, 0.98)) is None  # a ticker: off the sides
    assert card_row((0.10, 0.13, 0.40, 0.60)) is None  # near the top
    assert card_row((0.45, 0.48, 0.05, 0.25)) is None  # a sign well left of centre
    assert card_row((0.45, 0.48, 0.70, 0.92)) is None  # ... or right of it


def test_one_column_of_a_two_column_card_is_a_card_row():
    """Two-column cards, titles flush right and names flush left against a centred gutter: where the small
    picture sees only the names (small grey titles over moving colour; fuzz cards 1707 lost its first three cards
    so), the row starts just right of the centre line; the titles alone end just left of it."""
    assert card_row((0.484, 0.526, 0.55, 0.928)) == CardRow(pytest.approx(0.505), pytest.approx(0.042))
    assert card_row((0.484, 0.526, 0.21, 0.46)) == CardRow(pytest.approx(0.505), pytest.approx(0.042))
    assert card_row((0.484, 0.526, 0.62, 0.928)) is None  # well off the centre line: a sign's place
    assert card_row((0.484, 0.526, 0.55, 0.99)) is None  # running off the side


def test_a_run_of_lone_rows_at_one_height_is_a_candidate_and_blanks_do_not_break_it():
    row, lower = CardRow(0.51, 0.04), CardRow(0.62, 0.04)
    # card, fade trough, card, card: three members
    assert card_row_samples([row, None, row, row], [1, 0, 1, 1], 2, 3) == {0, 2, 3}
    assert card_row_samples([row, None, row], [1, 0, 1], 2, 3) == set()  # two members are too few
    # a row at another height starts a new run; so does one line out of place
    assert card_row_samples([row, row, lower, row], [1, 1, 1, 1], 2, 3) == set()
    assert card_row_samples([row, row, None, row], [1, 1, 1, 1], 2, 3) == set()
    # a card of two lines between cards of one counts as a member (mixed card rolls)
    assert card_row_samples([row, None, row], [1, 3, 1], 2, 3) == {0, 2}


def test_a_reading_is_cards_of_credits_only_if_the_row_changes_and_names_under_roles():
    def line(role: str, name: str, t: float) -> CreditLine:
        return CreditLine(role, [name], t, 0.95)
    cards = [line("연출", "김민수", 2.0), line("촬영", "이영희", 4.5), line("편집", "박지훈", 7.0)]
    assert cards_of_one_row(cards)
    assert not cards_of_one_row([line("", "2024년 겨울, 서울", 3.0)])  # a title left mid-picture
    assert not cards_of_one_row([line("", "약국 PHARMACY", 2.0), line("", "서울역", 6.0), line("", "OPEN 24H", 9.0)])
    assert not cards_of_one_row([line("연출", "김민수", 2.0), line("연출", "김민수", 4.5)])  # one card seen twice


FOOTAGE = FillerSpec(seconds=20, seed=3, shapes=8, subtitles=[Subtitle(start_s=1, end_s=6, text="괜찮아요?"),
                                                               Subtitle(start_s=7, end_s=12, text="네, 가요.")])
ONE_LINE = {
    "lower_third": [Caption(text="김민수 기자 · 서울 마포구", start_s=2, end_s=10, x=0.06, y=0.72, anchor="lm",
                            plate="box"),
                    Caption(text="이영희 / 동네 주민", start_s=11, end_s=18, x=0.06, y=0.72, anchor="lm", plate="box")],
    # a title held mid-picture: a lone centred row at one height, as a card's — the reading shows one line
    "title": [Caption(text="2024년 겨울, 서울", start_s=1, end_s=18, y=0.5, size=0.06)],
    # shop signs the camera pans past, shot after shot at about one height: a candidate, read as no credits
    "signs": [Caption(text="약국 PHARMACY", start_s=0, end_s=5, x=0.3, y=0.4, speed_x=0.04),
              Caption(text="서울역", start_s=5, end_s=10, x=0.6, y=0.42, speed_x=-0.05, size=0.06),
              Caption(text="OPEN 24H", start_s=10, end_s=15, x=0.4, y=0.45, speed_x=0.03),
              Caption(text="주차장 입구", start_s=15, end_s=20, x=0.5, y=0.4, speed_x=-0.04)],
    "ticker": [Caption(text="속보 · 서울 오늘 첫눈 · 내일 아침 영하 10도 · 주말까지 한파 이어져 · 교통 통제 구간 안내 · " * 2,
                       start_s=0, end_s=20, x=0.9, y=0.74, anchor="lm", speed_x=-0.12, plate="full", size=0.04)],
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(ONE_LINE))
def test_footage_with_one_line_of_text_is_no_credit_section(extractor, tmp_path: Path, kind: str):
    path = render_captioned_footage(FOOTAGE, ONE_LINE[kind], tmp_path / f"{kind}.mp4")
    reading = extractor.extract(path)
    assert reading.sections == [] and reading.lines == [], (kind, reading.sections, reading.lines)
    if kind in ("lower_third", "ticker"):  # not even a candidate: low, or running off the frame's sides
        assert extractor.locator.scan(path, probe_video(path, with_hash=False).duration_s).sections == []
