"""Test videos with exact ground truth, composed from labelled photos: who is on screen, where, and when.

A video is a list of shots; each shot has a background and the faces shown for its whole length (each a square
crop around the face in a labelled photo, optionally drifting across the frame). Frames are drawn with numpy
and encoded by the ffmpeg CLI (H.264, like broadcast files), so the decoder, the sampler and the cut detector
all see a real video. ``plan_videos`` makes a seeded set of such videos for the benchmarks, keeping one photo
of each person out of every video to serve as that person's search query.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from vidsearch.errors import MissingDependency
from testkit.faces.devdata import LabelledPhoto
from vidsearch.faces.models import FaceModel
from vidsearch.faces.persons import merge_spans


@dataclass(frozen=True)
class Capture:
    """Lighting and recording of one entrance, applied to the face crop: the dev photos are sharp, evenly lit
    portraits, so without this one person's faces vary far less than a real programme's (or a public face
    set's) and thresholds chosen on them split real people."""

    gain: float = 1.0  # brightness factor
    gamma: float = 1.0  # >1 darkens the mid-tones, <1 lifts them
    cast: tuple[float, float, float] = (1.0, 1.0, 1.0)  # per-channel (B, G, R) factors: tungsten, daylight
    side_light: float = 0.0  # -1..1: one half of the face darker (key light from the other side)
    resolution: float = 1.0  # the face was recorded at this fraction of its size, then scaled back (soft)
    jpeg: int = 0  # re-encoded at this JPEG quality (0: not)
    # pose of this entrance (``posed``): the same photo is not the same picture twice in a programme
    mirrored: bool = False  # seen from the other side (a head turned the other way, a flipped camera)
    roll: float = 0.0  # head tilt, degrees
    turn: float = 0.0  # head turn, -1..1 (``turned``'s perspective warp), on top of the placement's yaw

    @staticmethod
    def random(rng: random.Random, strength: float = 1.0, resolution_strength: float | None = None) -> Capture:
        """A seeded capture; ``strength`` 0 gives the photo as is, 1 the spread of an archive's programmes.
        ``resolution_strength`` (default ``strength``) scales the lost resolution alone: above 1 the loss passes
        the whole picture (``1 - 0.65 * 2`` is negative, clamped to a 12 px crop: a face a few pixels wide, far
        below the quality gate's ``min_face_px``), so a lighting stress can keep resolution at 1. The draws are
        the same either way: one seed gives one lighting."""
        def spread(width: float) -> float:
            return rng.uniform(-width, width) * strength

        lost = strength if resolution_strength is None else resolution_strength
        return Capture(gain=1.0 + spread(0.35), gamma=float(np.exp(spread(0.4))),
                       cast=(1.0 + spread(0.12), 1.0, 1.0 + spread(0.12)), side_light=spread(0.5),
                       resolution=1.0 - rng.uniform(0.0, 0.65) * lost,
                       jpeg=rng.choice([0, 0, 60, 35]) if strength else 0)

    def posed(self, rng: random.Random, strength: float) -> Capture:
        """This capture with a seeded pose drawn on top: mirrored half the time, tilted up to ±10° and turned
        up to ±0.3 times ``strength`` — a programme shows one photo's person from either side and at angles no
        portrait has (a public face set's photos vary this way; the dev portraits mostly face the camera).
        Drawn from its own draws, so seeds without pose keep their pictures."""
        return replace(self, mirrored=rng.random() < 0.5 * min(1.0, strength),
                       roll=rng.uniform(-10.0, 10.0) * strength, turn=rng.uniform(-0.3, 0.3) * strength)


def entrance_capture(rng: random.Random, pose_rng: random.Random, strength: float,
                     resolution: float | None = None, pose: float = 0.0) -> Capture | None:
    """One entrance's capture: lighting/recording from ``rng`` (only when ``strength``), pose from ``pose_rng``
    (only when ``pose``); None when neither."""
    capture = Capture.random(rng, strength, resolution) if strength else None
    if pose:
        capture = (capture or Capture()).posed(pose_rng, pose)
    return capture


def captured(crop: np.ndarray, capture: Capture) -> np.ndarray:
    """``crop`` as ``capture`` records it."""
    size = crop.shape[0]
    if capture.turn:
        crop = turned(crop, capture.turn)
    if capture.roll:
        matrix = cv2.getRotationMatrix2D((size / 2, size / 2), capture.roll, 1.0)
        crop = cv2.warpAffine(crop, matrix, (size, size), borderMode=cv2.BORDER_REPLICATE)
    if capture.mirrored:
        crop = np.ascontiguousarray(crop[:, ::-1])
    out = crop.astype(np.float32) / 255.0
    if capture.side_light:
        ramp = np.linspace(-1.0, 1.0, crop.shape[1], dtype=np.float32)[None, :, None]
        out *= 1.0 - 0.45 * np.clip(ramp * capture.side_light, 0.0, 1.0)
    out = np.power(np.clip(out * capture.gain, 0.0, 1.0), capture.gamma)
    out *= np.array(capture.cast, np.float32)[None, None, :]
    out = np.clip(out * 255.0, 0, 255).astype(np.uint8)
    if capture.resolution < 0.999:
        small = max(12, int(round(size * capture.resolution)))
        out = cv2.resize(cv2.resize(out, (small, small), interpolation=cv2.INTER_AREA), (size, size),
                         interpolation=cv2.INTER_LINEAR)
    if capture.jpeg:
        ok, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, capture.jpeg])
        if ok:
            out = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return out


