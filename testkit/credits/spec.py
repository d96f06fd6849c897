"""What a rendered credit roll looks like: its entries, layout, motion, background and type."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

NANUM_DIR = Path("/usr/share/fonts/truetype/nanum")


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
    connective: str = Field("", description="a line under the role that credits no one (\"with\", \"in "
                            "association with\", \"그리고\"), drawn in the role style above the names where a "
                            "role heads its names")


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
    entry_gap: float = Field(0.6, ge=0, le=3, description="extra space between two credits, in line pitches")
    names_per_line: int = Field(1, ge=1, le=4)
    columns: int = Field(3, ge=2, le=3, description="name columns of the columns layout")
    name_separator: Literal["gap", "comma", "dot", "and", "amp"] = Field(
        "gap", description="how names on one row are set apart: a wide gap, ', ' or ' · '; \"and\"/\"amp\": "
        "', ' with ' and ' / ' & ' before the last (\"A, B and C\", \"A & B\")")
    name_gap_em: float = Field(1.6, ge=1.0, le=6.0, description="the wide gap between names, in ems")
    role_side: Literal["left", "right"] = Field("left", description="two_column: the role column left of the "
                                                "names (flush right) or right of them (flush left, names flush right)")
    wrap_roles: bool = Field(False, description="heading layouts: a title with a space is set over two lines, "
                             "broken at its last space (\"VFX\" / \"슈퍼바이저\")")
    closing_lines: tuple[str, ...] = Field((), description="lines after the last credit that credit no one "
                                           "(\"© 2024 ... All rights reserved.\", \"Presented by\"): drawn, "
                                           "never in the truth")
    fade_s: float = Field(0.0, ge=0, description="cards fade in and out over this long")
    cut_after_s: float | None = Field(None, gt=0, description="the video ends here, mid-roll")
    name_colour: tuple[int, int, int] = (255, 255, 255)  # RGB
    role_colour: tuple[int, int, int] = (200, 200, 200)
    scroll_speed: float = Field(0.1, gt=0, description="frame heights per second")
    card_seconds: float = Field(3.0, gt=0.2)
    entries_per_card: int = Field(3, ge=1)
    lead_in_s: float = Field(1.0, ge=0)
    tail_s: float = Field(1.0, ge=0)
    footage_speed: float = Field(1.0, gt=0, le=8, description="busy footage: how fast its shapes move (1: up to a "
                                 "quarter frame height per second)")
    footage_texture: int = Field(0, ge=0, le=40, description="busy footage: striped and lettered patches moving "
                                 "through it (edge-dense like foliage, crowds, signs: edges text also has)")
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
