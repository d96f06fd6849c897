"""Vertical alignment of consecutive frames of a credit section: how far the roll moved, and where it cut.

Each sampled frame becomes a small edge mask (text is dense, strong edges; the smooth or moving pictures behind
credits mostly are not). For each pair of frames the vertical shift is the one that maximises the masks'
intersection over union — computed for all shifts at once from one matrix product of row vectors — with a small
pull towards the previous shift (rolls scroll at a steady speed, and line pitches make some wrong shifts almost as
good). A pair where that shift finds less than ``min_recall`` of the previous frame's text again — or, standing
still, where the two pictures overlap less than ``still_min_iou`` — is a cut: a new card, or another roll.

Over busy moving footage the picture's own edges outnumber the text's, so the whole mask finds too little of the
previous frame again and every frame would look like a cut. Before calling a cut, the aligner therefore asks again
with only the edges that followed the roll from the frame before the previous one to the previous one (what moved
with the text; the footage moves its own way): if nearly all of those are found again, the roll goes on.

Footage busier still (stripes, grids, signs: a fifth of the frame in edges) defeats that test too: by chance much
of the footage "follows" any shift for one frame, and once a cut is called the chain is lost. The last resort
(``RollPersistence``) uses what only a roll does: it moves at one steady speed. Edges found at the same place on
the roll in each of the last frames, at one speed, are the roll's text (footage coincides with that by chance
only rarely, and shapes that move sideways never); if the current frame shows them again, the roll goes on.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

ALIGN_WIDTH = 320
ALIGN_ROWS = 360  # vertical resolution is what alignment measures, so it is kept higher than the width


def edge_mask(image: np.ndarray, width: int = ALIGN_WIDTH, rows: int = ALIGN_ROWS,
              threshold: float = 90.0) -> np.ndarray:
    """Bool mask of strong edges, ``width`` x ``rows`` cells, glyph edges joined along lines."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(gray, (width, min(rows, gray.shape[0])), interpolation=cv2.INTER_AREA).astype(np.float32)
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
    mask = (np.abs(gx) + np.abs(gy)) > threshold
    return cv2.dilate(mask.astype(np.uint8), np.ones((1, 3), np.uint8)).astype(bool)


