"""Settings for face detection, tracking, clustering, archive identities and search by photo.

Thresholds left at ``None`` take the calibrated value of the configured backend (``vidsearch.faces.models``
documents where each number comes from); set them to override.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class FaceSettings(BaseModel):
    backend: Literal["dlib", "insightface"] = "dlib"
    model: str = Field(
        "buffalo_l", description="insightface model pack name (under model_root/models/) or folder"
    )
    model_root: str | None = Field(None, description="insightface model root (folder holding models/<name>/)")
    det_size: int = Field(640, ge=128, description="insightface detector input size (square)")
    threads: int = Field(1, ge=1, description="inference threads per model instance")
    gpu: bool = Field(False, description="insightface: run ONNX on CUDA (needs onnxruntime-gpu)")

    # sampling and detection
    sample_fps: float = Field(2.0, gt=0, le=30, description="frames per second decoded for faces")
    detect_width: int = Field(640, ge=160, description="frames are scaled to at most this width to detect")
    coarse_detect_width: int | None = Field(
        320, ge=80, description="between full passes frames are detected at this width (large faces), plus "
        "full-resolution regions around tracked faces it missed; None: a full pass on every frame")
    full_detect_every: int = Field(
        4, ge=1, description="a full detection pass every this many sampled frames (and after every cut)")
    upsample: int = Field(1, ge=0, le=2, description="dlib pyramid upsampling (1 finds faces from ~40 px)")
    dlib_detector: Literal["hog", "cnn"] = Field(
        "hog",
        description="dlib: HOG (frontal, ~0.15 s/frame here) or the MMOD CNN (any pose, ~8 s/frame on CPU)",
    )

    # quality gate (before embedding)
    min_face_px: int = Field(36, ge=8, description="smallest face side, in pixels of the original frame")
    min_sharpness: float = Field(
        5.0, ge=0, description="variance of the Laplacian of the aligned face; on dev, faces down to 5 embed as "
        "close to their own identity as sharp ones (bench/faces_calibrate.py), and a refused face never embeds")
    min_det_score: float | None = Field(None, description="detector score floor (None: backend default)")
    max_yaw: float = Field(0.75, gt=0, le=1, description="extreme-pose gate on the landmark yaw proxy (0..1)")

    # tracking
    tracking: bool = Field(True, description="link faces across frames and embed only each track's best ones")
    track_iou: float = Field(0.2, gt=0, lt=1, description="IoU below which a link is never considered")
    track_iou_sure: float = Field(
        0.5, gt=0, le=1, description="IoU at or above which a link is made at once (checked at the next checkpoint)"
    )
    track_max_gap_s: float = Field(1.5, ge=0, description="a track missing this long is closed")
    track_check_s: float = Field(
        3.0, gt=0, description="a track embeds a checkpoint face this often; links between checkpoints are "
        "verified by it (and bisected where it jumped)")
    track_split_distance: float | None = Field(
        None, description="checkpoint-to-checkpoint distance above which a track is split (None: the backend's, "
        "else the match distance)")
    faces_per_track: int = Field(3, ge=1, description="best checkpoint faces averaged into a track's vector")
    mirror_best_face: bool = Field(
        False, description="a track's vector also averages the mirror images of the faces it is made of (up to "
        "faces_per_track embeddings more per track): dlib is not mirror-symmetric, and under pose spread one "
        "person's entrances turned either way were parted (held-out-like dev, bench/faces_track_vectors.py, 16 "
        "runs: one person's farthest track 0.409 -> 0.386 from its own, per-video F1 min 0.769 -> 0.883, split "
        "people 2 -> 1; strangers' nearest 0.340 -> 0.341). Off: it costs 25-40 % more faces-stage CPU "
        "(bench/faces_stage_speed.py: 11.0 -> 14.7 CPU-s per video-minute, the real Hamilton clip 4.1x -> 3.0x "
        "real time). Until stop 21 only the best face was mirrored")
    recheck_jitters: int = Field(
        4, ge=0, le=8, description="two tracks whose distance lies within recheck_band of the cluster "
        "distance are embedded again as the mean of this many jittered copies of their best face; beyond the "
        "backend's recheck distance they never form one person (0: no re-check; backends that cannot jitter "
        "never re-check)")
    recheck_band: float = Field(0.06, ge=0, le=1, description="the uncertain band: from this far below the "
                                "cluster distance to 0.02 above it")
    recheck_min_face_px: int = Field(
        60, ge=8, description="tracks whose best face is smaller are not re-checked: the re-check distance was "
        "measured on faces of 63-76 px, and smaller faces of one person spread farther apart jittered")

    # persons within a video
    match_distance: float | None = Field(
        None, description="same-person distance (None: backend's calibrated)"
    )
    cluster_distance: float | None = Field(None, description="track clustering distance (None: backend's)")
    merge_gap_s: float = Field(2.0, ge=0, description="appearances closer than this merge into one")
    min_person_faces: int = Field(
        2, ge=1, description="persons seen in fewer faces are dropped: one sampled frame (under a second on "
        "screen) is a dissolve's blend of two people or a flash, not an appearance")
    thumbnails_per_person: int = Field(3, ge=0)
    thumbnail_size: int = Field(160, ge=32)

    # archive identities
    link_identities: bool = Field(True, description="attach each new video's persons to archive identities")
    identity_distance: float | None = Field(None, description="person → identity distance (None: backend's)")

    # search by photo
    max_photo_bytes: int = Field(25 << 20, ge=1024, description="largest photo file accepted")
    max_photo_pixels: int = Field(
        50_000_000, ge=10_000, description="largest photo (width x height) accepted"
    )
    search_k: int = Field(10, ge=1, le=1000, description="videos returned by default")
    exclusive_match_distance: float | None = Field(
        None, ge=0, le=2, description="a person matched farther than this (and within the match distance) is "
        "returned only when its archive identity is the nearest identity to the photo: a look-alike alone in "
        "its video lies in the same band as a person's farthest true photos (None: the backend's split "
        "distance, dlib 0.37; 2: off)")
    query_jitters: int = Field(
        4, ge=0, le=8, description="the query photo's face is embedded as the mean of this many jittered copies "
        "(the re-check's fixed set): one photo's single pass wanders as far as look-alikes lie apart (0 or 1: "
        "one pass; backends without a re-check distance always embed once)")
