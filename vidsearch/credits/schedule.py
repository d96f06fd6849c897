"""When to run the text detector while reading a credit section (the detector is the costly step; the aligner
runs on every sampled frame)."""

from __future__ import annotations

import numpy as np

from vidsearch.credits.align import FrameAlignment
from vidsearch.credits.settings import CreditSettings


class DetectionSchedule:
    """When to run the detector: once a run's text has settled (continuity with the previous frame, and
    ``settle_s`` into the run), then every ``detect_interval_s`` while it scrolls; on a still picture, again only
    when its text changed (text appearing after black belongs to the same run) — and never on an empty frame."""

    def __init__(self, settings: CreditSettings) -> None:
        self.settings = settings
        self.run_start: dict[int, float] = {}
        self.last: dict[int, tuple[float, np.ndarray]] = {}
        self.last_any = -np.inf

    def _storm(self, t: float) -> bool:
        """Alignment cutting frame after frame (credits over busy moving video: the picture's edges move on
        their own): no run ever settles, so detect every ``detect_interval_s`` regardless."""
        recent = [start for start in self.run_start.values() if t - start <= 1.5]
        return len(recent) >= 4

    def due(self, t: float, alignment: FrameAlignment, mask: np.ndarray, moving: bool,
            crossing_s: float = np.inf) -> bool:
        """``crossing_s``: how long the roll takes to cross the frame; a fast roll is detected often enough to see
        every line whole about three times."""
        s = self.settings
        start = self.run_start.setdefault(alignment.run, t)
        if mask.mean() < 0.0005:
            return False
        if self._storm(t):
            if t - self.last_any >= s.detect_interval_s:
                self.last_any = t
                self.last[alignment.run] = (t, mask)
                return True
            return False
        if not alignment.measured or t - start < s.settle_s:
            return False
        previous = self.last.get(alignment.run)
        if previous is None:
            due = True
        elif moving:
            due = t - previous[0] >= min(s.detect_interval_s, crossing_s / 3)
        else:
            seen = previous[1]
            overlap = float((seen & mask).sum()) / max(1.0, float((seen | mask).sum()))
            due = overlap < 0.85 or t - previous[0] >= 4 * s.detect_interval_s
        if due:
            self.last[alignment.run] = (t, mask)
            self.last_any = t
        return due
