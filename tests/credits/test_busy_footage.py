"""A roll over footage busier than its text (striped, gridded and lettered patches moving their own ways, some
drifting up): followed as one roll at its steady speed, each line read once and paired with its role."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.credits.render import CreditBackground, CreditLayout, CreditRollSpec
from testkit.credits.scoring import score_pairs
from vidsearch.config import Settings


@pytest.fixture(scope="module")
def busy_roll(roll_factory, entries):
    spec = CreditRollSpec(entries=entries(31, n=7, english_share=0.3), layout=CreditLayout.TWO_COLUMN,
                          width=1280, height=720, fps=12, background=CreditBackground.BUSY, footage_speed=2.0,
                          footage_texture=10, scroll_speed=0.08, seed=31)
    return roll_factory("busy-texture", spec)


@pytest.mark.slow
def test_a_roll_over_footage_busier_than_its_text_is_read_once_and_paired(busy_roll, tmp_path: Path):
    """Without the steady-speed test the aligner cuts this roll frame after frame: 8 of 11 pairs right among 104
    credits found (each line read again in every short run, the signs' lettering with them)."""
    from vidsearch.credits.layout import parse_credit_lines
    from vidsearch.credits.pipeline import CreditExtractor

    path, truth = busy_roll
    settings = Settings(data_dir=tmp_path, log_level="WARNING")  # the steady-speed test is on by default
    extractor = CreditExtractor.from_settings(settings)
    section = extractor.reader.read(path, 0.0, truth.duration_s)  # the roll's whole span: the reader, not the scan
    for line in section.lines:
        line.readable = extractor._readable(line) is None
    credits = parse_credit_lines(section.lines, 1280)
    pairs = score_pairs(truth, [(c.role_text, n, c.time) for c in credits for n in c.names])
    assert pairs.correct_pairs >= 0.9 * pairs.true_pairs, pairs.errors
    assert pairs.found_pairs <= 3 * pairs.true_pairs, [n for c in credits for n in c.names]
    assert len({line.run for line in section.lines}) <= 8
