"""The demo programme: a short travel show rendered from scratch, so ``vidsearch demo`` needs no footage.

Five scenes with burnt-in Korean/English captions over moving backgrounds, then a Korean/English end-credit roll
scrolling over black, encoded to H.264 with ffmpeg. ``DEMO_QUERIES`` lists searches and the scene each must find,
which the demo prints and the end-to-end test checks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from vidsearch.media.synth import Scene, korean_font, scene_frames, write_video

FPS = 25
SIZE = (1280, 720)
SCENE_S = 6.0


SCENES = (
    Scene(("서울의 밤 풍경", "Seoul skyline at night"), (10, 20, 60), (70, 30, 90), SCENE_S),
    Scene(("부산 해운대 해수욕장", "Haeundae beach in Busan"), (90, 170, 230), (20, 90, 160), SCENE_S),
    Scene(("제주도 한라산 등반", "Hiking Hallasan on Jeju island"), (40, 120, 50), (150, 200, 90), SCENE_S),
    Scene(("김치찌개 끓이는 법", "How to cook kimchi stew"), (200, 80, 20), (250, 190, 60), SCENE_S),
    Scene(("경복궁 야간 개장", "Gyeongbokgung palace night opening"), (60, 30, 10), (180, 120, 50), SCENE_S),
)

CREDITS = (
    ("연출", "김민수"), ("촬영감독", "이지은"), ("편집", "박서준"), ("음악", "최유나"),
    ("Director of Photography", "Lee Ji-eun"), ("Executive Producer", "Jung Hae-in"),
)
CREDIT_ROLL_S = 12.0


@dataclass(frozen=True)
class DemoQuery:
    query: str
    scene: int  # index into SCENES; len(SCENES) means the credit roll


DEMO_QUERIES = (
    DemoQuery("한라산", 2),
    DemoQuery("kimchi stew", 3),
    DemoQuery("해운대 해수욕장", 1),
    DemoQuery("palace at night", 4),
    DemoQuery("촬영감독", len(SCENES)),
)

SIDECAR = {
    "programme_title": "여행의 발견 (Travel Discoveries)",
    "channel": "VIDSEARCH-DEMO",
    "air_date": "2024-05-01",
    "synopsis": "서울, 부산, 제주를 여행하며 음식과 풍경을 소개하는 데모 프로그램. A demo travel show.",
}


def scene_span(scene: int) -> tuple[float, float]:
    """(start, end) seconds of a scene; the credit roll is scene ``len(SCENES)``."""
    start = scene * SCENE_S
    return start, start + (CREDIT_ROLL_S if scene == len(SCENES) else SCENE_S)


def _credit_frames() -> Iterator[np.ndarray]:
    w, h = SIZE
    font = korean_font(46)
    line_h = 90
    sheet_h = h + len(CREDITS) * line_h + h
    sheet = Image.new("RGB", (w, sheet_h), (0, 0, 0))
    draw = ImageDraw.Draw(sheet)
    for i, (role, name) in enumerate(CREDITS):
        y = h + i * line_h
        draw.text((w / 2 - 40 - draw.textlength(role, font=font), y), role, font=font, fill=(255, 255, 255))
        draw.text((w / 2 + 40, y), name, font=font, fill=(255, 255, 255))
    rows = np.asarray(sheet)
    frames = int(CREDIT_ROLL_S * FPS)
    travel = sheet_h - h
    for i in range(frames):
        top = round(travel * i / (frames - 1))
        yield rows[top:top + h]


def render_demo_video(folder: Path) -> Path:
    """Render the demo programme (and its metadata sidecar) into ``folder``; returns the video path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "travel_discoveries_ep01.mp4"

    def frames() -> Iterator[np.ndarray]:
        for i, scene in enumerate(SCENES):
            yield from scene_frames(scene, SIZE, FPS, seed=i)
        yield from _credit_frames()

    write_video(frames(), path, FPS, SIZE)
    path.with_suffix(".json").write_text(json.dumps(SIDECAR, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
