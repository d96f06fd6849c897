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

from typing import Literal

import cv2
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
    COLUMNS = "columns"  # the role centred above its names, set in 2-3 columns


class CreditMotion(StrEnum):
    SCROLL = "scroll"
    CARDS = "cards"  # page by page, cut (or faded, ``fade_s``) from one card to the next
    SCROLL_DOWN = "scroll_down"  # a roll moving down the screen: lines enter at the top


class CreditBackground(StrEnum):
    BLACK = "black"
    MOVING_COLOUR = "moving_colour"
    LIGHT = "light"  # dark text on a pale picture
    BUSY = "busy"  # programme footage (moving shapes, full brightness) behind outlined text


class CreditEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: str = Field("", description="\"\": a roll that names no role (names only)")
    names: tuple[str, ...] = Field(min_length=1)
    origins: tuple[str, ...] = Field((), description="per name: korean | foreign_hangul | latin | company")


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
    columns: int = Field(3, ge=2, le=3, description="name columns of the columns layout")
    name_separator: Literal["gap", "comma", "dot"] = Field(
        "gap", description="how names on one row are set apart: a wide gap, ', ' or ' · '")
    name_gap_em: float = Field(1.6, ge=1.0, le=6.0, description="the wide gap between names, in ems")
    fade_s: float = Field(0.0, ge=0, description="cards fade in and out over this long")
    cut_after_s: float | None = Field(None, gt=0, description="the video ends here, mid-roll")
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


def _name_pieces(spec: CreditRollSpec, fonts: _Fonts, names: tuple[str, ...], x: float, anchor: str
                 ) -> list[_Piece]:
    """Names of one row from ``x`` (anchor "ls": leftmost name starts there; "rs": the last ends there; "ms":
    centred), set apart as the spec says: separate pieces a wide gap apart, or one piece joined by ', ' / ' · '."""
    if spec.name_separator != "gap" or len(names) == 1:
        joiner = {"gap": "", "comma": ", ", "dot": " · "}[spec.name_separator]
        return [_Piece(joiner.join(names), x, anchor, False)]
    gap = spec.name_gap_em * fonts.name_px
    widths = [fonts.name.getlength(n) for n in names]
    total = sum(widths) + gap * (len(names) - 1)
    left = {"ls": x, "rs": x - total, "ms": x - total / 2}[anchor]
    pieces = []
    for name, width in zip(names, widths):
        pieces.append(_Piece(name, left, "ls", False))
        left += width + gap
    return pieces


def _chunks(spec: CreditRollSpec, fonts: _Fonts, names: tuple[str, ...], per_line: int, room: float
            ) -> list[tuple[str, ...]]:
    """Names grouped into rows of at most ``per_line``, and no wider than ``room`` (a column's width, or the
    frame's): a roll never runs off the screen."""
    gap = spec.name_gap_em * fonts.name_px if spec.layout is not CreditLayout.COLUMNS else 0.0
    rows: list[list[str]] = []
    width = 0.0
    for name in names:
        size = fonts.name.getlength(name)
        if spec.layout is CreditLayout.COLUMNS:
            fits = rows and len(rows[-1]) < per_line
        else:
            fits = rows and len(rows[-1]) < per_line and width + gap + size <= room
        if fits:
            rows[-1].append(name)
            width += gap + size
        else:
            rows.append([name])
            width = size
    return [tuple(r) for r in rows]


def _rows(spec: CreditRollSpec, fonts: _Fonts) -> list[_Row]:
    """Lay the entries out as rows of pieces (x positions; y comes later)."""
    w = spec.width
    gutter = w * 0.5
    gap = fonts.name_px * 1.2
    rows: list[_Row] = []
    for e, entry in enumerate(spec.entries):
        per_line = spec.columns if spec.layout is CreditLayout.COLUMNS else spec.names_per_line
        room = {CreditLayout.TWO_COLUMN: w * 0.47 - gap, CreditLayout.COLUMNS: w * 0.3 if spec.columns == 3 else w * 0.36,
                }.get(spec.layout, w * 0.9)
        chunks = _chunks(spec, fonts, entry.names, per_line, room)
        if not entry.role:  # names only: centred rows
            for chunk in chunks:
                rows.append(_Row(_name_pieces(spec, fonts, chunk, w / 2, "ms"), " ".join(chunk), None, tuple(chunk),
                                 "names", e, fonts.name_px))
        elif spec.layout is CreditLayout.TWO_COLUMN:
            for c, chunk in enumerate(chunks):
                role = entry.role if c == 0 else None
                pieces = [_Piece(entry.role, gutter - gap, "rs", True)] if role else []
                pieces += _name_pieces(spec, fonts, chunk, gutter + gap, "ls")
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
        elif spec.layout is CreditLayout.COLUMNS:
            rows.append(_Row([_Piece(entry.role, w / 2, "ms", True)], entry.role, entry.role, (), "heading", e,
                             fonts.role_px))
            step = w * (0.3 if spec.columns == 3 else 0.36)
            centres = [w / 2 + step * (k - (spec.columns - 1) / 2) for k in range(spec.columns)]
            for chunk in chunks:
                pieces = [_Piece(name, centres[k], "ms", False) for k, name in enumerate(chunk)]
                rows.append(_Row(pieces, " ".join(chunk), None, tuple(chunk), "names", e, fonts.name_px))
        else:  # HEADING_LIST
            rows.append(_Row([_Piece(entry.role, w / 2, "ms", True)], entry.role, entry.role, (), "heading", e,
                             fonts.role_px))
            for chunk in chunks:
                rows.append(_Row(_name_pieces(spec, fonts, chunk, w / 2, "ms"), " ".join(chunk), None, tuple(chunk),
                                 "names", e, fonts.name_px))
    return rows