@dataclass(frozen=True)
class Placement:
    photo: LabelledPhoto
    x: float  # centre, as a fraction of the frame width
    y: float
    size: int  # side of the face crop in pixels (the face fills about half of it)
    drift: tuple[float, float] = (0.0, 0.0)  # pixels per second
    yaw: float = 0.0  # head turn, -1..1: the crop is warped in perspective so one side recedes (0 = as shot)
    capture: Capture | None = None  # how this entrance was lit and recorded (None: as the photo is)


@dataclass(frozen=True)
class ComposedShot:
    start_s: float
    end_s: float
    background: tuple[int, int, int]
    faces: tuple[Placement, ...] = ()
    fade_in_s: float = 0.0  # a crossfade from the previous shot over this shot's first seconds (0 = hard cut)


@dataclass
class ComposedVideo:
    name: str
    shots: list[ComposedShot]
    width: int = 640
    height: int = 360
    fps: float = 10.0
    path: Path | None = None

    @property
    def duration_s(self) -> float:
        return self.shots[-1].end_s if self.shots else 0.0

    def truth(self) -> dict[str, list[tuple[float, float]]]:
        """Identity → the time spans it is on screen (adjacent shots joined)."""
        spans: dict[str, list[tuple[float, float]]] = {}
        for shot in self.shots:
            for identity in {p.photo.identity for p in shot.faces}:
                spans.setdefault(identity, []).append((shot.start_s, shot.end_s))
        return {k: merge_spans(v, 1e-6) for k, v in sorted(spans.items())}

    def identity_at(self, t: float, box: Sequence[float]) -> str | None:
        """Who is shown at time t where ``box`` (x1, y1, x2, y2) is, if anyone. In the first half of a
        crossfade the outgoing shot's face dominates the picture, so it is the answer there."""
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        for k, shot in enumerate(self.shots):
            if shot.start_s <= t < shot.end_s:
                shown = shot
                if k and shot.fade_in_s and t - shot.start_s < shot.fade_in_s / 2:
                    shown = self.shots[k - 1]
                for placement in shown.faces:
                    px, py = self._centre(placement, t - shown.start_s)
                    if abs(cx - px) < placement.size / 2 and abs(cy - py) < placement.size / 2:
                        return placement.photo.identity
        return None

    def _centre(self, placement: Placement, dt: float) -> tuple[float, float]:
        return (placement.x * self.width + placement.drift[0] * dt,
                placement.y * self.height + placement.drift[1] * dt)


