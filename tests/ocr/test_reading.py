"""The second look: which of several readings of one unsure line is kept."""

from __future__ import annotations

import pytest

from tests.ocr.conftest import draw_line
from vidsearch.ocr.engine import OcrLine
from vidsearch.ocr.reading import CropReading, _vote, read_crops


def reading(text: str, confidence: float, source: int = 0) -> CropReading:
    return CropReading(OcrLine(text, confidence), source)


def test_the_text_most_looks_agree_on_wins_over_a_surer_lone_misread():
    """안홍진 binarised at 40 px reads 안흥진 at 0.85; grey and smaller looks read 안홍진 less surely."""
    kept = _vote([reading("안흥진", 0.85), reading("안홍진", 0.80, 1), reading("안 홍진", 0.82, 1)])
    assert kept.line.text == "안 홍진" and kept.source == 1  # spaces aside they agree; the surer of the two


def test_without_agreement_the_surest_reading_is_kept():
    kept = _vote([reading("Colima", 0.70), reading("Colma", 0.90, 1), reading("Calma", 0.60, 2)])
    assert kept.line.text == "Colma"
    assert _vote([reading("김민수", 0.95)]).line.text == "김민수"


@pytest.mark.parametrize("below", [0.0, 1.0])
def test_read_crops_keeps_one_reading_per_crop_in_order(tesseract, below):
    """With no second look (below 0) and with every line looked at again (below 1), with real Tesseract."""
    crops = [draw_line(text, font_px=32) for text in ("촬영감독 김민수", "Director of Photography")]
    readings = read_crops(tesseract, crops, 40, second_look_below=below)
    assert [r.line.text for r in readings] == ["촬영감독 김민수", "Director of Photography"]
