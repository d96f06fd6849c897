"""Cards that fade in and out over a moving picture, with names of rare syllables, read from the card's frames at
full contrast.

A card is detected once, as soon as it has settled — on a faded card before it has faded in all the way — and
its lines were read from that one frame: three looks of one crop that seldom agree, the surest winning (held-out
cards_fade read 5 of 21 names wrong). The same boxes are now cut from the card's later frames; the crop of the
highest contrast is read first and the others near the peak vote, while a card over black (the same pixels frame
after frame) is read as before. Real renders, the real detector and Tesseract."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.credits.render import CreditEntry, CreditRollSpec
from testkit.credits.spec import CreditBackground, CreditFont, CreditLayout, CreditMotion
from vidsearch.credits.still_frames import crop_contrast

# Hangul-written foreign names from the dev transliteration pairs, rare syllables (쥬, 뤼, 퀸, 쉐, 귈, 휫)
NAMES = ["쥬얼 브뤼셀", "퀸즐랜드·보클뤼즈", "야훼 쉐르", "아귈라 휫필드", "네브쉐히르 퀸스타운", "휫비 쥬얼",
         "Aguilar Whitfield", "Queenstown Scherr"]
ROLES = ["촬영감독", "조명감독", "편집", "음악", "미술감독", "의상", "분장", "동시녹음"]


def _spec(**knobs) -> CreditRollSpec:
    return CreditRollSpec(entries=[CreditEntry(role=r, names=(n,)) for r, n in zip(ROLES, NAMES)],
                          layout=CreditLayout.TWO_COLUMN, motion=CreditMotion.CARDS, font=CreditFont.GOTHIC.path,
                          text_size=0.035, entries_per_card=2, seed=3, **knobs)


def _lines(extractor, path: Path, end_s: float):
    """Each line's sightings as the reader picks them, beside every detected crop and later crop of the line."""
    reader = extractor.reader
    observations, *_ = reader._sample(path, 0.0, end_s, {}, None)
    return [(reader._sightings(track), track) for track in reader._track(observations)]


@pytest.mark.slow
def test_a_faded_card_is_read_at_its_peak_contrast_from_several_frames(extractor, roll_factory):
    spec = _spec(background=CreditBackground.MOVING_COLOUR, card_seconds=2.5, fade_s=1.2,
                 name_colour=(170, 170, 170))
    path, truth = roll_factory("faded-dim-cards", spec)
    lines = _lines(extractor, path, max(line.last_s for line in truth.lines) + 1.0)
    assert len(lines) >= 12
    for sightings, track in lines:
        crops = [o.crop for o in track.observations] + [p.crop for o in track.observations for _, p in o.peers]
        peak = max(crop_contrast(c) for c in crops)
        assert crop_contrast(sightings[0].crop) == peak
        assert len(sightings) >= 2  # the picture behind changes: other frames are other sightings
    assert sum(len(sightings) >= 3 for sightings, _ in lines) >= 8
    assert sum(crop_contrast(track.observations[0].crop) < 0.9 * crop_contrast(s[0].crop)
               for s, track in lines) >= 3  # detected while fading in: the frame read before


@pytest.mark.slow
def test_a_cut_card_over_black_is_one_sighting_as_before(extractor, roll_factory):
    path, truth = roll_factory("cut-cards-black", _spec(card_seconds=2.0))
    lines = _lines(extractor, path, max(line.last_s for line in truth.lines) + 1.0)
    assert len(lines) >= 12
    assert all(len(sightings) == 1 for sightings, _ in lines)  # the same pixels frame after frame: no new sighting
