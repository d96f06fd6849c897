"""A read that names letters the picture cannot hold (an i without its dot) gets the second look: real Tesseract."""

from __future__ import annotations

import numpy as np

from tests.ocr.conftest import draw_line
from testkit.credits.render import CreditFont
from vidsearch.ocr.engine import OcrLine, OcrWord
from vidsearch.ocr.glyphs import dotless_i, unread_ink
from vidsearch.ocr.preprocess import binarize_for_ocr
from vidsearch.ocr.reading import CropReading, _vote, read_crops, read_sightings


def test_a_broken_serif_m_read_as_im_is_read_again(tesseract):
    crop = draw_line("Colma", font_px=28, font=CreditFont.MYEONGJO)  # its m binarises into three strokes
    image = binarize_for_ocr(crop, 40)
    first = tesseract.read_lines([image])[0]
    assert first.text == "Colima" and first.confidence > 0.8  # the sure misread the check exists for
    assert dotless_i(first, image)
    assert read_crops(tesseract, [crop], 40)[0].line.text == "Colma"


def test_dotted_letters_that_are_there_pass(tesseract):
    names = ["Colin Firth", "Jim Carrey", "Lili Taylor", "Mia Wasikowska", "Nick Park", "Emilia Clarke"]
    for font in (CreditFont.GOTHIC, CreditFont.MYEONGJO_BOLD):
        images = [binarize_for_ocr(draw_line(n, font_px=28, font=font), 40) for n in names]
        for name, image, line in zip(names, images, tesseract.read_lines(images)):
            assert line.text == name
            assert not dotless_i(line, image), name


def test_a_read_without_latin_i_is_not_checked():
    image = binarize_for_ocr(draw_line("김민지 Colma", font_px=28), 40)
    assert not dotless_i(OcrLine("김민지 Colma", 0.9, (OcrWord("김민지", 10, 100, 0.9), OcrWord("Colma", 120, 220, 0.9))),
                         image)
    assert dotless_i(OcrLine("김민지 Colima", 0.9, (OcrWord("김민지", 10, 100, 0.9), OcrWord("Colima", 120, 260, 0.9))),
                     image)


def test_sightings_that_all_misread_the_same_way_do_not_outvote_the_second_look(tesseract):
    crop = draw_line("Colma", font_px=28, font=CreditFont.MYEONGJO)
    assert tesseract.read_lines([binarize_for_ocr(crop, 40)])[0].text == "Colima"
    [(line, _)] = read_sightings(tesseract, [[crop, crop.copy(), crop.copy()]], 40)
    assert line.text == "Colma"


def test_dots_cut_by_a_tight_crop_are_still_dots(tesseract):
    """A detector box that ends at the top of the i's dots: the speck cleaner erases marks touching the crop's edge
    (bits of a neighbouring line), the dots with them. The check looks at the picture with its marks kept, so a
    right read is not sent to the second look, whose reads ran the words together (demo scene text:
    'Seoul skyline at night' → 'Seoulskylineatnight', which no query for 'night' finds)."""
    text = "Seoul skyline at night"
    crop = draw_line(text, font_px=28)
    rows = np.flatnonzero((crop.max(axis=2) > 128).any(axis=1))  # white text on black
    tight = np.ascontiguousarray(crop[rows[0]:])  # the box starts at the ink's top: the dots touch its edge
    cleaned = binarize_for_ocr(tight, 40)
    line = tesseract.read_lines([cleaned])[0]
    assert line.text == text
    assert dotless_i(line, cleaned)  # the cleaned picture lost the dots: the old check fired here
    assert not dotless_i(line, binarize_for_ocr(tight, 40, keep_marks=True))
    reading = read_crops(tesseract, [tight], 40)[0]
    assert (reading.line.text, reading.dotless) == (text, False)


def test_a_read_that_leaves_a_glyph_of_ink_unread_is_doubted(tesseract):
    """Tesseract read a cleanly binarised heading 분장·미용 as 장·미용 at 0.95 (dev cards_headings): its first word
    boxed where 장 starts, 분's ink left of every box. The same read with a word missing from either end (or the
    middle) leaves that word's ink unread; the whole read covers its ink, in every font and size."""
    for font in CreditFont:
        for px in (24, 32):
            image = binarize_for_ocr(draw_line("분장·미용 김민수", font_px=px, font=font), 40)
            whole = tesseract.read_lines([image])[0]
            assert whole.text.replace(" ", "").startswith("분장"), (font, px, whole.text)
            assert not unread_ink(whole, image), (font, px)
            words = sorted(whole.words, key=lambda w: w.x0)
            for lost in (words[0], words[-1]):
                kept = tuple(w for w in words if w is not lost)
                assert unread_ink(OcrLine("".join(w.text for w in kept), whole.confidence, kept), image), lost.text


def test_right_reads_of_names_leave_no_ink_unread(tesseract):
    names = ["쥬세페 토르나토레", "Michael Beugg", "CJ ENM", "김민수   박지영", "Seoul skyline at night", "조명 감독",
             "색보정", "ACC코리아", "워새치·마다와스카"]
    for font in CreditFont:
        images = [binarize_for_ocr(draw_line(n, font_px=28, font=font), 40) for n in names]
        for name, image, line in zip(names, images, tesseract.read_lines(images)):
            if line.text.replace(" ", "") == name.replace(" ", ""):
                assert not unread_ink(line, image), (font, name)


def test_a_read_that_left_letters_out_does_not_vote():
    lost = CropReading(OcrLine("장·미용", 0.95), 1, lost_ink=True)
    kept = _vote([CropReading(OcrLine("장·Os", 0.67), 0, lost_ink=True), lost, CropReading(OcrLine("분장-미용", 0.91), 1)])
    assert kept.line.text == "분장-미용"
    assert _vote([lost]).line.text == "장·미용"  # with nothing else, the doubted read is still a read
