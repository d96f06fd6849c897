"""Writing synthetic videos with the ffmpeg CLI (``cv2.VideoWriter`` cannot write H.264 here).

Used by the demo, the tests and the benchmarks to render footage with known content: frames are piped to ffmpeg
as raw RGB and encoded with libx264, so the files carry real compression artefacts.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import ImageFont

from vidsearch.errors import MissingDependency

FONT_DIR = Path("/usr/share/fonts/truetype/nanum")


@lru_cache(maxsize=32)
def korean_font(size: int, family: str = "NanumGothic", bold: bool = False) -> ImageFont.FreeTypeFont:
    """A Nanum font (Debian's fonts-nanum) at ``size`` px; it draws Hangul and Latin alike."""
    path = FONT_DIR / f"{family}{'Bold' if bold else ''}.ttf"
    if not path.is_file():
        raise MissingDependency(f"font {path.name}", "sudo apt-get install -y fonts-nanum")
    return ImageFont.truetype(str(path), size)


def write_video(frames: Iterable[np.ndarray], path: Path, fps: float, size: tuple[int, int], *,
                crf: int = 23, preset: str = "veryfast", extra_args: Iterable[str] = ()) -> Path:
    """Encode RGB uint8 frames of ``size`` (width, height) to an H.264 MP4 at ``path``."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise MissingDependency("ffmpeg", "sudo apt-get install -y ffmpeg")
    width, height = size
    path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [ffmpeg, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
           "-r", str(fps), "-i", "-", *extra_args, "-c:v", "libx264", "-preset", preset, "-crf", str(crf),
           "-pix_fmt", "yuv420p", str(path)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    try:
        for frame in frames:
            if frame.shape != (height, width, 3) or frame.dtype != np.uint8:
                raise ValueError(f"frame shape {frame.shape} {frame.dtype}, expected ({height}, {width}, 3) uint8")
            proc.stdin.write(frame.tobytes())
    finally:
        proc.stdin.close()
        stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        code = proc.wait()
    if code != 0:
        raise RuntimeError(f"ffmpeg failed writing {path}: {stderr.strip()}")
    return path