def face_crop(photo: Path, model: FaceModel, size: int) -> np.ndarray:
    """A square crop of the photo's largest face, the face about half its side, resized to ``size``."""
    image = cv2.imread(str(photo), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"cannot read {photo}")
    faces = model.detect(image, 800)
    if not faces:
        raise ValueError(f"no face found in {photo}")
    x1, y1, x2, y2 = max(faces, key=lambda f: f.area).box
    side = 2.0 * max(x2 - x1, y2 - y1)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2 - 0.05 * side
    pad = int(side)
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    left, top = int(cx - side / 2) + pad, int(cy - side / 2) + pad
    crop = padded[top:top + int(side), left:left + int(side)]
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)


class CropCache:
    """Face crops by (photo, size): composing many videos detects each photo's face once."""

    def __init__(self, model: FaceModel) -> None:
        self.model = model
        self._crops: dict[tuple[Path, int], np.ndarray] = {}

    def get(self, photo: Path, size: int, yaw: float = 0.0, capture: Capture | None = None) -> np.ndarray:
        key = (photo, size, yaw, capture)
        if key not in self._crops:
            base = (photo, 256, 0.0, None)
            if base not in self._crops:
                self._crops[base] = face_crop(photo, self.model, 256)
            crop = turned(self._crops[base], yaw) if yaw else self._crops[base]
            crop = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
            self._crops[key] = captured(crop, capture) if capture is not None else crop
        return self._crops[key]


def turned(crop: np.ndarray, yaw: float) -> np.ndarray:
    """The crop as if the head turned: one vertical edge shrinks and moves in (a perspective warp), the face's
    width narrows by about |yaw|/2 — a stand-in for a three-quarter view the photos do not have."""
    size = crop.shape[0]
    squeeze = 0.5 * abs(yaw) * size / 2  # how far the receding edge moves in
    shrink = 0.18 * abs(yaw) * size  # and how much shorter it gets
    near, far = (0.0, float(size)) if yaw > 0 else (float(size), 0.0)
    src = np.float32([[near, 0], [near, size], [far, 0], [far, size]])
    moved = far - squeeze if yaw > 0 else far + squeeze
    dst = np.float32([[near, 0], [near, size], [moved, shrink], [moved, size - shrink]])
    matrix = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(crop, matrix, (size, size), borderMode=cv2.BORDER_REPLICATE)


