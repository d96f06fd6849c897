"""Render end-credit rolls to H.264 video, with exact ground truth.

No real credit-roll footage exists here, so tests and benchmarks render them (the spec: ``spec.py``; the pictures
behind: ``backgrounds.py``): rolls scrolling up or down, cards cut or faded, in the layouts broadcasters use — two
columns ("Role  Name"), dot leaders, "역할 / 이름" lines, a role above its names, names in 2-3 columns. Frames go through the ffmpeg CLI's libx264, so the video carries real compression artefacts.

The truth records every drawn line: its text, the role and names it carries, and the interval during which it is
entirely on screen. ``render_programme`` puts a roll after non-credit filler (with optional subtitles), as at the
end of a programme.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from testkit.credits.backgrounds import _Background, _Canvas, _colours, _compose, _Corner
from testkit.credits.filler import FillerSpec, filler_frames
from testkit.credits.spec import (
    NANUM_DIR,
    CreditBackground,
    CreditEntry,
    CreditFont,
    CreditLayout,
    CreditMotion,
    CreditRollSpec,
)
from testkit.credits.truth import CreditRollTruth, TruthLine
from vidsearch.media.synth import write_video

__all__ = ["NANUM_DIR", "CreditBackground", "CreditEntry", "CreditFont", "CreditLayout", "CreditMotion",
           "CreditRollSpec", "render_credit_roll", "render_footage", "render_programme"]



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
    if spec.name_separator in ("and", "amp") and len(names) >= 2:
        last = {"and": " and ", "amp": " & "}[spec.name_separator]
        return [_Piece(", ".join(names[:-1]) + last + names[-1], x, anchor, False)]
    if spec.name_separator != "gap" or len(names) == 1:
        joiner = {"gap": "", "comma": ", ", "dot": " · ", "and": "", "amp": ""}[spec.name_separator]
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


def _connective(entry: CreditEntry, e: int, width: int, fonts: _Fonts) -> list[_Row]:
    """The line between a heading and its names that credits no one ("in association with"), if the entry has one."""
    if not entry.connective:
        return []
    return [_Row([_Piece(entry.connective, width / 2, "ms", True)], entry.connective, None, (), "connective", e,
                 fonts.role_px)]


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
        if spec.layout is CreditLayout.DOT_LEADER and entry.role:
            # names end at 0.8 w and the role starts at 0.2 w with at least " ..." after it: a longer row of names
            # ran over the role (or off the frame's left edge), drawn unreadable; a broadcaster wraps it instead
            room = w * 0.6 - fonts.role.getlength(entry.role + " ...") - fonts.name.getlength(" ")
        chunks = _chunks(spec, fonts, entry.names, per_line, room)
        if not entry.role:  # names only: centred rows
            for chunk in chunks:
                rows.append(_Row(_name_pieces(spec, fonts, chunk, w / 2, "ms"), " ".join(chunk), None, tuple(chunk),
                                 "names", e, fonts.name_px))
        elif spec.layout is CreditLayout.TWO_COLUMN:
            right = spec.role_side == "right"  # names flush right against the gutter, the role after them
            for c, chunk in enumerate(chunks):
                role = entry.role if c == 0 else None
                pieces = [_Piece(entry.role, gutter + gap if right else gutter - gap, "ls" if right else "rs",
                                 True)] if role else []
                pieces += _name_pieces(spec, fonts, chunk, gutter - gap if right else gutter + gap,
                                       "rs" if right else "ls")
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
            # one centred line "role / A · B · C"; names that do not fit the frame go on to centred lines below
            # (drawn whole, a long row ran off both edges: "...Rental Technician" read "ney")
            lines: list[list[str]] = []
            for name in entry.names:
                prefix = f"{entry.role} / " if len(lines) == 1 else ""
                if lines and fonts.name.getlength(prefix + " · ".join([*lines[-1], name])) <= w * 0.92:
                    lines[-1].append(name)
                else:
                    lines.append([name])
            for c, chunk in enumerate(lines):
                role = entry.role if c == 0 else None
                text = (f"{entry.role} / " if c == 0 else "") + " · ".join(chunk)
                rows.append(_Row([_Piece(text, w / 2, "ms", False)], " ".join(([role] if role else []) + chunk),
                                 role, tuple(chunk), "pair" if role else "names", e, fonts.name_px))
        elif spec.layout is CreditLayout.COLUMNS:
            rows += _headings(spec, entry, e, w, fonts)
            rows += _connective(entry, e, w, fonts)
            step = w * (0.3 if spec.columns == 3 else 0.36)
            centres = [w / 2 + step * (k - (spec.columns - 1) / 2) for k in range(spec.columns)]
            for chunk in chunks:
                pieces = [_Piece(name, centres[k], "ms", False) for k, name in enumerate(chunk)]
                rows.append(_Row(pieces, " ".join(chunk), None, tuple(chunk), "names", e, fonts.name_px))
        else:  # HEADING_LIST
            rows += _headings(spec, entry, e, w, fonts)
            rows += _connective(entry, e, w, fonts)
            for chunk in chunks:
                rows.append(_Row(_name_pieces(spec, fonts, chunk, w / 2, "ms"), " ".join(chunk), None, tuple(chunk),
                                 "names", e, fonts.name_px))
    for k, text in enumerate(spec.closing_lines):  # credit no one: drawn, left out of the truth
        rows.append(_Row([_Piece(text, w / 2, "ms", True)], text, None, (), "boilerplate", len(spec.entries) + k,
                         fonts.role_px))
    return rows


def _headings(spec: CreditRollSpec, entry: CreditEntry, e: int, width: int, fonts: _Fonts) -> list[_Row]:
    """The role centred above its names: one line, or (``wrap_roles``, a title with a space) two, broken at the
    last space — both lines state the one role."""
    parts = entry.role.rsplit(" ", 1) if spec.wrap_roles and " " in entry.role else [entry.role]
    return [_Row([_Piece(part, width / 2, "ms", True)], part, entry.role, (), "heading", e, fonts.role_px)
            for part in parts]


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


def _scroll(spec: CreditRollSpec, fonts: _Fonts, rows: list[_Row], background: _Background, corner: _Corner
            ) -> tuple[list[TruthLine], int, Iterator[np.ndarray]]:
    """A roll moving up (lines enter at the bottom) or, for SCROLL_DOWN, down (the first credit enters at the
    top: the canvas holds the credits bottom to top and the window moves from its end to its start). Each credit
    still reads top to bottom — its role row above the rows that continue its names — as on a real page; rows
    reversed one by one would set a role's continuation names above it, under the credit before."""
    down = spec.motion is CreditMotion.SCROLL_DOWN
    pitch = fonts.name_px * spec.line_spacing
    order = rows
    if down:
        by_entry: dict[int, list[_Row]] = {}
        for row in rows:
            by_entry.setdefault(row.entry, []).append(row)
        order = [row for entry in reversed(list(by_entry)) for row in by_entry[entry]]
    baselines, y = [], float(spec.height)  # one blank screen first
    for i, row in enumerate(order):
        if i and row.entry != order[i - 1].entry:
            y += pitch * spec.entry_gap
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
        lines.sort(key=lambda line: line.entry)  # credits in their order, each one's rows top to bottom

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

    def tall(members: list[_Row]) -> float:
        return len(members) * pitch + pitch * spec.entry_gap * (len({r.entry for r in members}) - 1)

    cards: list[list[_Row]] = []
    for i, row in enumerate(rows):
        new_entry = i > 0 and row.entry != rows[i - 1].entry
        if not cards or (new_entry and row.entry % spec.entries_per_card == 0):
            cards.append([])
        elif new_entry and tall(cards[-1] + [r for r in rows if r.entry == row.entry]) > 0.9 * spec.height:
            cards.append([])  # no programme sets a card taller than the picture: the entry opens the next card
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
        y = (spec.height - len(members) * pitch - pitch * spec.entry_gap * gaps) / 2
        out = []
        for j, row in enumerate(members):
            if j and row.entry != members[j - 1].entry:
                y += pitch * spec.entry_gap
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
    lines = [line for line in lines if line.kind != "boilerplate"]
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
