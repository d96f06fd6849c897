"""Telling a logo that stays put from roll lines that cross the same place in the frame at different times."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from testkit.credits.spec import CreditFont
from vidsearch.credits.pictures import _alike_throughout, _box_iou
from vidsearch.credits.reader import SectionReader, _Observation, _same_picture
from vidsearch.ocr.geometry import Box

FRAME_H = 720
PITCH = 150  # the roll moves this many pixels between two detections


def crop(text: str, width: int = 200, height: int = 50) -> np.ndarray:
    image = Image.new("RGB", (width, height), (0, 0, 0))
    font = ImageFont.truetype(str(CreditFont.GOTHIC.path), 34)
    ImageDraw.Draw(image).text((width // 2, height // 2), text, font=font, fill=(255, 255, 255), anchor="mm")
    return np.asarray(image)[:, :, ::-1].copy()


def sighting(text: str, t: int, frame_y: int, x0: int = 540) -> _Observation:
    """A piece seen at detection ``t`` with its top at ``frame_y``; the run's offset grows by PITCH a detection."""
    picture = crop(text)
    box = Box(x0, frame_y, x0 + picture.shape[1], frame_y + picture.shape[0])
    return _Observation(float(t), 0, float(t * PITCH), box, picture, FRAME_H)


def test_alike_headings_crossing_one_place_are_roll_lines_and_a_logo_is_an_overlay():
    """"촬영감독" and "조명감독" (two lines of one roll, same width, half their glyphs shared) pass the frame's
    y = 400 at detections 0 and 2 — the picture check alone calls them one static piece, and both headings
    were lost (fast_scroll). Each is seen again where the roll carried it, so neither is an overlay; the
    corner logo seen at one place in every detection is."""
    assert _same_picture(crop("촬영감독"), crop("조명감독"))  # what made them look like a logo before
    observations = []
    for t in range(4):
        for roll_top, text in ((400, "촬영감독"), (400 + 2 * PITCH, "조명감독")):
            frame_y = roll_top - t * PITCH
            if 10 < frame_y < FRAME_H - 60:
                observations.append(sighting(text, t, frame_y))
        observations.append(sighting("KBS 2", t, 20, x0=1000))
    SectionReader._mark_static(observations)
    static = {(o.t, o.box.y0) for o in observations if o.static}
    assert static == {(float(t), 20) for t in range(4)}


def test_the_same_title_twice_in_a_roll_is_not_a_logo():
    """A roll printing "조연출" under two departments: both rows cross the same frame place, picture identical."""
    observations = []
    for t in range(4):
        for roll_top in (500, 500 + 3 * PITCH):
            frame_y = roll_top - t * PITCH
            if 10 < frame_y < FRAME_H - 60:
                observations.append(sighting("조연출", t, frame_y))
    SectionReader._mark_static(observations)
    assert not any(o.static for o in observations)


def card_sighting(text: str, card: int, frame_y: int = 400, x0: int = 540) -> _Observation:
    """A piece of still card ``card`` (one run per card, detected once at t = card), its box fitted to the text."""
    width = int(ImageFont.truetype(str(CreditFont.GOTHIC.path), 34).getlength(text)) + 16
    picture = crop(text, width=width)
    box = Box(x0, frame_y, x0 + picture.shape[1], frame_y + picture.shape[0])
    return _Observation(float(card), card, 0.0, box, picture, FRAME_H)


