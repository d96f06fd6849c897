"""Programme footage with one line of text in it that is no credit: a lower third, a caption, signs the camera
passes, a news ticker, captions changing at the bottom of the picture. What the credit locator must pass over
although each frame shows one line of text, as a card of one credit does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from pydantic import BaseModel, ConfigDict, Field

from testkit.credits.filler import SUBTITLE_FONT, FillerSpec, filler_frames
from vidsearch.media.synth import write_video


class Caption(BaseModel):
    """One line drawn over footage from ``start_s`` to ``end_s``; positions are shares of the frame."""

    model_config = ConfigDict(frozen=True)

    text: str
    start_s: float = Field(ge=0)
    end_s: float = Field(gt=0)
    x: float = Field(0.5, description="the text's anchor: its left end (anchor 'l') or its middle ('m')")
    y: float = Field(0.5, description="the text's vertical middle")
    anchor: str = Field("mm", pattern="^[lm]m$")
    size: float = Field(0.045, gt=0, lt=0.3, description="type size, share of the frame height")
    speed_x: float = Field(0.0, description="frame widths per second it moves sideways (a ticker, a camera pan)")
    plate: str = Field("none", pattern="^(none|box|full)$", description="a dark plate behind it: around the "
                       "text (a lower third), or across the whole width (a ticker's band)")


def _draw(frame: np.ndarray, caption: Caption, t: float) -> None:
    height, width = frame.shape[:2]
    font = ImageFont.truetype(str(SUBTITLE_FONT), max(10, round(caption.size * height)))
    x = (caption.x + caption.speed_x * (t - caption.start_s)) * width
    y = caption.y * height
    image = Image.fromarray(frame[:, :, ::-1])
    draw = ImageDraw.Draw(image)
    x0, y0, x1, y1 = draw.textbbox((x, y), caption.text, font=font, anchor=caption.anchor)
    pad = caption.size * height * 0.4
    if caption.plate == "box":
        draw.rectangle((x0 - pad, y0 - pad, x1 + pad, y1 + pad), fill=(20, 30, 60))
    elif caption.plate == "full":
        draw.rectangle((0, y0 - pad, width, y1 + pad), fill=(20, 20, 110))
    draw.text((x, y), caption.text, font=font, fill=(255, 255, 255), anchor=caption.anchor)
    frame[:] = np.asarray(image)[:, :, ::-1]


def captioned_frames(filler: FillerSpec, captions: list[Caption], width: int, height: int, fps: float
                     ) -> Iterator[np.ndarray]:
    """BGR frames of ``filler`` footage with ``captions`` drawn over it."""
    for k, frame in enumerate(filler_frames(filler, width, height, fps)):
        t = k / fps
        for caption in captions:
            if caption.start_s <= t <= caption.end_s:
                _draw(frame, caption, t)
        yield frame


def render_captioned_footage(filler: FillerSpec, captions: list[Caption], path: Path | str, width: int = 960,
                             height: int = 540, fps: float = 10.0, keyframe_interval_s: float = 2.0) -> Path:
    """The footage as H.264 (keyframes every ``keyframe_interval_s``, as broadcast encoders place them)."""
    path = Path(path)
    gop = max(1, round(keyframe_interval_s * fps))
    write_video((frame[:, :, ::-1] for frame in captioned_frames(filler, captions, width, height, fps)), path, fps,
                (width, height), crf=23, preset="veryfast", extra_args=("-g", str(gop), "-movflags", "+faststart"))
    return path
