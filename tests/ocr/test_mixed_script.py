"""Latin capitals glued to Hangul (company names: ACC코리아, KBS미디어) read by script segment, real Tesseract."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ocr.conftest import draw_line
from testkit.credits.render import CreditFont
from vidsearch.ocr.engine import OcrWord
from vidsearch.ocr.mixed_script import find_spans
from vidsearch.ocr.preprocess import binarize_for_ocr
from vidsearch.ocr.settings import OcrSettings
from vidsearch.ocr.tesseract import TesseractEngine

# each of these lost or garbled its Latin head with kor+eng alone ("ACCZe]리아", "<미디어웍스", "05미디어", "『18엔터…")
MIXED = [("ACC코리아", CreditFont.GOTHIC, 28), ("SBS플러스", CreditFont.GOTHIC, 28),
         ("HB엔터테인먼트", CreditFont.GOTHIC, 28), ("CK미디어웍스", CreditFont.GOTHIC, 36),
         ("KT스튜디오지니", CreditFont.GOTHIC, 36), ("KBS미디어", CreditFont.GOTHIC_BOLD, 28),
         ("CJ엔터테인먼트", CreditFont.GOTHIC_BOLD, 28), ("YG엔터테인먼트", CreditFont.GOTHIC_BOLD, 28),
         ("KBS미디어", CreditFont.MYEONGJO, 28), ("JTBC스튜디오", CreditFont.MYEONGJO_BOLD, 28),
         ("ACC코리아", CreditFont.MYEONGJO_BOLD, 36)]
# lines the re-read must leave as they are: Hangul only, Latin only, a role beside a company, a Latin word apart
PLAIN = ["촬영감독 김민수", "Director of Photography", "CJ ENM", "제작 스튜디오드래곤", "Netflix", "쥬세페 토르나토레",
         "SBS A&T", "KBS 미디어"]


def _images(cases):
    return [binarize_for_ocr(draw_line(text, font_px=px, font=font)) for text, font, px in cases]


@pytest.fixture(scope="module")
def mixed_reads():
    images = _images(MIXED)
    on = [line.text for line in TesseractEngine().read_lines(images)]
    off = [line.text for line in TesseractEngine(OcrSettings(read_mixed_script=False)).read_lines(images)]
    return on, off


def test_latin_capitals_glued_to_hangul_are_read(mixed_reads):
    on, _ = mixed_reads
    assert [text for text in on] == [text for text, _, _ in MIXED]


def test_without_the_script_reread_those_lines_are_misread(mixed_reads):
    _, off = mixed_reads
    wrong = [text for (text, _, _), read in zip(MIXED, off) if read != text]
    assert len(wrong) == len(MIXED), off  # the cases above were picked because kor+eng alone misread them


def test_plain_lines_are_left_alone(tesseract):
    cases = [(text, font, 32) for text in PLAIN for font in (CreditFont.GOTHIC, CreditFont.MYEONGJO_BOLD)]
    on = [line.text for line in tesseract.read_lines(_images(cases))]
    off = [line.text for line in TesseractEngine(OcrSettings(read_mixed_script=False)).read_lines(_images(cases))]
    assert on == off
    assert sum(read == text for (text, _, _), read in zip(cases, on)) >= len(cases) - 2


def _strip(*runs: tuple[int, int], width: int = 300) -> np.ndarray:
    image = np.full((40, width), 255, np.uint8)
    for a, b in runs:
        image[10:30, a:b] = 0
    return image


def test_spans_need_doubt_or_unread_ink_glued_to_sure_hangul():
    sure_latin = [OcrWord("KBS", 10, 70, 0.95, 20), OcrWord("미디어", 72, 160, 0.95, 20)]
    image = _strip((10, 30), (34, 50), (54, 70), (72, 160))
    assert find_spans(sure_latin, image, 0) == []  # a clean, sure Latin head is not re-read
    dropped = [OcrWord("엔터테인먼트", 72, 160, 0.9, 20)]
    spans = find_spans(dropped, image, 0)  # ink left of the only word, glued to it: letters the read dropped
    assert len(spans) == 1 and spans[0].x0 == 10 and spans[0].x1 == 72 and spans[0].cuts[0] == 10
    apart = _strip((10, 50), (80, 160))  # a 30 px gap (1.5 text heights) is a space, not glue
    assert find_spans([OcrWord("엔터", 80, 160, 0.9, 20)], apart, 0) == []
    assert find_spans([OcrWord("Colma", 10, 160, 0.7, 20)], image, 0) == []  # no Hangul: not this pass