def test_alike_titles_at_one_place_on_different_cards_are_credits_and_a_logo_on_every_card_is_an_overlay():
    """Cards of one layout put each card's role at the same place: "음악" (card 0) and "음향" (card 2) share a
    syllable and pass the whole-picture check, as do "연출" (card 3) and "조연출" (card 4) — they were taken for a
    logo and those roles were lost (fuzz-cards-7). A logo on every card, at one place, still is one."""
    titles = ["음악", "프로듀서", "음향", "연출", "조연출"]
    names = ["김민수", "Adairsville Schimel", "이서", "오난·게르만·먼즈", "박", "정애리", "Fort Deposit", "유미경"]
    assert _same_picture(crop("음악"), crop("음향"))  # what made them look like a logo before
    observations = [card_sighting(title, k) for k, title in enumerate(titles)]
    for k in range(len(titles)):  # three names under each title, other names on each card
        observations += [card_sighting(names[(k + j) % len(names)], k, frame_y=470 + 70 * j) for j in range(3)]
    observations += [card_sighting("KBS 2", k, frame_y=20, x0=1000) for k in range(len(titles))]
    SectionReader._mark_static(observations)
    static = {(o.t, o.box.y0) for o in observations if o.static}
    assert static == {(float(k), 20) for k in range(len(titles))}


def test_a_title_whose_glyphs_are_found_in_another_only_one_way_is_no_logo():
    """"편집" (card 0) and "편곡" (card 1) at one place: each third of 편집 is found in 편곡 (집's strokes inside
    곡's), not each third of 편곡 in 편집. Checked one way only they were one logo and both roles were lost
    (fuzz-cards-1303, names credited under no role)."""
    font = ImageFont.truetype(str(CreditFont.MYEONGJO_BOLD.path), 30)

    def card_piece(text: str, card: int, x0: int = 540, y0: int = 240) -> _Observation:
        width = int(font.getlength(text)) + 16
        image = Image.new("RGB", (width, 55), (0, 0, 0))
        ImageDraw.Draw(image).text((width // 2, 27), text, font=font, fill=(255, 255, 255), anchor="mm")
        picture = np.asarray(image)[:, :, ::-1].copy()
        return _Observation(float(card), card, 0.0, Box(x0, y0, x0 + width, y0 + 55), picture, FRAME_H)

    titled = [card_piece("편집", 0), card_piece("편곡", 1)]
    assert _same_picture(titled[0].crop, titled[1].crop)  # what made them look like one logo
    names = [card_piece("김인문", 0, x0=680), card_piece("Sammy Simpsonville", 1, x0=680),
             card_piece("그뢰즈·칭골라", 0, x0=680, y0=320), card_piece("황윤미", 1, x0=680, y0=320)]
    observations = titled + names
    SectionReader._mark_static(observations)
    assert not any(o.static for o in observations)


def test_alike_titles_two_cards_apart_are_no_logo_when_the_card_between_does_not_show_it():
    """"편집" (card 0) and "편곡" (card 2) at one place, a softened picture that passes every stroke check; card 1
    sets a wider title over that place ("미술·소품" — it covers the place only in part, so it did not count as
    the place holding other text). A logo shows on every card between: one that card 1 lacks is no logo
    (fuzz-cards-1310: 소품 and 조명 lost, their names credited under no role)."""
    font = ImageFont.truetype(str(CreditFont.GOTHIC.path), 30)

    def card_piece(text: str, card: int, x0: int, y0: int = 240) -> _Observation:
        width = int(font.getlength(text)) + 16
        image = Image.new("RGB", (width, 55), (0, 0, 0))
        ImageDraw.Draw(image).text((width // 2, 27), text, font=font, fill=(255, 255, 255), anchor="mm")
        picture = cv2.GaussianBlur(np.asarray(image)[:, :, ::-1].copy(), (0, 0), 1.0)
        return _Observation(float(card), card, 0.0, Box(x0, y0, x0 + width, y0 + 55), picture, FRAME_H)

    first, wider, last = card_piece("편집", 0, 540), card_piece("미술·소품", 1, 496), card_piece("편곡", 2, 540)
    assert _same_picture(first.crop, last.crop) and _alike_throughout(first, last)  # what made them one logo
    assert _box_iou(first.box, wider.box) < 0.6
    names = [card_piece(name, card, 680) for card, name in enumerate(["김인문", "황윤미", "Sammy Simpsonville"])]
    observations = [first, wider, last, *names]
    SectionReader._mark_static(observations)
    assert not any(o.static for o in observations)
