"""A read that names letters the picture cannot hold (an i without its dot) gets the second look: real Tesseract."""

from __future__ import annotations

from tests.ocr.conftest import draw_line
from testkit.credits.render import CreditFont
from vidsearch.ocr.engine import OcrLine, OcrWord
from vidsearch.ocr.glyphs import dotless_i
from vidsearch.ocr.preprocess import binarize_for_ocr
from vidsearch.ocr.reading import read_crops, read_sightings


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
