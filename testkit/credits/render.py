"""Render end-credit rolls to H.264 video, with exact ground truth.

No real credit-roll footage exists here, so tests, benchmarks and the demo render them: scrolling rolls or static
cards, white on black or over a moving colour picture, in the layouts broadcasters use — two columns ("Role  Name",
role right-aligned to a gutter), dot leaders ("Role ...... Name"), "역할 / 이름" lines, and a centred role heading
followed by its names. Frames go through the ffmpeg CLI's libx264, so the video carries real compression artefacts.

The truth records every drawn line: its text, the role and names it carries, and the interval during which it is
entirely on screen. ``render_programme`` puts a roll after non-credit filler (with optional subtitles), as at the
end of a programme.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from pydantic import BaseModel, ConfigDict, Field, field_validator

from testkit.credits.filler import FillerSpec, MovingColourField, filler_frames
from testkit.credits.truth import CreditRollTruth, TruthLine
from vidsearch.media.synth import write_video

NANUM_DIR = Path("/usr/share/fonts/truetype/nanum")
ENTRY_GAP = 0.6  # extra space between two credits, in line pitches


class CreditFont(StrEnum):
    GOTHIC = "NanumGothic.ttf"
    GOTHIC_BOLD = "NanumGothicBold.ttf"
    MYEONGJO = "NanumMyeongjo.ttf"
    MYEONGJO_BOLD = "NanumMyeongjoBold.ttf"

    @property
    def path(self) -> Path:
        return NANUM_DIR / self.value


class CreditLayout(StrEnum):
    TWO_COLUMN = "two_column"
    DOT_LEADER = "dot_leader"
    SLASH = "slash"
    HEADING_LIST = "heading_list"


class CreditMotion(StrEnum):
    SCROLL = "scroll"
    CARDS = "cards"


class CreditBackground(StrEnum):
    BLACK = "black"
    MOVING_COLOUR = "moving_colour"


class CreditEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: str = Field(min_length=1)
    names: tuple[str, ...] = Field(min_length=1)


class CreditRollSpec(BaseModel):
    """Everything that decides how a roll looks. Sizes are fractions of the frame height."""

    model_config = ConfigDict(extra="forbid")

    entries: list[CreditEntry] = Field(min_length=1)
    layout: CreditLayout = CreditLayout.TWO_COLUMN
    motion: CreditMotion = CreditMotion.SCROLL
    background: CreditBackground = CreditBackground.BLACK
    width: int = Field(1280, ge=320)
    height: int = Field(720, ge=180)
    fps: float = Field(25.0, gt=0, le=60)
    font: Path = CreditFont.GOTHIC.path
    role_font: Path | None = Field(None, description="default: the same as font")
    text_size: float = Field(0.045, gt=0.01, lt=0.2)
    role_scale: float = Field(0.85, gt=0.3, le=1.5, description="role text size relative to names")
    line_spacing: float = Field(1.75, ge=1.2)
    names_per_line: int = Field(1, ge=1, le=4)
    name_colour: tuple[int, int, int] = (255, 255, 255)  # RGB
    role_colour: tuple[int, int, int] = (200, 200, 200)
    scroll_speed: float = Field(0.1, gt=0, description="frame heights per second")
    card_seconds: float = Field(3.0, gt=0.2)
    entries_per_card: int = Field(3, ge=1)
    lead_in_s: float = Field(1.0, ge=0)
    tail_s: float = Field(1.0, ge=0)
    corner_text: str | None = Field(None, description="static text in the top-left corner, like a channel logo")
    crf: int = Field(23, ge=0, le=51)
    preset: str = "veryfast"
    keyframe_interval_s: float = Field(2.0, gt=0)
    seed: int = 0

    @field_validator("font", "role_font")
    @classmethod
    def _font_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not Path(value).is_file():
            raise ValueError(f"font file {value} does not exist (fonts-nanum: sudo apt-get install -y fonts-nanum)")
        return value


@dataclass
class _Piece:
    text: str
    x: float
    anchor: str  # PIL anchor: "ls" left-baseline, "rs" right, "ms" centred
    role: bool  # drawn in the role style


@dataclass
class _Row:
    pieces: list[_Piece]
    text: str  # what a reader reads on this row (no dot leaders)
    role: str | None
    names: tuple[str, ...]
    kind: str  # "pair" | "heading" | "names"
    entry: int
    size_px: int


class _Fonts:
    def __init__(self, spec: CreditRollSpec) -> None:
        self.name_px = max(8, round(spec.text_size * spec.height))
        self.role_px = max(8, round(self.name_px * spec.role_scale))
        self.name = ImageFont.truetype(str(spec.font), self.name_px)
        self.role = ImageFont.truetype(str(spec.role_font or spec.font), self.role_px)


def _rows(spec: CreditRollSpec, fonts: _Fonts) -> list[_Row]:
    """Lay the entries out as rows of pieces (x positions; y comes later)."""
    w = spec.width
    gutter = w * 0.5
    gap = fonts.name_px * 1.2
    rows: list[_Row] = []
    for e, entry in enumerate(spec.entries):
        chunks = [entry.names[i:i + spec.names_per_line] for i in range(0, len(entry.names), spec.names_per_line)]
        if spec.layout is CreditLayout.TWO_COLUMN:
            for c, chunk in enumerate(chunks):
                role = entry.role if c == 0 else None
                pieces = [_Piece(entry.role, gutter - gap, "rs", True)] if role else []
                pieces.append(_Piece("   ".join(chunk), gutter + gap, "ls", False))
                rows.append(_Row(pieces, " ".join(([role] if role else []) + list(chunk)), role, tuple(chunk),
                                 "pair" if role else "names", e, fonts.name_px))
        elif spec.layout is CreditLayout.DOT_LEADER:
            left, right = w * 0.2, w * 0.8
            for c, chunk in enumerate(chunks):
                names = ", ".join(chunk)
                pieces = [_Piece(names, right, "rs", False)]
                if c == 0:
                    role_end = left + fonts.role.getlength(entry.role + " ")
                    dots = "." * max(3, int((right - fonts.name.getlength(" " + names) - role_end)
                                            / max(1.0, fonts.role.getlength("."))))
                    pieces += [_Piece(entry.role, left, "ls", True), _Piece(dots, role_end, "ls", True)]
                role = entry.role if c == 0 else None
                rows.append(_Row(pieces, " ".join(([role] if role else []) + list(chunk)), role, tuple(chunk),
                                 "pair" if role else "names", e, fonts.name_px))
        elif spec.layout is CreditLayout.SLASH:
            names = " · ".join(entry.names)
            rows.append(_Row([_Piece(f"{entry.role} / {names}", w / 2, "ms", False)],
                             " ".join([entry.role, *entry.names]), entry.role, entry.names, "pair", e, fonts.name_px))
        else:  # HEADING_LIST
            rows.append(_Row([_Piece(entry.role, w / 2, "ms", True)], entry.role, entry.role, (), "heading", e,
                             fonts.role_px))
            for chunk in chunks:
                rows.append(_Row([_Piece("    ".join(chunk), w / 2, "ms", False)], " ".join(chunk), None,
                                 tuple(chunk), "names", e, fonts.name_px))
    return rows


@dataclass
class _Canvas:
    premultiplied: np.ndarray  # (H, W, 3) uint8 BGR colour x alpha
    alpha: np.ndarray  # (H, W) uint8
    shadow: np.ndarray | None  # (H, W) uint8 alpha of a dark drop shadow


def _draw(spec: CreditRollSpec, fonts: _Fonts, rows: list[_Row], baselines: list[float], height: int,
          shadow: bool) -> _Canvas:
    layers = {kind: Image.new("L", (spec.width, height), 0) for kind in ("role", "name")}
    shadow_layer = Image.new("L", (spec.width, height), 0) if shadow else None
    offset = max(1, round(fonts.name_px / 16))
    for row, baseline in zip(rows, baselines):
        for piece in row.pieces:
            font = fonts.role if piece.role else fonts.name
            layer = layers["role" if piece.role else "name"]
            ImageDraw.Draw(layer).text((piece.x, baseline), piece.text, font=font, fill=255, anchor=piece.anchor)
            if shadow_layer is not None:
                ImageDraw.Draw(shadow_layer).text((piece.x + offset, baseline + offset), piece.text, font=font,
                                                  fill=200, anchor=piece.anchor)
    role_a = np.asarray(layers["role"], np.uint16)
    name_a = np.asarray(layers["name"], np.uint16)
    role_bgr = np.array(spec.role_colour[::-1], np.uint16)
    name_bgr = np.array(spec.name_colour[::-1], np.uint16)
    premultiplied = ((role_a[..., None] * role_bgr + name_a[..., None] * name_bgr) // 255).astype(np.uint8)
    alpha = np.minimum(role_a + name_a, 255).astype(np.uint8)
    return _Canvas(premultiplied, alpha, np.asarray(shadow_layer, np.uint8) if shadow_layer is not None else None)


class _Background:
    def __init__(self, spec: CreditRollSpec) -> None:
        self.spec = spec
        self.field = MovingColourField(spec.width, spec.height, spec.seed)

    def frame(self, t: float) -> np.ndarray:
        if self.spec.background is CreditBackground.BLACK:
            return np.zeros((self.spec.height, self.spec.width, 3), np.uint8)
        return self.field.frame(t)


def _compose(background: np.ndarray, canvas: _Canvas, y: int, height: int) -> np.ndarray:
    a = canvas.alpha[y:y + height]
    colour = canvas.premultiplied[y:y + height]
    if not background.any():
        return colour.copy()
    out = background.astype(np.uint16)
    if canvas.shadow is not None:
        out = out * (255 - canvas.shadow[y:y + height, :, None].astype(np.uint16)) // 255
    out = out * (255 - a[..., None].astype(np.uint16)) // 255 + colour
    return np.minimum(out, 255).astype(np.uint8)


class _Corner:
    """Static corner text (a channel logo stand-in), drawn once and laid over every frame."""

    def __init__(self, spec: CreditRollSpec) -> None:
        self.alpha: np.ndarray | None = None
        if spec.corner_text:
            size = max(8, round(spec.height * 0.035))
            layer = Image.new("L", (spec.width, spec.height), 0)
            ImageDraw.Draw(layer).text((round(spec.width * 0.04), round(spec.height * 0.04)), spec.corner_text,
                                       font=ImageFont.truetype(str(spec.font), size), fill=235, anchor="lt")
            self.alpha = np.asarray(layer)

    def apply(self, frame: np.ndarray) -> np.ndarray:
        if self.alpha is not None:
            np.maximum(frame, self.alpha[..., None], out=frame)
        return frame


def _scroll(spec: CreditRollSpec, fonts: _Fonts, rows: list[_Row], background: _Background, corner: _Corner
            ) -> tuple[list[TruthLine], int, Iterator[np.ndarray]]:
    pitch = fonts.name_px * spec.line_spacing
    baselines, y = [], float(spec.height)  # one blank screen first: the roll enters from the bottom
    for i, row in enumerate(rows):
        if i and row.entry != rows[i - 1].entry:
            y += pitch * ENTRY_GAP
        y += pitch
        baselines.append(y)
    height = int(y + pitch + spec.height)
    speed = spec.scroll_speed * spec.height
    travel = height - spec.height
    n_frames = int(round((spec.lead_in_s + travel / speed + spec.tail_s) * spec.fps))
    lines = []
    for row, baseline in zip(rows, baselines):
        top, bottom = baseline - row.size_px * 1.05, baseline + row.size_px * 0.3
        lines.append(TruthLine(text=row.text, role=row.role, names=list(row.names), kind=row.kind, entry=row.entry,
                               first_s=round(spec.lead_in_s + max(0.0, bottom - spec.height) / speed, 3),
                               last_s=round(spec.lead_in_s + top / speed, 3)))

    def frames() -> Iterator[np.ndarray]:
        canvas = _draw(spec, fonts, rows, baselines, height, spec.background is CreditBackground.MOVING_COLOUR)
        for k in range(n_frames):
            t = k / spec.fps
            offset = int(round(min(max(0.0, t - spec.lead_in_s) * speed, travel)))
            yield corner.apply(_compose(background.frame(t), canvas, offset, spec.height))

    return lines, n_frames, frames()


def _cards(spec: CreditRollSpec, fonts: _Fonts, rows: list[_Row], background: _Background, corner: _Corner
           ) -> tuple[list[TruthLine], int, Iterator[np.ndarray]]:
    pitch = fonts.name_px * spec.line_spacing
    cards: list[list[_Row]] = []
    for i, row in enumerate(rows):
        if not cards or (row.entry != rows[i - 1].entry and row.entry % spec.entries_per_card == 0):
            cards.append([])
        cards[-1].append(row)
    lead, per_card = int(round(spec.lead_in_s * spec.fps)), int(round(spec.card_seconds * spec.fps))
    tail = int(round(spec.tail_s * spec.fps))
    lines = []
    for c, members in enumerate(cards):
        start = (lead + c * per_card) / spec.fps
        for row in members:
            lines.append(TruthLine(text=row.text, role=row.role, names=list(row.names), kind=row.kind,
                                   entry=row.entry, first_s=round(start, 3),
                                   last_s=round(start + (per_card - 1) / spec.fps, 3)))

    def baselines(members: list[_Row]) -> list[float]:
        gaps = len({r.entry for r in members}) - 1
        y = (spec.height - len(members) * pitch - pitch * ENTRY_GAP * gaps) / 2
        out = []
        for j, row in enumerate(members):
            if j and row.entry != members[j - 1].entry:
                y += pitch * ENTRY_GAP
            y += pitch
            out.append(y - pitch * 0.25)
        return out

    def frames() -> Iterator[np.ndarray]:
        shadow = spec.background is CreditBackground.MOVING_COLOUR
        k = 0
        for _ in range(lead):
            yield corner.apply(background.frame(k / spec.fps))
            k += 1
        for members in cards:
            canvas = _draw(spec, fonts, members, baselines(members), spec.height, shadow)
            for _ in range(per_card):
                yield corner.apply(_compose(background.frame(k / spec.fps), canvas, 0, spec.height))
                k += 1
        for _ in range(tail):
            yield corner.apply(background.frame(k / spec.fps))
            k += 1

    return lines, lead + len(cards) * per_card + tail, frames()


def _encode(frames: Iterable[np.ndarray], path: Path, width: int, height: int, fps: float,
            keyframe_interval_s: float, crf: int, preset: str) -> None:
    gop = max(1, round(keyframe_interval_s * fps))
    write_video((frame[:, :, ::-1] for frame in frames), path, fps, (width, height), crf=crf, preset=preset,
                extra_args=("-g", str(gop), "-movflags", "+faststart"))


def render_credit_roll(spec: CreditRollSpec, path: Path | str, filler: FillerSpec | None = None) -> CreditRollTruth:
    """Render ``spec`` to an H.264 MP4 at ``path`` and return what is on screen when. With ``filler``, that much
    programme footage comes first (a programme's last minutes, then its credits); truth times are then video times."""
    path = Path(path)
    fonts = _Fonts(spec)
    rows = _rows(spec, fonts)
    layout = _scroll if spec.motion is CreditMotion.SCROLL else _cards
    lines, n_frames, roll = layout(spec, fonts, rows, _Background(spec), _Corner(spec))
    prelude = int(round(filler.seconds * spec.fps)) if filler is not None else 0
    footage = filler_frames(filler, spec.width, spec.height, spec.fps) if filler is not None else iter(())
    _encode(itertools.chain(footage, roll), path, spec.width, spec.height, spec.fps, spec.keyframe_interval_s,
            spec.crf, spec.preset)
    truth = CreditRollTruth(path=str(path), duration_s=(prelude + n_frames) / spec.fps, start_s=0.0,
                            width=spec.width, height=spec.height, layout=spec.layout.value, motion=spec.motion.value,
                            entries=[(e.role, list(e.names)) for e in spec.entries], lines=lines)
    return truth.shifted(prelude / spec.fps) if prelude else truth


def render_footage(filler: FillerSpec, path: Path | str, width: int = 1280, height: int = 720, fps: float = 25.0,
                   keyframe_interval_s: float = 1.0, crf: int = 23, preset: str = "veryfast") -> Path:
    """Programme footage with no credits (moving colour, shapes, subtitles) as H.264: what the credit locator
    must pass over cheaply, and must not mistake for credits."""
    path = Path(path)
    _encode(filler_frames(filler, width, height, fps), path, width, height, fps, keyframe_interval_s, crf, preset)
    return path
