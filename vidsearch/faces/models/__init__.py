"""Face models behind one protocol (``FaceModel``): dlib (offline default) and insightface (production).

``load_face_model`` returns one shared instance per configuration, so a Serve replica or an ingest actor loads
weights once however many requests or videos it handles.
"""

from __future__ import annotations

from dataclasses import dataclass

from vidsearch.faces.models.base import (
    Calibration,
    DetectedFace,
    FaceModel,
    distance_of,
    distance_of_score,
    normalised,
)
from vidsearch.faces.settings import FaceSettings
from vidsearch.models.cache import cached
from vidsearch.models.checksum import path_signature

__all__ = [
    "Calibration",
    "DetectedFace",
    "calibration_of",
    "describe_face_model",
    "FaceModel",
    "distance_of",
    "distance_of_score",
    "load_face_model",
    "normalised",
    "Thresholds",
    "thresholds",
]

def _key(settings: FaceSettings, local_files_only: bool) -> tuple:
    if settings.backend == "dlib":
        return ("dlib", settings.upsample, settings.dlib_detector)
    return (
        "insightface",
        settings.model,
        settings.model_root,
        settings.det_size,
        settings.gpu,
        settings.threads,
        local_files_only,
        settings.min_det_score,
        path_signature(settings.model_root or ""),
    )


def load_face_model(settings: FaceSettings, local_files_only: bool = True) -> FaceModel:
    return cached("face", _key(settings, local_files_only), lambda: _build(settings, local_files_only))


def describe_face_model(settings: FaceSettings, local_files_only: bool = True) -> tuple[str, int]:
    """(identity, dims) for the index to record, without touching a GPU: the ingest driver calls this before
    any worker starts. dlib's are constants; an insightface pack is opened on the CPU to read them."""
    if settings.backend == "dlib":
        from vidsearch.faces.models.dlib_resnet import DlibFaceModel

        return DlibFaceModel.identity, DlibFaceModel.dims
    model = load_face_model(settings.model_copy(update={"gpu": False}), local_files_only)
    return model.identity, model.dims


def _build(settings: FaceSettings, local_files_only: bool) -> FaceModel:
    if settings.backend == "dlib":
        from vidsearch.faces.models.dlib_resnet import DlibFaceModel

        return DlibFaceModel(upsample=settings.upsample, detector=settings.dlib_detector)
    from vidsearch.faces.models.insightface_buffalo import CALIBRATION, InsightFaceModel

    floor = settings.min_det_score if settings.min_det_score is not None else CALIBRATION.min_det_score
    return InsightFaceModel(
        settings.model,
        settings.model_root,
        settings.det_size,
        local_files_only,
        settings.gpu,
        settings.threads,
        det_thresh=min(0.3, floor),
    )


@dataclass(frozen=True)
class Thresholds:
    """The effective thresholds: configured overrides, else the backend's calibration."""

    match_distance: float
    cluster_distance: float
    identity_distance: float
    min_det_score: float
    split_distance: float | None = None  # the backend's (FaceSettings.track_split_distance overrides it in
    # the tracker only: the single-sample join, the search band and one-track identities keep the backend's)
    recheck_distance: float | None = None  # the backend's jittered re-check of uncertain track pairs


def calibration_of(settings: FaceSettings) -> Calibration:
    """The configured backend's calibration without loading its weights (the ingest driver links identities
    with it)."""
    if settings.backend == "dlib":
        from vidsearch.faces.models.dlib_resnet import CALIBRATION
    else:
        from vidsearch.faces.models.insightface_buffalo import CALIBRATION
    return CALIBRATION


def thresholds(settings: FaceSettings, model: FaceModel | None = None) -> Thresholds:
    """Configured overrides, else the calibration of ``model`` (or of the configured backend)."""
    calibration = model.calibration if model is not None else calibration_of(settings)
    names = ("match_distance", "cluster_distance", "identity_distance", "min_det_score")
    configured = {name: getattr(settings, name) for name in names}
    return Thresholds(
        **{name: getattr(calibration, name) if value is None else value for name, value in configured.items()},
        split_distance=calibration.split_distance,
        recheck_distance=calibration.recheck_distance if settings.recheck_jitters else None,
    )
