"""Footage text the tracker cannot tell from a line (a lettered sign crossing the picture before the roll comes up,
in runs too short to show it moving its own way) is drawn in a colour none of the roll's lines share."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.credits_rolls import cases
from vidsearch.config import Settings
from vidsearch.credits.cleanup import edit_distance


@pytest.mark.slow
def test_a_sign_in_the_footage_before_the_roll_is_no_credit(roll_factory, tmp_path: Path):
    """The dev busy_texture roll (its filler left out): a yellow sign with green letters crosses the picture while
    the first lines come up. Read, it was credited as 'BU4N45E7AGNU' (and an orange '그' beside it)."""
    from vidsearch.credits.layout import parse_credit_lines
    from vidsearch.credits.pipeline import CreditExtractor

    case = next(c for c in cases("dev") if c.kind == "busy_texture")
    path, truth = roll_factory("dev-busy-texture", case.spec)
    extractor = CreditExtractor.from_settings(Settings(data_dir=tmp_path, log_level="WARNING"))
    section = extractor.reader.read(path, 0.0, 12.0)
    for line in section.lines:
        line.readable = extractor._readable(line) is None
    names = [n for c in parse_credit_lines(section.lines, case.spec.width) for n in c.names]
    drawn = [n for _, ns in truth.entries for n in ns] + [role for role, _ in truth.entries]
    assert len(names) >= 4, names
    strays = [n for n in names if min(edit_distance(n, d) for d in drawn) > len(n) // 2]
    assert not strays, names
