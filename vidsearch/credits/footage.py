"""Text in the footage behind a roll (a sign, a shop front, a caption in the picture) is not a credit.

A credit line rides on the roll: at every detection while its roll position is on screen, the detector finds it
there again. Text in the footage moves its own way (or stands still while the roll moves), so at its roll position
the next detections find something else, or nothing. A track seen at fewer than half of the detections that
should have seen it — at least three — is footage. Only a run the aligner followed for a while can tell (its
offsets say where the roll position was at each detection); over a run of one or two frames nothing is decided.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from vidsearch.credits.align import FrameAlignment

if TYPE_CHECKING:
    from vidsearch.credits.reader import _Observation, _Track


def off_the_roll(track: _Track, timeline: Sequence[tuple[float, FrameAlignment]],
                 by_time: dict[float, list[_Observation]], same_picture: Callable[..., bool],
                 min_expected: int = 3, min_seen: float = 0.5) -> bool:
    """True if ``track`` is footage text: not found again where the roll carried it (see the module's doc)."""
    ref = track.ranked()[0]
    if ref.static:
        return False
    height = ref.frame_height
    margin = 0.01 * height
    top, bottom = ref.box.y0 + ref.offset, ref.box.y1 + ref.offset
    tolerance = 0.5 * ref.box.height
    expected = seen = 0
    for t, alignment in timeline:
        if t not in by_time or alignment.run != ref.run or not (alignment.measured or t == ref.t):
            continue
        if top - alignment.offset <= margin or bottom - alignment.offset >= height - margin:
            continue  # not entirely on screen then
        expected += 1
        seen += any(abs(obs.roll_y - ref.roll_y) <= tolerance
                    and obs.box.x_overlap(ref.box) >= 0.5 * max(1, min(obs.box.width, ref.box.width))
                    and (obs is ref or same_picture(obs.crop, ref.crop, min_correlation=0.5))
                    for obs in by_time[t] if obs.run == ref.run)
    return expected >= min_expected and seen < min_seen * expected


def main_roll(timeline: Sequence[tuple[float, FrameAlignment]], frame_height: int, min_frames: int = 8,
              min_speed: float = 0.02) -> tuple[int, float, float] | None:
    """(run, offset at time 0, speed in frame pixels per second) of the run followed longest while moving at least
    ``min_speed`` frame heights per second, fitted over its measured frames; None without one."""
    by_run: dict[int, list[tuple[float, float]]] = {}
    for t, alignment in timeline:
        if alignment.measured:
            by_run.setdefault(alignment.run, []).append((t, alignment.offset))
    best: tuple[int, float, float] | None = None
    for run, points in sorted(by_run.items(), key=lambda item: -len(item[1])):
        if len(points) < min_frames:
            break
        times, offsets = np.array(points).T
        speed, base = np.polyfit(times, offsets, 1)
        if abs(speed) >= min_speed * frame_height:
            best = (run, float(base), float(speed))
            break
    return best


def covered_by_main_roll(track: _Track, main: tuple[int, float, float],
                         timeline: Sequence[tuple[float, FrameAlignment]], detections: set[float],
                         min_covered: int = 2) -> bool:
    """True if ``track`` (of another run) lies where the main roll's detections saw that part of the roll entirely
    on screen at least ``min_covered`` times: whatever credit is there, the main roll read it; what the other run
    saw there is the same line again (a cut the aligner made over busy footage) or footage."""
    run, base, speed = main
    ref = track.ranked()[0]
    if ref.static or ref.run == run:
        return False
    main_times = [t for t, a in timeline if a.run == run and a.measured]
    if not main_times or min(abs(ref.t - t) for t in main_times) > 2 * ref.frame_height / abs(speed):
        return False  # too far from the main roll to carry its motion over
    offset = base + speed * ref.t  # the main roll's offset, had it been followed at this time
    top, bottom = ref.box.y0 + offset, ref.box.y1 + offset
    margin = 0.01 * ref.frame_height
    covered = sum(1 for t, a in timeline if t in detections and a.run == run and a.measured
                  and top - a.offset > margin and bottom - a.offset < ref.frame_height - margin)
    return covered >= min_covered
