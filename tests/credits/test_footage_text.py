"""Text in the footage behind a roll is not a credit, and a roll the aligner cut over busy footage is read once:
the decisions on tracks, given where the roll was at each detection."""

from __future__ import annotations

import cv2
import numpy as np

from vidsearch.credits.align import FrameAlignment
from vidsearch.credits.footage import covered_by_main_roll, main_roll, off_the_roll
from vidsearch.credits.reader import _Observation, _same_picture, _Track
from vidsearch.ocr.geometry import Box

HEIGHT = 720
SPEED = 40.0  # frame pixels per second, the roll moving up


def _crop(text: str, seed: int) -> np.ndarray:
    """A line's picture: light letters on a textured dark ground."""
    rng = np.random.default_rng(seed)
    image = (rng.random((40, 260, 3)) * 60).astype(np.uint8)
    cv2.putText(image, text, (6, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (240, 240, 240), 2, cv2.LINE_AA)
    return image


def _timeline(run: int, start: float, end: float, offset0: float = 0.0) -> list[tuple[float, FrameAlignment]]:
    times = np.arange(start, end, 0.25)
    return [(float(t), FrameAlignment(run, offset0 + SPEED * (t - start), SPEED * 0.25, 0.9, measured=k > 0))
            for k, t in enumerate(times)]


def _seen(t: float, run: int, roll_y: float, offset: float, crop: np.ndarray, x0: int = 500) -> _Observation:
    y = int(round(roll_y - offset - 20))
    return _Observation(t, run, offset, Box(x0, y, x0 + crop.shape[1], y + crop.shape[0]), crop, HEIGHT)


def test_a_line_riding_the_roll_is_kept_and_a_sign_that_moves_its_own_way_is_footage():
    timeline = _timeline(0, 0.0, 12.0)
    offset = {t: a.offset for t, a in timeline}
    detections = [2.0, 4.0, 6.0, 8.0, 10.0]
    credit, sign = _crop("Marsing Symington", 1), _crop("BU4N45E7AGNU", 2)
    line = _Track([_seen(t, 0, 900.0, offset[t], credit) for t in detections[1:]])  # on screen from t = 4 on
    # the sign drifts down while the roll goes up: each detection sees it at another roll position
    footage = [_seen(t, 0, 300.0 + 3 * SPEED * t, offset[t], sign, x0=200) for t in detections]
    by_time: dict[float, list[_Observation]] = {}
    for obs in line.observations + footage:
        by_time.setdefault(obs.t, []).append(obs)
    assert not off_the_roll(line, timeline, by_time, _same_picture)
    assert off_the_roll(_Track([footage[1]]), timeline, by_time, _same_picture)
    # a line the detector missed once is still a line (seen at 3 of the 4 detections that could see it)
    by_time[6.0] = [o for o in by_time[6.0] if o not in line.observations]
    assert not off_the_roll(line, timeline, by_time, _same_picture)


def test_too_short_a_run_decides_nothing():
    timeline = _timeline(3, 0.0, 0.5)
    sign = _crop("BU4N45E7AGNU", 2)
    track = _Track([_seen(0.25, 3, 300.0, timeline[1][1].offset, sign)])
    assert not off_the_roll(track, timeline, {0.25: track.observations}, _same_picture)


def test_a_short_run_before_the_main_roll_is_read_by_the_main_roll_where_it_covers_it():
    """The aligner cut over busy footage for a few frames, then followed the roll for long: what the short run
    saw where the main roll later showed that part of the roll on screen is left to the main roll."""
    early = _timeline(1, 2.0, 2.5)
    main = _timeline(2, 3.0, 20.0)
    timeline = early + main
    roll = main_roll(timeline, HEIGHT)
    assert roll is not None and roll[0] == 2 and abs(roll[2] - SPEED) < 1.0
    detections = {3.25, 5.0, 7.0, 9.0, 11.0, 13.0}
    crop = _crop("Leake County", 3)
    # seen at 2.25 at frame y 600 (run 1's own offsets): the main roll shows it at frame y 570 at 3.0, then higher
    seen_early = _seen(2.25, 1, 600.0 + early[1][1].offset, early[1][1].offset, crop)
    assert covered_by_main_roll(_Track([seen_early]), roll, timeline, detections)
    # a line of the main roll itself, a line the main roll never had on screen, and one long before it are kept
    own = _seen(5.0, 2, 900.0, main[8][1].offset, crop)
    assert not covered_by_main_roll(_Track([own]), roll, timeline, detections)
    below = _seen(2.25, 1, 400.0, early[1][1].offset, crop)
    assert not covered_by_main_roll(_Track([below]), roll, timeline, {3.25})
    long_before = _Observation(-60.0, 0, 0.0, Box(500, 300, 760, 340), crop, HEIGHT)
    assert not covered_by_main_roll(_Track([long_before]), roll, timeline, detections)


def test_no_main_roll_among_still_cards():
    cards = [(t * 0.25, FrameAlignment(int(t // 12), 0.0, 0.0, 1.0, measured=t % 12 > 0)) for t in range(48)]
    assert main_roll(cards, HEIGHT) is None


def _read(text: str, confidence: float, x0: int, width: int, roll_y: float, first: float, last: float, run: int = 0):
    from vidsearch.credits.reader import ReadLine

    y0 = int(roll_y) - 15
    return ReadLine(text, confidence, (), Box(x0, y0, x0 + width, y0 + 30), run, roll_y, first, last, first)


def test_two_reads_at_one_place_of_the_roll_at_one_time_are_one_line():
    """Tracking split a line over busy footage; the two tracks were read differently (이덕희 / 에텍회): one line,
    the surer read. A role and its name on one row, a piece of a row, and a later card at the same place stay."""
    from vidsearch.credits.places import same_place

    line = _read("이덕희", 0.97, 672, 110, 713.5, 13.25, 24.0)
    split = _read("에텍회", 0.64, 664, 112, 714.4, 15.0, 18.5)
    assert same_place(line, split) and same_place(split, line)
    role = _read("미술", 0.97, 560, 100, 714.0, 13.0, 23.5)  # its box reaches a little into the name's
    assert not same_place(line, role)
    row = _read("박희권   최유정", 0.9, 560, 300, 714.0, 13.0, 23.5)
    assert not same_place(row, line)
    assert not same_place(line, _read("에텍회", 0.64, 664, 112, 714.4, 15.0, 18.5, run=1))
    assert not same_place(line, _read("이정진", 0.9, 672, 110, 713.0, 24.5, 30.0))


def test_the_reader_keeps_the_surer_read_of_a_split_line(credit_settings):
    from vidsearch.credits.reader import SectionReader

    reader = SectionReader(credit_settings.credits, detector=None, engine=None)  # dedupe needs neither
    kept = reader._dedupe([_read("에텍회", 0.64, 664, 112, 714.4, 15.0, 18.5),
                           _read("이덕희", 0.97, 672, 110, 713.5, 13.25, 24.0),
                           _read("미술", 0.97, 560, 100, 714.0, 13.0, 23.5)])
    assert sorted(k.text for k in kept) == sorted(["미술", "이덕희"])
