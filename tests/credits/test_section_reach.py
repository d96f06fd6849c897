"""Sections reach out past blank samples next to their credit-like ones: a card shown only between two scan
samples (a first card fading in from black at 0 s, gone before the next sample) is still read, and two rolls
stay two sections that never overlap."""

from __future__ import annotations

from vidsearch.credits.sections import CreditLocator, ScanSample
from vidsearch.credits.settings import CreditSettings


def _sections(pattern: str, settings: CreditSettings | None = None, step: float = 4.0):
    samples = [ScanSample(i * step, {"x": 3, "t": 1}.get(c, 0), c == "x") for i, c in enumerate(pattern)]
    return CreditLocator(settings or CreditSettings(), detector=None)._sections(samples, len(pattern) * step)


def test_a_card_between_samples_is_inside_the_section():
    # samples at 0 (black), 4 (between cards), 8 and 12 (cards): the card shown 1.3-3.7 s is seen by none
    [section] = _sections("..xx....")
    assert section.start_s == 0.0 and section.end_s == 20.0
    [one_sample_reach] = _sections("..xx....", CreditSettings(section_reach_samples=1))
    assert one_sample_reach.start_s == 4.0  # what the old reach missed


def test_a_neighbour_showing_text_is_the_edge():
    # footage with a subtitle (one line) before the roll: nothing hides between it and the roll's first sample
    [section] = _sections("..txx.t..")
    assert (section.start_s, section.end_s) == (8.0, 24.0)


def test_two_rolls_stay_apart():
    first, second = _sections("..xx.....xx...")
    assert first.end_s <= second.start_s
    assert (first.start_s, first.end_s, second.start_s, second.end_s) == (0.0, 20.0, 28.0, 48.0)