@dataclass
class _Canvas:
    premultiplied: np.ndarray  # (H, W, 3) uint8 BGR colour x alpha
    alpha: np.ndarray  # (H, W) uint8
    shadow: np.ndarray | None  # (H, W) uint8 alpha of a dark drop shadow


def _colours(spec: CreditRollSpec) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """(name, role) RGB: on a light picture, white defaults become dark grey and black."""
    if spec.background is CreditBackground.LIGHT:
        name = (20, 20, 25) if spec.name_colour == (255, 255, 255) else spec.name_colour
        role = (70, 70, 80) if spec.role_colour == (200, 200, 200) else spec.role_colour
        return name, role
    return spec.name_colour, spec.role_colour


def _draw(spec: CreditRollSpec, fonts: _Fonts, rows: list[_Row], baselines: list[float], height: int) -> _Canvas:
    layers = {kind: Image.new("L", (spec.width, height), 0) for kind in ("role", "name")}
    busy = spec.background is CreditBackground.BUSY
    shadow = spec.background in (CreditBackground.MOVING_COLOUR, CreditBackground.BUSY)
    shadow_layer = Image.new("L", (spec.width, height), 0) if shadow else None
    offset = 0 if busy else max(1, round(fonts.name_px / 16))
    for row, baseline in zip(rows, baselines):
        for piece in row.pieces:
            font = fonts.role if piece.role else fonts.name
            layer = layers["role" if piece.role else "name"]
            ImageDraw.Draw(layer).text((piece.x, baseline), piece.text, font=font, fill=255, anchor=piece.anchor)
            if shadow_layer is not None:  # a drop shadow; over busy footage a dark outline all round
                ImageDraw.Draw(shadow_layer).text(
                    (piece.x + offset, baseline + offset), piece.text, font=font, fill=230 if busy else 200,
                    anchor=piece.anchor, stroke_width=max(1, round(fonts.name_px / 14)) if busy else 0,
                    stroke_fill=230 if busy else 200)
    role_a = np.asarray(layers["role"], np.uint16)
    name_a = np.asarray(layers["name"], np.uint16)
    name_rgb, role_rgb = _colours(spec)
    role_bgr = np.array(role_rgb[::-1], np.uint16)
    name_bgr = np.array(name_rgb[::-1], np.uint16)
    premultiplied = ((role_a[..., None] * role_bgr + name_a[..., None] * name_bgr) // 255).astype(np.uint8)
    alpha = np.minimum(role_a + name_a, 255).astype(np.uint8)
    return _Canvas(premultiplied, alpha, np.asarray(shadow_layer, np.uint8) if shadow_layer is not None else None)


class _Background:
    def __init__(self, spec: CreditRollSpec) -> None:
        self.spec = spec
        self.field = MovingColourField(spec.width, spec.height, spec.seed)
        rng = np.random.default_rng(spec.seed + 1)
        n = 14
        self.start = rng.uniform(0, 1, (n, 2)) * (spec.width, spec.height)
        self.velocity = rng.uniform(-0.25, 0.25, (n, 2)) * spec.height
        self.radius = rng.uniform(0.05, 0.2, n) * spec.height
        self.colour = rng.integers(0, 256, (n, 3))
        self.colour[::4] = 250  # some white shapes: light text crosses light picture
        yy = np.linspace(0, 1, spec.height, dtype=np.float32)[:, None, None]
        xx = np.linspace(0, 1, spec.width, dtype=np.float32)[None, :, None]
        self.pale = (228 + 18 * yy - 10 * xx + np.zeros((1, 1, 3), np.float32)).astype(np.float32)

    def frame(self, t: float) -> np.ndarray:
        kind = self.spec.background
        if kind is CreditBackground.BLACK:
            return np.zeros((self.spec.height, self.spec.width, 3), np.uint8)
        if kind is CreditBackground.LIGHT:
            drift = 6 * np.sin(0.5 * t)
            return np.clip(self.pale + drift, 0, 255).astype(np.uint8)
        frame = self.field.frame(t)
        if kind is CreditBackground.BUSY:
            frame = cv2.convertScaleAbs(frame, alpha=1.5, beta=20)  # full brightness, not dimmed for the text
            centres = (self.start + self.velocity * t) % (self.spec.width, self.spec.height)
            for (cx, cy), r, c in zip(centres, self.radius, self.colour):
                cv2.circle(frame, (int(cx), int(cy)), int(r), tuple(int(v) for v in c), -1, cv2.LINE_AA)
        return frame


def _compose(background: np.ndarray, canvas: _Canvas, y: int, height: int, opacity: float = 1.0) -> np.ndarray:
    a = canvas.alpha[y:y + height].astype(np.uint16)
    colour = canvas.premultiplied[y:y + height].astype(np.uint16)
    if opacity < 1.0:
        a = (a * opacity).astype(np.uint16)
        colour = (colour * opacity).astype(np.uint16)
    if not background.any() and opacity >= 1.0:
        return colour.astype(np.uint8)
    out = background.astype(np.uint16)
    if canvas.shadow is not None:
        shadow = (canvas.shadow[y:y + height, :, None].astype(np.float32) * opacity).astype(np.uint16)
        out = out * (255 - shadow) // 255
    out = out * (255 - a[..., None]) // 255 + colour
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
    """A roll moving up (lines enter at the bottom) or, for SCROLL_DOWN, down (the first line enters at the top:
    the canvas holds the rows bottom to top and the window moves from its end to its start)."""
    down = spec.motion is CreditMotion.SCROLL_DOWN
    pitch = fonts.name_px * spec.line_spacing
    order = list(reversed(rows)) if down else rows
    baselines, y = [], float(spec.height)  # one blank screen first
    for i, row in enumerate(order):
        if i and row.entry != order[i - 1].entry:
            y += pitch * ENTRY_GAP
        y += pitch
        baselines.append(y)
    height = int(y + pitch + spec.height)
    speed = spec.scroll_speed * spec.height
    travel = height - spec.height
    n_frames = int(round((spec.lead_in_s + travel / speed + spec.tail_s) * spec.fps))
    lines = []
    for row, baseline in zip(order, baselines):
        top, bottom = baseline - row.size_px * 1.05, baseline + row.size_px * 0.3
        if down:  # window top = travel - s·v: the line is whole once the top passes it, until its bottom leaves
            first, last = (travel - top) / speed, (travel + spec.height - bottom) / speed
        else:
            first, last = max(0.0, bottom - spec.height) / speed, top / speed
        lines.append(TruthLine(text=row.text, role=row.role, names=list(row.names), kind=row.kind, entry=row.entry,
                               first_s=round(spec.lead_in_s + max(0.0, first), 3),
                               last_s=round(spec.lead_in_s + last, 3)))
    if down:
        lines.reverse()

    def frames() -> Iterator[np.ndarray]:
        canvas = _draw(spec, fonts, order, baselines, height)
        for k in range(n_frames):
            t = k / spec.fps
            moved = min(max(0.0, t - spec.lead_in_s) * speed, travel)
            offset = int(round(travel - moved if down else moved))
            yield corner.apply(_compose(background.frame(t), canvas, offset, spec.height))

    return lines, n_frames, frames()


def _cards(spec: CreditRollSpec, fonts: _Fonts, rows: list[_Row], background: _Background, corner: _Corner
           ) -> tuple[list[TruthLine], int, Iterator[np.ndarray]]:
    """Page by page: each card holds ``entries_per_card`` entries for ``card_seconds``, cut or faded (``fade_s``
    in and out) into the next. A faded line counts as on screen while it is at least half opaque."""
    pitch = fonts.name_px * spec.line_spacing
    cards: list[list[_Row]] = []
    for i, row in enumerate(rows):
        if not cards or (row.entry != rows[i - 1].entry and row.entry % spec.entries_per_card == 0):
            cards.append([])
        cards[-1].append(row)
    lead, per_card = int(round(spec.lead_in_s * spec.fps)), int(round(spec.card_seconds * spec.fps))
    tail = int(round(spec.tail_s * spec.fps))
    fade = min(spec.fade_s, spec.card_seconds / 3)
    lines = []
    for c, members in enumerate(cards):
        start = (lead + c * per_card) / spec.fps
        for row in members:
            lines.append(TruthLine(text=row.text, role=row.role, names=list(row.names), kind=row.kind,
                                   entry=row.entry, first_s=round(start + fade / 2, 3),
                                   last_s=round(start + (per_card - 1) / spec.fps - fade / 2, 3)))

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

    def opacity(j: int) -> float:
        if fade <= 0:
            return 1.0
        t, end = j / spec.fps, (per_card - 1) / spec.fps
        return float(min(1.0, t / fade, (end - t) / fade))

    def frames() -> Iterator[np.ndarray]:
        k = 0
        for _ in range(lead):
            yield corner.apply(background.frame(k / spec.fps))
            k += 1
        for members in cards:
            canvas = _draw(spec, fonts, members, baselines(members), spec.height)
            for j in range(per_card):
                yield corner.apply(_compose(background.frame(k / spec.fps), canvas, 0, spec.height, opacity(j)))
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


def _roll(spec: CreditRollSpec) -> tuple[CreditRollTruth, int, Iterator[np.ndarray]]:
    """The roll's truth (times from its first frame), frame count and frames; cut short at ``cut_after_s``."""
    fonts = _Fonts(spec)
    rows = _rows(spec, fonts)
    layout = _cards if spec.motion is CreditMotion.CARDS else _scroll
    lines, n_frames, frames = layout(spec, fonts, rows, _Background(spec), _Corner(spec))
    if spec.cut_after_s is not None:  # the programme ends mid-roll: lines never whole on screen are not credits
        n_frames = min(n_frames, int(round(spec.cut_after_s * spec.fps)))
        end = (n_frames - 1) / spec.fps
        lines = [line.model_copy(update={"last_s": min(line.last_s, round(end, 3))})
                 for line in lines if line.first_s <= end]
        frames = itertools.islice(frames, n_frames)
    shown = {(line.entry, name) for line in lines for name in line.names}
    entries = [(e.role, [n for n in e.names if (i, n) in shown]) for i, e in enumerate(spec.entries)]
    origins = {n: o for e in spec.entries for n, o in zip(e.names, e.origins)}
    truth = CreditRollTruth(path="", duration_s=n_frames / spec.fps, start_s=0.0, width=spec.width,
                            height=spec.height, layout=spec.layout.value, motion=spec.motion.value,
                            entries=entries, lines=lines, origins=origins)
    return truth, n_frames, frames


def render_credit_roll(spec: CreditRollSpec, path: Path | str, filler: FillerSpec | None = None) -> CreditRollTruth:
    """Render ``spec`` to an H.264 MP4 at ``path`` and return what is on screen when. With ``filler``, that much
    programme footage comes first (a programme's last minutes, then its credits); truth times are then video times."""
    [truth] = render_programme([filler, spec] if filler is not None else [spec], path)
    return truth


def render_programme(parts: list[FillerSpec | CreditRollSpec], path: Path | str) -> list[CreditRollTruth]:
    """Footage and rolls one after another in one H.264 file (two rolls in one programme, a roll then more
    footage); one truth per roll, in video times. Every roll must share the first one's size and frame rate."""
    path = Path(path)
    rolls = [p for p in parts if isinstance(p, CreditRollSpec)]
    if not rolls:
        raise ValueError("a programme needs at least one credit roll")
    first = rolls[0]
    if any((r.width, r.height, r.fps) != (first.width, first.height, first.fps) for r in rolls):
        raise ValueError("every roll of one programme must share its size and frame rate")
    streams, truths, frame = [], [], 0
    for part in parts:
        if isinstance(part, FillerSpec):
            streams.append(filler_frames(part, first.width, first.height, first.fps))
            frame += int(round(part.seconds * first.fps))
        else:
            truth, n_frames, frames = _roll(part)
            streams.append(frames)
            truths.append(truth.shifted(frame / first.fps, str(path)))
            frame += n_frames
    _encode(itertools.chain(*streams), path, first.width, first.height, first.fps, first.keyframe_interval_s,
            first.crf, first.preset)
    return [t.model_copy(update={"duration_s": frame / first.fps}) for t in truths]


def render_footage(filler: FillerSpec, path: Path | str, width: int = 1280, height: int = 720, fps: float = 25.0,
                   keyframe_interval_s: float = 1.0, crf: int = 23, preset: str = "veryfast") -> Path:
    """Programme footage with no credits (moving colour, shapes, subtitles) as H.264: what the credit locator
    must pass over cheaply, and must not mistake for credits."""
    path = Path(path)
    _encode(filler_frames(filler, width, height, fps), path, width, height, fps, keyframe_interval_s, crf, preset)
    return path
