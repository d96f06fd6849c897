"""Face test fixtures: the dlib models loaded once, labelled dev photos, and composed videos with exact
truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidsearch.config import Settings
from testkit.faces.composer import ComposedShot, ComposedVideo, CropCache, Placement, render
from testkit.faces.devdata import LabelledPhoto, eval_root, photos_by_identity
from testkit.faces.evaluation import index_in_process
from vidsearch.faces.models import FaceModel, load_face_model, thresholds
from vidsearch.faces.settings import FaceSettings


@pytest.fixture(scope="session")
def face_model() -> FaceModel:
    return load_face_model(FaceSettings())


@pytest.fixture(scope="session")
def face_limits(face_model):
    return thresholds(FaceSettings(), face_model)


@pytest.fixture(scope="session")
def people() -> dict[str, list[LabelledPhoto]]:
    eval_root()  # fails loudly, naming the expected folder, when the data is missing
    return photos_by_identity()


@pytest.fixture(scope="session")
def crops(face_model) -> CropCache:
    return CropCache(face_model)


def _shots(people, plan) -> list[ComposedShot]:
    shots = []
    for start, end, colour, faces in plan:
        shots.append(ComposedShot(start, end, colour, tuple(
            Placement(people[name][photo], x, y, size, drift) for name, photo, x, y, size, drift in faces)))
    return shots


# Who is on screen when, in the two composed test videos. Each person appears with a *different* photo on each
# entrance (photo index 1, 2, ...), so one person's tracks must be clustered from different pictures; photo 0
# of each person never appears and is the search query.
NEWS_PLAN = [
    (0.0, 4.0, (40, 40, 40), []),
    (4.0, 9.0, (120, 60, 30), [("Angelina", 1, 0.3, 0.5, 140, (10.0, 0.0))]),
    (9.0, 14.0, (30, 90, 130), [("Angelina", 2, 0.25, 0.45, 130, (0.0, 0.0)),
                                ("Mark", 1, 0.72, 0.5, 140, (-8.0, 4.0))]),
    (14.0, 19.0, (70, 120, 60), [("Mark", 2, 0.5, 0.5, 150, (0.0, -5.0))]),
    (19.0, 22.0, (110, 110, 140), []),
    (22.0, 28.0, (20, 60, 90), [("Scarlett", 1, 0.5, 0.5, 140, (12.0, 0.0))]),
    (28.0, 32.0, (140, 100, 80), [("Angelina", 3, 0.7, 0.5, 130, (0.0, 0.0)),
                                  ("Scarlett", 2, 0.28, 0.45, 140, (0.0, 0.0))]),
]
TALK_PLAN = [
    (0.0, 5.0, (60, 30, 100), [("Angelina", 4, 0.5, 0.5, 140, (0.0, 0.0))]),
    (5.0, 10.0, (40, 40, 40), [("Jennifer", 1, 0.5, 0.5, 150, (6.0, 0.0))]),
    (10.0, 14.0, (120, 60, 30), [("Jennifer", 2, 0.3, 0.5, 130, (0.0, 0.0)),
                                 ("Angelina", 5, 0.72, 0.5, 130, (0.0, 0.0))]),
]


@pytest.fixture(scope="session")
def composed_news(tmp_path_factory, people, crops) -> ComposedVideo:
    video = ComposedVideo("news", _shots(people, NEWS_PLAN))
    render(video, tmp_path_factory.mktemp("composed") / "news.mp4", crops)
    return video


@pytest.fixture(scope="session")
def composed_talk(tmp_path_factory, people, crops) -> ComposedVideo:
    video = ComposedVideo("talk", _shots(people, TALK_PLAN))
    render(video, tmp_path_factory.mktemp("composed") / "talk.mp4", crops)
    return video


@pytest.fixture(scope="session")
def empty_video(tmp_path_factory, crops) -> ComposedVideo:
    """Six seconds of backgrounds: nobody appears."""
    video = ComposedVideo(
        "empty", [ComposedShot(0.0, 3.0, (40, 40, 40)), ComposedShot(3.0, 6.0, (30, 90, 130))]
    )
    render(video, tmp_path_factory.mktemp("composed") / "empty.mp4", crops)
    return video


def face_settings(tmp: Path, **faces) -> Settings:
    return Settings(
        data_dir=tmp / "data",
        log_level="WARNING",
        faces=faces,
        ingest={"stages": ["shots", "metadata", "faces"]},
    )


@pytest.fixture(scope="session")
def archive(tmp_path_factory, composed_news, composed_talk):
    """The two composed videos indexed through the real stages into an embedded store (read-only for
    tests)."""
    settings = face_settings(tmp_path_factory.mktemp("archive"))
    store = index_in_process(settings, [composed_news.path, composed_talk.path])
    yield settings, store
    store.close()
