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
CHANGED_LOOK = 0.8


def appearance(chip: np.ndarray) -> np.ndarray:
    """Zero-mean unit vector of the aligned face's centre in grey, ``_LOOK_PX`` square: cheap to compare."""
    grey = cv2.cvtColor(chip, cv2.COLOR_BGR2GRAY) if chip.ndim == 3 else chip
    h, w = grey.shape
    grey = cv2.resize(grey[h // 6: h - h // 6, w // 6: w - w // 6], (_LOOK_PX, _LOOK_PX),
                      interpolation=cv2.INTER_AREA).astype(np.float32).ravel()
    grey -= grey.mean()
    return grey / max(float(np.linalg.norm(grey)), 1e-6)


def one_clear_step(looks: list[np.ndarray | None]) -> int | None:
    """Index k where looks[k-1] → looks[k] is the only step whose correlation falls below ``STEADY_LOOK``."""
    if any(look is None for look in looks) or len(looks) < 2:
        return None
    low = [k for k in range(1, len(looks)) if float(looks[k - 1] @ looks[k]) < STEADY_LOOK]
    return low[0] if len(low) == 1 else None
