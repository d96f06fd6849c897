"""A face's appearance: a tiny grey thumbnail of the aligned face, compared by correlation. Cheap enough for every
sighting, including the faces the quality gate refuses and never embeds, so tracking can notice a face that
changed at the same place (a cut between people framed alike) without an embedding."""

from __future__ import annotations

import cv2
import numpy as np

_LOOK_PX = 24  # side of the grey thumbnail an aligned face's appearance is compared on
# Normalised correlation of two aligned faces' appearance. On composed dev videos, faces of one person within
# 3 s correlate ≥ 0.976 (95 % of pairs); faces of different people at the same place ≤ 0.72. It only places a
# split the embeddings already demanded: a change between two checkpoints at one single step below it is where
# the split goes without bisecting. It never replaces an embedding check: composed videos repeat one photo per
# entrance, so a high correlation there says less about real footage than it seems to.
STEADY_LOOK = 0.9
# Below this correlation with the track's previous sighting a face is not the same face, whatever the boxes
# say: a cut between people framed alike that the shots stage missed. This check needs no embedding, so it
# also guards the faces the quality gate refuses (blurry, turned), which are never embedded and would otherwise
# carry a track across a cut unchecked. A false split costs one embedding and a track that clustering rejoins.
# Unless the detector placed the box anew and the frame inside the track's last box is unchanged
# (``place_appearance``, ``tracking._same_place``): then only the face was framed differently.
CHANGED_LOOK = 0.8


def appearance(chip: np.ndarray) -> np.ndarray:
    """Zero-mean unit vector of the aligned face's centre in grey, ``_LOOK_PX`` square: cheap to compare."""
    h, w = chip.shape[:2]
    return _look(chip[h // 6: h - h // 6, w // 6: w - w // 6])


def place_appearance(image: np.ndarray, box: np.ndarray) -> np.ndarray | None:
    """The appearance of the frame inside ``box`` (x1, y1, x2, y2), whatever face the detector found there: two
    frames compared at one box show whether the picture changed at that place, while two aligned faces also
    differ when only the detector framed the face differently (None: the box lies outside the frame)."""
    h, w = image.shape[:2]
    x1, y1 = max(0, int(round(box[0]))), max(0, int(round(box[1])))
    x2, y2 = min(w, int(round(box[2]))), min(h, int(round(box[3])))
    if x2 - x1 < 2 or y2 - y1 < 2:
        return None
    return _look(image[y1:y2, x1:x2])


def _look(region: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY) if region.ndim == 3 else region
    grey = cv2.resize(grey, (_LOOK_PX, _LOOK_PX), interpolation=cv2.INTER_AREA).astype(np.float32).ravel()
    grey -= grey.mean()
    return grey / max(float(np.linalg.norm(grey)), 1e-6)


def one_clear_step(looks: list[np.ndarray | None]) -> int | None:
    """Index k where looks[k-1] → looks[k] is the only step whose correlation falls below ``STEADY_LOOK``."""
    if any(look is None for look in looks) or len(looks) < 2:
        return None
    low = [k for k in range(1, len(looks)) if float(looks[k - 1] @ looks[k]) < STEADY_LOOK]
    return low[0] if len(low) == 1 else None
