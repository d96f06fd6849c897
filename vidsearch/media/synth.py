"""Writing synthetic videos with the ffmpeg CLI (``cv2.VideoWriter`` cannot write H.264 here).

Used by the demo, the tests and the benchmarks to render footage with known content: frames are piped to ffmpeg
as raw RGB and encoded with libx264, so the files carry real compression artefacts.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

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


@dataclass(frozen=True)
class Scene:
    """A shot of synthetic footage: caption lines (burnt in, white on a black box) over a vertical gradient with
    moving coloured squares, so consecutive shots differ the way real cuts do."""

    lines: Sequence[str]
    top: tuple[int, int, int]
    bottom: tuple[int, int, int]
    seconds: float


def gradient(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]) -> np.ndarray:
    w, h = size
    mix = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    column = (1 - mix) * np.array(top, np.float32) + mix * np.array(bottom, np.float32)
    return np.repeat(column, w, axis=1).astype(np.uint8)


def scene_frames(scene: Scene, size: tuple[int, int], fps: float, seed: int = 0) -> Iterator[np.ndarray]:
    rng = np.random.default_rng(seed)
    w, h = size
    base = Image.fromarray(gradient(size, scene.top, scene.bottom))
    draw = ImageDraw.Draw(base)
    font_sizes = [max(12, h // 11), max(10, h // 16)]
    y = h - sum(f + f // 2 for f in font_sizes[: len(scene.lines)]) - h // 12
    text_top = y
    for i, text in enumerate(scene.lines):
        size_px = font_sizes[min(i, len(font_sizes) - 1)]
        font = korean_font(size_px, bold=True)
        width = draw.textlength(text, font=font)
        x = (w - width) / 2
        draw.rectangle((x - size_px // 3, y - size_px // 5, x + width + size_px // 3, y + size_px * 1.25), fill=(0, 0, 0))
        draw.text((x, y), text, font=font, fill=(255, 255, 255))
        y += size_px + size_px // 2
    frame = np.asarray(base)
    band = max(text_top - 20, 40) if scene.lines else h
    blobs = rng.integers(0, [w, band], size=(6, 2))
    velocity = rng.integers(-6, 7, size=(6, 2))
    colours = rng.integers(0, 256, size=(6, 3), dtype=np.uint8)
    half = max(4, w // 40)
    for i in range(int(round(scene.seconds * fps))):
        out = frame.copy()
        for (x, y0), (dx, dy), colour in zip(blobs, velocity, colours, strict=True):
            cx, cy = int(x + dx * i) % w, int(y0 + dy * i) % band
            out[max(cy - half, 0):cy + half, max(cx - half, 0):cx + half] = colour
        yield out


def render_scenes(path: Path, scenes: Sequence[Scene], size: tuple[int, int] = (640, 360), fps: float = 25,
                  **kwargs) -> Path:
    """Encode ``scenes`` back to back; scene i starts at the sum of the earlier scenes' seconds."""

    def frames() -> Iterator[np.ndarray]:
        for i, scene in enumerate(scenes):
            yield from scene_frames(scene, size, fps, seed=i)

    return write_video(frames(), path, fps, size, **kwargs)