@cache
def _background(colour: tuple[int, int, int], width: int, height: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0.75, 1.15, width, dtype=np.float32)[None, :, None]
    base = np.array(colour, np.float32)[None, None, :] * ramp
    noise = rng.normal(0, 6, (height // 8, width // 8, 3)).astype(np.float32)
    noise = cv2.resize(noise, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def render(video: ComposedVideo, path: Path, crops: CropCache) -> Path:
    """Encode the video to ``path`` (H.264 in MP4) with the ffmpeg CLI."""
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise MissingDependency("ffmpeg", "sudo apt-get install -y ffmpeg")
    w, h = video.width, video.height
    command = [exe, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{w}x{h}",
               "-r", f"{video.fps:g}", "-i", "-", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
               "-pix_fmt", "yuv420p", "-g", str(int(video.fps * 4)), str(path)]
    log_path = path.with_suffix(".ffmpeg.log")
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=log_file)
        _feed(proc, video, crops)
    err = log_path.read_bytes()
    log_path.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg failed composing {path}: {err.decode(errors='replace')[-500:]}")
    video.path = path
    return path


def _picture(video: ComposedVideo, shot: ComposedShot, t: float, crops: CropCache) -> np.ndarray:
    """One frame of ``shot`` at video time ``t`` (the same colour always gives the same studio backdrop)."""
    frame = _background(shot.background, video.width, video.height, seed=sum(shot.background)).copy()
    for placement in shot.faces:
        _paste(frame, crops.get(placement.photo.path, placement.size, placement.yaw, placement.capture),
               video._centre(placement, t - shot.start_s))
    return frame


def _feed(proc: subprocess.Popen, video: ComposedVideo, crops: CropCache) -> None:
    assert proc.stdin is not None
    try:
        for k, shot in enumerate(video.shots):
            first = int(np.ceil(shot.start_s * video.fps - 1e-9))
            last = int(np.ceil(shot.end_s * video.fps - 1e-9))
            for n in range(first, last):
                t = n / video.fps
                frame = _picture(video, shot, t, crops)
                if k and shot.fade_in_s and t - shot.start_s < shot.fade_in_s:
                    alpha = (t - shot.start_s) / shot.fade_in_s
                    outgoing = _picture(video, video.shots[k - 1], t, crops)
                    frame = cv2.addWeighted(frame, alpha, outgoing, 1.0 - alpha, 0.0)
                proc.stdin.write(frame.tobytes())
    except BrokenPipeError:
        pass
    finally:
        proc.stdin.close()
        proc.wait()


def _paste(frame: np.ndarray, crop: np.ndarray, centre: tuple[float, float]) -> None:
    size = crop.shape[0]
    left, top = int(round(centre[0] - size / 2)), int(round(centre[1] - size / 2))
    x1, y1 = max(0, left), max(0, top)
    x2, y2 = min(frame.shape[1], left + size), min(frame.shape[0], top + size)
    if x2 > x1 and y2 > y1:
        frame[y1:y2, x1:x2] = crop[y1 - top:y2 - top, x1 - left:x2 - left]


_COLOURS = [(40, 40, 40), (120, 60, 30), (30, 90, 130), (70, 120, 60), (110, 110, 140), (20, 60, 90),
            (140, 100, 80), (60, 30, 100)]
_SLOTS = [(0.22, 0.45), (0.5, 0.5), (0.78, 0.45)]


def plan_videos(people: Mapping[str, Sequence[LabelledPhoto]], count: int, duration_s: float = 60.0,
                cast: int = 5, seed: int = 7, capture_strength: float = 0.0,
                lookalikes: Sequence[tuple[str, str]] = (),
                capture_resolution: float | None = None, pose: float = 0.0) -> list[ComposedVideo]:
    """Seeded videos: each casts ``cast`` of the people (at least two photos each), shows one to three of them
    per shot (sometimes nobody) with a random photo on each entrance, never a person's first photo (kept out
    of every video to serve as that person's query). ``capture_strength``: each entrance lit and recorded
    differently (``Capture.random``; ``capture_resolution``: its lost-resolution strength); ``lookalikes``:
    video v also casts pair v (cycling) when both are eligible; ``pose``: each entrance also posed
    (``Capture.posed``, its own seeded draws)."""
    rng = random.Random(seed)
    pose_rng = random.Random(f"pose/{seed}")
    eligible = sorted(name for name, photos in people.items() if len(photos) >= 2)
    pools = {name: list(people[name][1:]) for name in eligible}
    pairs = [p for p in lookalikes if all(n in pools for n in p)]
    videos = []
    for v in range(count):
        pair = pairs[v % len(pairs)] if pairs else ()
        rest = [n for n in eligible if n not in pair]
        chosen = list(pair) + rng.sample(rest, max(0, min(cast - len(pair), len(rest))))
        shots: list[ComposedShot] = []
        t = 0.0
        while t < duration_s - 1e-6:
            length = min(rng.choice([3.0, 4.0, 5.0, 6.0, 8.0]), duration_s - t)
            shown = [] if rng.random() < 0.15 else rng.sample(chosen, rng.choice([1, 1, 2, 2, 3]))
            slots = rng.sample(_SLOTS, len(shown))
            faces = tuple(
                Placement(rng.choice(pools[name]), x, y, rng.choice([110, 130, 150]),
                          (rng.uniform(-12, 12), rng.uniform(-6, 6)),
                          capture=entrance_capture(rng, pose_rng, capture_strength, capture_resolution, pose))
                for name, (x, y) in zip(shown, slots, strict=True))
            previous = shots[-1].background if shots else None
            colour = rng.choice([c for c in _COLOURS if c != previous])  # a cut changes the picture
            shots.append(ComposedShot(round(t, 3), round(t + length, 3), colour, faces))
            t += length
        videos.append(ComposedVideo(f"composed-{v:02d}", shots))
    return videos
