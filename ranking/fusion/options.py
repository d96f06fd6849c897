"""The fusion methods and score normalisations a profile, a request or the settings can name."""

from __future__ import annotations

from enum import StrEnum


class FusionMethod(StrEnum):
    WEIGHTED = "weighted"
    RRF = "rrf"


class Normalization(StrEnum):
    MINMAX = "minmax"
    ZSCORE = "zscore"
    MAX = "max"