def shift_scores(previous: np.ndarray, current: np.ndarray, shifts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(IoU, recall) of ``current`` against ``previous`` moved up by d rows, for each d in ``shifts``; recall is the
    share of the previous frame's text (where the two overlap) found again. Content scrolling up by d means
    current[y] == previous[y + d]. Many shifts share one matrix product of rows; a few are summed directly (the
    usual case: a window around the roll's last shift)."""
    a = previous.astype(np.float32)
    b = current.astype(np.float32)
    h = a.shape[0]
    gram = a @ b.T if len(shifts) > 48 else None  # gram[i, j] = overlap of previous row i with current row j
    cum_a = np.concatenate(([0.0], np.cumsum(a.sum(axis=1))))
    cum_b = np.concatenate(([0.0], np.cumsum(b.sum(axis=1))))
    iou = np.zeros(len(shifts), np.float32)
    recall = np.zeros(len(shifts), np.float32)
    for k, d in enumerate(int(d) for d in shifts):
        j0, j1 = max(0, -d), min(h, h - d)  # current rows j in [j0, j1) pair with previous rows j + d
        if j1 - j0 < h // 3:
            continue
        if gram is not None:
            inter = float(np.trace(gram, offset=-d))
        else:
            inter = float(np.einsum("ij,ij->", a[j0 + d:j1 + d], b[j0:j1]))
        count_a = cum_a[j1 + d] - cum_a[j0 + d]
        union = count_a + (cum_b[j1] - cum_b[j0]) - inter
        iou[k] = inter / union if union > 0 else 0.0
        recall[k] = inter / count_a if count_a > 0 else 0.0
    return iou, recall


def _subcell(values: np.ndarray, peak: int) -> float:
    """Parabolic refinement of a peak position: keeps per-pair rounding from adding up over a long roll."""
    if peak == 0 or peak == len(values) - 1:
        return 0.0
    left, centre, right = float(values[peak - 1]), float(values[peak]), float(values[peak + 1])
    denominator = left - 2 * centre + right
    return 0.0 if denominator >= 0 else float(np.clip(0.5 * (left - right) / denominator, -0.5, 0.5))


def _rows_moved(mask: np.ndarray, d: int) -> np.ndarray:
    """``out[y] = mask[y + d]`` (False outside): where content that scrolled up by ``d`` rows came from."""
    out = np.zeros_like(mask)
    h = mask.shape[0]
    if abs(d) < h:
        out[max(0, -d):min(h, h - d)] = mask[max(0, d):min(h, h + d)]
    return out


class RollPersistence:
    """Steady-speed test over the last ``depth`` frames: is the roll still moving on, and by how much?"""

    def __init__(self, depth: int = 4, min_found: float = 0.75, min_share: float = 0.002,
                 search_every: int = 6) -> None:
        self.depth = depth
        self.min_found = min_found  # share of the steady edges found again in the current frame
        self.min_share = min_share  # least share of the frame the steady edges must cover (text, not chance)
        self.search_every = search_every  # a search over all speeds (no usable hint) at most once per this many
        self.history: list[np.ndarray] = []  # the last ``depth`` masks, oldest first
        self.times: list[float] = []  # their times (sampled frames are not evenly spaced in a video's frames)
        self.hint: float | None = None  # the roll's last speed, mask rows per unit of time
        self._since_search = search_every

    def push(self, mask: np.ndarray, t: float) -> None:
        if self.history and self.history[-1].shape != mask.shape:
            self.history, self.times = [], []
        self.history = (self.history + [mask])[-self.depth:]
        self.times = (self.times + [t])[-self.depth:]

    def steady(self, speed: float) -> np.ndarray:
        """Edges of the last frame that were where a roll at ``speed`` carried them from, in each earlier frame."""
        last = self.history[-1].copy()
        for older, t in zip(self.history[:-1], self.times[:-1]):
            last &= _rows_moved(older, int(round(speed * (self.times[-1] - t))))
        return last

    def _best(self, mask: np.ndarray, shifts: np.ndarray, step: float) -> tuple[float, float, np.ndarray] | None:
        """(shift, share found, steady edges) of the speed whose steady edges ``mask`` shows most of, ``shifts`` (this
        step's) to choose from; None if none is found well enough."""
        best: tuple[int, float, float, np.ndarray] | None = None
        for d in shifts:
            if abs(d) < 1:
                continue
            steady = self.steady(d / step)
            count = int(steady.sum())
            if count < self.min_share * mask.size:
                continue
            found = int((steady & _rows_moved(mask, -int(round(d)))).sum())
            if found >= self.min_found * count and (best is None or found > best[0]):
                best = (found, float(d), found / count, steady)
        return None if best is None else best[1:]

    def follow(self, mask: np.ndarray, t: float, max_shift: int) -> tuple[float, float] | None:
        """(shift in mask rows since the last frame, share found again) if the steady edges of the last frames go
        on in ``mask`` at one speed; None otherwise (a cut, or footage only)."""
        if len(self.history) < self.depth or self.history[-1].shape != mask.shape or t <= self.times[-1]:
            return None
        step = t - self.times[-1]
        best = None
        if self.hint is not None and abs(self.hint * step) >= 1:
            guess = self.hint * step
            best = self._best(mask, np.arange(guess - 2.0, guess + 2.01, 0.25), step)
        if best is None and self._since_search >= self.search_every:
            self._since_search = 0
            coarse = self._coarse_shift(mask, max_shift, step)
            if coarse is not None:
                best = self._best(mask, np.arange(coarse - 1.0, coarse + 1.01, 0.25), step)
        self._since_search += 1
        if best is None:
            return None
        shift, share, steady = best
        # this step's shift to a fraction of a row, from the steady edges alone (the footage's do not pull it)
        shifts = np.arange(int(round(shift)) - 2, int(round(shift)) + 3)
        _, recall = shift_scores(steady, mask, shifts)
        peak = int(np.argmax(recall))
        shift = float(shifts[peak] + _subcell(recall, peak))
        self.hint = shift / step
        return shift, share

    def _coarse_shift(self, mask: np.ndarray, max_shift: int, step: float) -> float | None:
        """Whole-row shift of this step whose steady edges are most found again, on masks narrowed 4x (cheap)."""
        def narrow(m: np.ndarray) -> np.ndarray:
            w = m.shape[1] // 4 * 4
            return m[:, :w].reshape(m.shape[0], -1, 4).any(axis=2)
        frames = [narrow(m) for m in self.history]
        current = narrow(mask)
        span = max(step, self.times[-1] - self.times[0])
        limit = min(max_shift, int(mask.shape[0] / 2 * step / span))  # the steady edges must stay on screen
        best, best_found = None, 0
        for d in range(-limit, limit + 1):
            if abs(d) < 1:
                continue
            steady = frames[-1].copy()
            for older, t in zip(frames[:-1], self.times[:-1]):
                steady &= _rows_moved(older, int(round(d / step * (self.times[-1] - t))))
            found = int((steady & _rows_moved(current, -d)).sum())
            if found > best_found:
                best, best_found = float(d), found
        return best


class StillText:
    """A still card over moving footage: is the text layer of the last frames still there, unmoved?

    The footage beneath a card changes every frame, so against the whole previous picture a card looks cut at
    each frame; its text's own edges stay put. Edges found at the same place in each of the last ``depth`` frames
    (and enough of them to be text, not chance) that the current frame shows again are the card, still on screen.
    """

    def __init__(self, depth: int = 3, min_found: float = 0.8, min_share: float = 0.002) -> None:
        self.depth = depth
        self.min_found = min_found
        self.min_share = min_share
        self.history: list[np.ndarray] = []

    def push(self, mask: np.ndarray) -> None:
        if self.history and self.history[-1].shape != mask.shape:
            self.history = []
        self.history = (self.history + [mask])[-self.depth:]

    def holds(self, mask: np.ndarray, max_part: float) -> float | None:
        """Share of the still edges found again in ``mask`` if the card is still there; None otherwise. Only over
        moving footage: where the still edges are at least ``max_part`` of the last frame's, the whole picture
        stood still (a card on a plain or still background), and a low overlap with it is a real cut."""
        if len(self.history) < self.depth or self.history[-1].shape != mask.shape:
            return None
        still = np.logical_and.reduce(self.history)
        count = int(still.sum())
        if count < self.min_share * mask.size or count >= max_part * self.history[-1].sum():
            return None
        found = int((still & mask).sum()) / count
        return found if found >= self.min_found else None

    def still_edges(self) -> np.ndarray:
        return np.logical_and.reduce(self.history)


@dataclass(frozen=True)
class FrameAlignment:
    run: int  # frames of one run show one continuous picture of text (a roll, or one card)
    offset: float  # frame pixels the run has scrolled up since its first frame
    shift: float  # frame pixels moved since the previous frame (0 at a run's start)
    score: float  # share of the previous frame's text found again at the chosen shift (1.0 at a run's start)
    measured: bool = True  # False where the shift was assumed (a cut, or nothing on screen before)


class OnlineAligner:
    """Aligns frames as they are decoded, so a section is read in one pass without keeping its frames."""

    def __init__(self, max_shift_fraction: float = 0.35, min_recall: float = 0.8, still_min_iou: float = 0.85,
                 prior_weight: float = 0.15, followed_min_recall: float = 0.85, followed_min_share: float = 0.002,
                 followed_max_part: float = 0.7, steady_speed: bool = False, still_text: bool = False) -> None:
        self.max_shift_fraction = max_shift_fraction
        self.min_recall = min_recall
        self.still_min_iou = still_min_iou
        self.prior_weight = prior_weight
        self.followed_min_recall = followed_min_recall  # share of the followed edges found again to go on
        self.followed_min_share = followed_min_share  # least share of the mask the followed edges must cover
        self.followed_max_part = followed_max_part  # the followed edges are at most this part of the previous
        # frame's for the roll to be followed through a low overall recall (else the picture is plain: a cut)
        self._previous: np.ndarray | None = None
        self._pair: np.ndarray | None = None  # previous frame's edges that were also in the frame before it
        self._followed: np.ndarray | None = None  # ... and in the one before that (what moves with the roll)
        self._previous_shift = 0
        self._last: FrameAlignment | None = None
        self._shifts: dict[int, list[float]] = {}
        self.persistence = RollPersistence()
        self.steady_speed = steady_speed  # the last resort above (RollPersistence) is tried before a cut
        self.still = StillText() if still_text else None  # ... and, where nothing moved before, a still card
        self._frames = 0

    def speed(self, run: int) -> float:
        """Median |shift| per sampled frame of a run so far, in frame pixels (0 for a still card)."""
        shifts = self._shifts.get(run)
        return float(np.median(np.abs(shifts))) if shifts else 0.0

    def _rolls_beside(self, previous: np.ndarray, mask: np.ndarray, max_shift: int) -> bool:
        """Whether the picture beside the still edges moved as one piece: a roll scrolling under a still logo, not
        footage moving its own way under a still card (a roll on a plain ground, held by a channel bug's edges,
        stood still for seconds and lost its rows)."""
        assert self.still is not None
        still = self.still.still_edges()
        rest_before, rest = previous & ~still, mask & ~still
        if not rest_before.any() or not rest.any():
            return False
        shifts = np.arange(-max_shift, max_shift + 1)
        iou, recall = shift_scores(rest_before, rest, shifts)
        best = int(np.argmax(iou))
        return shifts[best] != 0 and recall[best] >= self.min_recall

    def _follow(self, followed: np.ndarray | None, mask: np.ndarray, max_shift: int) -> tuple[int, float, float] | None:
        """(shift index offset, shift, recall) of the edges that followed the roll, if they are found again in
        ``mask``; None if there are too few of them or they are lost (a real cut)."""
        if followed is None or followed.mean() < self.followed_min_share:
            return None
        shifts = np.arange(-max_shift, max_shift + 1)
        iou, recall = shift_scores(followed, mask, shifts)
        penalty = self.prior_weight * np.abs(shifts - self._previous_shift) / max_shift
        best = int(np.argmax(recall - penalty))
        if recall[best] < self.followed_min_recall:
            return None
        return int(shifts[best]), _subcell(recall, best), float(recall[best])

    @staticmethod
    def _kept(previous: np.ndarray, mask: np.ndarray, shift: int) -> np.ndarray:
        """Edges of ``mask`` that were in ``previous`` ``shift`` rows lower (one row of slack): they moved with the
        roll."""
        moved = np.zeros_like(mask)
        h = mask.shape[0]
        j0, j1 = max(0, -shift), min(h, h - shift)
        if j1 > j0:
            moved[j0:j1] = previous[j0 + shift:j1 + shift]
        moved = cv2.dilate(moved.astype(np.uint8), np.ones((3, 1), np.uint8)).astype(bool)
        return mask & moved

    def add(self, mask: np.ndarray, frame_height: int, t: float | None = None) -> FrameAlignment:
        """``t``: the frame's time (sampled frames of a video are not evenly spaced); None: evenly spaced."""
        t = float(self._frames) if t is None else t
        self._frames += 1
        try:
            return self._add(mask, frame_height, t)
        finally:
            self.persistence.push(mask, t)
            if self.still is not None:
                self.still.push(mask)

    def _add(self, mask: np.ndarray, frame_height: int, t: float) -> FrameAlignment:
        previous, last, followed, pair = self._previous, self._last, self._followed, self._pair
        self._previous, self._followed, self._pair = mask, None, None
        if previous is None or last is None or previous.shape != mask.shape:
            self._last = FrameAlignment(0 if last is None else last.run + 1, 0.0, 0.0, 1.0, measured=False)
            return self._last
        scale = frame_height / mask.shape[0]
        if not previous.any():  # nothing on screen before: text entering (a roll's start, a card after black)
            shift = self._previous_shift * scale
            self._last = FrameAlignment(last.run, last.offset + shift, shift, 1.0, measured=False)
        else:
            max_shift = max(1, int(mask.shape[0] * self.max_shift_fraction))
            window = max(2, int(mask.shape[0] * 0.03))
            shifts = np.arange(max(-max_shift, self._previous_shift - window),
                               min(max_shift, self._previous_shift + window) + 1)
            iou, recall = shift_scores(previous, mask, shifts)
            best = int(np.argmax(iou))
            if recall[best] < self.min_recall or best in (0, len(shifts) - 1):  # no clear local peak: search all
                shifts = np.arange(-max_shift, max_shift + 1)
                iou, recall = shift_scores(previous, mask, shifts)
                penalty = self.prior_weight * np.abs(shifts - self._previous_shift) / max_shift
                best = int(np.argmax(iou - penalty))
            # continuity means the previous frame's text is found again, moved: text entering at the bottom
            # lowers the IoU but not this; a new card (even of the same layout) leaves much of it unexplained.
            # Standing still must mean the same picture: a card against itself overlaps almost entirely, the
            # next card of the same layout (centred lines at the same heights) only in part
            still = shifts[best] == 0 and iou[best] < self.still_min_iou
            # a still card before (measured, not moving) is no roll: its lines stay put, and the next card's at the
            # same heights would pass for text carried at a small steady speed
            was_still = last.measured and abs(last.shift) < scale
            # ... nor does it leap: from standing still, a move must show the same picture moved (the next card of
            # one layout, rows at one pitch, finds most of the last card's edges again a few rows off: a cut)
            leap = was_still and shifts[best] != 0 and iou[best] < self.still_min_iou
            # only where much of the previous picture did not follow the roll (footage moving its own way): on
            # a still or plain background every edge follows, and a low recall is a real cut
            busy = followed is not None and followed.sum() < self.followed_max_part * previous.sum()
            cut = recall[best] < self.min_recall or still or leap
            kept = self._follow(followed, mask, max_shift) if busy and cut and not leap else None
            steady = self.persistence.follow(mask, t, max_shift) \
                if self.steady_speed and cut and kept is None and not was_still else None
            # a still card over moving footage: the roll was not moving (a card, or a cut just before), and the
            # edges that stayed put over the last frames are found again where they were
            moving = last.measured and abs(last.shift) >= scale
            stays = self.still.holds(mask, self.followed_max_part) \
                if self.still is not None and cut and kept is None and steady is None and not moving else None
            if stays is not None and self._rolls_beside(previous, mask, max_shift):
                stays = None
            if stays is not None:
                self._previous_shift = 0
                self._last = FrameAlignment(last.run, last.offset, 0.0, stays)
            elif kept is not None:  # busy footage around text that goes on moving with the roll
                self._previous_shift = kept[0]
                shift = (kept[0] + kept[1]) * scale
                self._last = FrameAlignment(last.run, last.offset + shift, shift, kept[2])
            elif steady is not None:  # busier footage still: the roll's steady edges go on
                self._previous_shift = int(round(steady[0]))
                shift = steady[0] * scale
                self._last = FrameAlignment(last.run, last.offset + shift, shift, steady[1])
            elif cut:
                self._previous_shift = 0
                self._last = FrameAlignment(last.run + 1, 0.0, 0.0, float(recall[best]), measured=False)
            else:
                self._previous_shift = int(shifts[best])
                shift = (self._previous_shift + _subcell(iou, best)) * scale
                self._last = FrameAlignment(last.run, last.offset + shift, shift, float(recall[best]))
            if self._last.measured and abs(self._last.shift) >= scale and len(self.persistence.times):
                step = t - self.persistence.times[-1]
                self.persistence.hint = self._last.shift / scale / step if step > 0 else None
            moved = self._previous_shift if kept is not None or steady is not None or stays is not None \
                else int(shifts[best])
            self._pair = self._kept(previous, mask, moved)
            self._followed = self._kept(pair, mask, moved) if pair is not None else None
        self._shifts.setdefault(self._last.run, []).append(self._last.shift)
        return self._last


def align_frames(masks: list[np.ndarray], frame_height: int, steady_speed: bool = False, still_text: bool = False
                 ) -> list[FrameAlignment]:
    """Offsets and runs for frames in time order (masks from ``edge_mask``), evenly spaced in time."""
    aligner = OnlineAligner(steady_speed=steady_speed, still_text=still_text)
    return [aligner.add(mask, frame_height) for mask in masks]
