"""What a video file is: its content hash (the video id) and stream facts from ffprobe.

Every way a file can be unusable becomes a ``MediaError`` naming the file and the reason, so ingest reports it and
goes on with the rest of the batch.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from vidsearch.errors import MissingDependency, NoVideoStream, UnreadableVideo

HASH_CHUNK = 8 << 20
VIDEO_ID_CHARS = 20


@dataclass(frozen=True)
class VideoProbe:
    path: str
    size_bytes: int
    content_hash: str
    duration_s: float
    fps: float  # average frame rate
    width: int  # as displayed, after rotation
    height: int
    rotation: int  # degrees clockwise the player rotates the stored picture
    codec: str
    variable_frame_rate: bool
    has_audio: bool

    @property
    def video_id(self) -> str:
        return self.content_hash[:VIDEO_ID_CHARS]


def _check_readable(path: Path) -> int:
    if not path.exists():
        raise UnreadableVideo(path, "no such file")
    if not path.is_file():
        raise UnreadableVideo(path, "not a regular file")
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except PermissionError:
        raise UnreadableVideo(path, "permission denied (cannot open for reading)") from None
    except OSError as exc:
        raise UnreadableVideo(path, f"cannot read: {exc.strerror or exc}") from None
    size = path.stat().st_size
    if size == 0:
        raise UnreadableVideo(path, "empty file (0 bytes)")
    return size


def content_hash(path: Path) -> str:
    """SHA-256 of the bytes: the same programme under two names is one video."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _ffprobe(path: Path) -> dict:
    exe = shutil.which("ffprobe")
    if exe is None:
        raise MissingDependency("ffprobe (ffmpeg)", "sudo apt-get install -y ffmpeg")
    proc = subprocess.run(
        [exe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", os.fspath(path)],
        capture_output=True, text=True, timeout=120,
    )
    if proc.returncode != 0:
        reason = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"ffprobe exit {proc.returncode}"
        if "moov atom not found" in proc.stderr:
            reason = "truncated or corrupt MP4 (moov atom not found)"
        elif "Invalid data found" in proc.stderr:
            reason = "not a media file ffmpeg can read (invalid data)"
        raise UnreadableVideo(path, reason)
    return json.loads(proc.stdout or "{}")


def _rate(text: str | None) -> float:
    try:
        value = Fraction(text or "0/1")
    except (ValueError, ZeroDivisionError):
        return 0.0
    return float(value) if value.denominator else 0.0


def _rotation(stream: dict) -> int:
    for side in stream.get("side_data_list", []):
        if "rotation" in side:
            return int(-float(side["rotation"])) % 360  # display matrix is counter-clockwise
    rotate = stream.get("tags", {}).get("rotate")
    return int(rotate) % 360 if rotate else 0


def probe_video(path: Path | str, *, with_hash: bool = True) -> VideoProbe:
    path = Path(path)
    size = _check_readable(path)
    info = _ffprobe(path)
    streams = info.get("streams", [])
    video = next(
        (s for s in streams if s.get("codec_type") == "video"
         and not s.get("disposition", {}).get("attached_pic")),
        None,
    )
    if video is None:
        kinds = sorted({s.get("codec_type", "?") for s in streams}) or ["none"]
        raise NoVideoStream(path, f"no video stream (streams: {', '.join(kinds)})")
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width <= 0 or height <= 0:
        raise UnreadableVideo(path, "video stream has no picture size")
    rotation = _rotation(video)
    if rotation in (90, 270):
        width, height = height, width
    avg = _rate(video.get("avg_frame_rate"))
    real = _rate(video.get("r_frame_rate"))
    duration = float(video.get("duration") or info.get("format", {}).get("duration") or 0.0)
    if duration <= 0:
        raise UnreadableVideo(path, "unknown or zero duration")
    return VideoProbe(
        path=str(path),
        size_bytes=size,
        content_hash=content_hash(path) if with_hash else "",
        duration_s=duration,
        fps=avg or real,
        width=width,
        height=height,
        rotation=rotation,
        codec=str(video.get("codec_name", "?")),
        variable_frame_rate=bool(avg and real and abs(avg - real) / real > 0.01),
        has_audio=any(s.get("codec_type") == "audio" for s in streams),
    )
