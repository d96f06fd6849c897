"""Locating credits shown card by card: short cards, faded, on a light picture, and a short clip of them.

Encoders put keyframes at scene changes, and a fade is one: the keyframe scan sampled a faded card roll only in its
fades (text barely there) and found no credits at all (fuzz-cards-2); a clip of two cut cards lay between the
scan's two samples (fuzz-cards-5). Real renders, the real detector."""

from __future__ import annotations

import pytest

from testkit.credits.render import CreditEntry, CreditRollSpec
from testkit.credits.spec import CreditBackground, CreditFont, CreditLayout, CreditMotion
from vidsearch.credits.sections import CreditLocator
from vidsearch.media.probe import probe_video

NAMES = ["김태관", "윤은경", "김보정", "유미경", "헤르더 그레이디", "배서스트 세빌", "팔라디오 하우얼스", "윌밍턴 비치",
         "Fort Deposit", "Togiak Uden", "Ogburn Massillon"]
ROLES = ["촬영감독", "조명감독", "편집", "음악", "미술감독", "의상", "분장", "동시녹음", "프로듀서", "각본", "감독"]


def _entries(n: int) -> list[CreditEntry]:
    return [CreditEntry(role=role, names=(name,)) for role, name in zip(ROLES[:n], NAMES[:n])]


@pytest.fixture(scope="module")
def faded_light_cards(roll_factory):
    spec = CreditRollSpec(entries=_entries(11), layout=CreditLayout.HEADING_LIST, motion=CreditMotion.CARDS,
                          background=CreditBackground.LIGHT, font=CreditFont.GOTHIC_BOLD.path, text_size=0.035,
                          role_scale=1.15, entry_gap=1.2, card_seconds=1.8, entries_per_card=1, fade_s=0.6, seed=2)
    return roll_factory("faded-light-cards", spec)


def _scan(locator: CreditLocator, path):
    return locator.scan(path, probe_video(path, with_hash=False).duration_s)


@pytest.mark.slow
def test_faded_short_cards_are_found_although_keyframes_fall_in_their_fades(extractor, faded_light_cards):
    path, truth = faded_light_cards
    locator = extractor.locator
    sparse = {"scan_min_samples": 1}  # one sample per scan_interval_s, as over a long programme

    def located(**update):
        return _scan(CreditLocator(locator.settings.model_copy(update=update), locator.detector), path).sections
    assert located(scan_lookahead_s=0.0, **sparse) == []  # the keyframes show the cards' fades only
    first = min(line.first_s for line in truth.lines)
    last = max(line.last_s for line in truth.lines)
    for sections in (located(**sparse), _scan(locator, path).sections):
        assert len(sections) == 1
        assert sections[0].start_s <= first and sections[0].end_s >= last


@pytest.mark.slow
def test_a_short_clip_of_two_cut_cards_is_found(extractor, roll_factory):
    spec = CreditRollSpec(entries=_entries(8), layout=CreditLayout.HEADING_LIST, motion=CreditMotion.CARDS,
                          font=CreditFont.MYEONGJO_BOLD.path, text_size=0.04, card_seconds=1.8, entries_per_card=4,
                          entry_gap=0.3, seed=5)
    path, truth = roll_factory("short-clip-cards", spec)
    [section] = _scan(extractor.locator, path).sections
    assert section.start_s <= min(line.first_s for line in truth.lines)
    assert section.end_s >= max(line.last_s for line in truth.lines)
    reading = extractor.extract(path)
    read = {name for line in reading.lines for name in line.names}
    assert len(read & set(NAMES[:8])) >= 6
