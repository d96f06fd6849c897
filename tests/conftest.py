"""Fixtures shared by every test package: settings in a temp folder, one Ray per session, rendered clips."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from vidsearch.config import Settings
from vidsearch.media.synth import Scene, render_scenes

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """``../shared`` beside the repo (CI), else the workplace copy."""
    for candidate in (REPO.parent / "shared", Path("/work/shared")):
        if (candidate / "eval").is_dir():
            return candidate
    raise FileNotFoundError("../shared (evaluation data) not found beside the repository")


@pytest.fixture(scope="session")
def shared() -> Path:
    return shared_dir()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", ray={"num_cpus": 2, "progress_bars": False}, log_level="WARNING")


@pytest.fixture(scope="session")
def ray_local():
    """One local Ray for the whole session (start-up costs seconds); progress bars off in tests."""
    import ray
    from ray.data import DataContext

    if not ray.is_initialized():
        # address="local": a Ray of its own; without it ray.init() joins any Ray already running on the machine
        ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level=logging.WARNING,
                 log_to_driver=False)
    DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def clip_factory(tmp_path_factory) -> Callable[..., Path]:
    """Render small H.264 clips from scenes, cached per name for the session."""
    folder = tmp_path_factory.mktemp("clips")
    made: dict[str, Path] = {}

    def make(name: str, scenes: Sequence[Scene], size: tuple[int, int] = (320, 180), fps: float = 10,
             **kwargs) -> Path:
        if name not in made:
            made[name] = render_scenes(folder / name, scenes, size=size, fps=fps, **kwargs)
        return made[name]

    return make


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Playwright (Playwright's own browser download fails here), one per
    test module: the page tests of tests/serve and tests/edits."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def two_scene_clip(words: tuple[str, str], seconds: float = 4.0) -> list[Scene]:
    return [Scene((words[0],), (20, 30, 90), (90, 40, 120), seconds),
            Scene((words[1],), (200, 120, 30), (240, 200, 80), seconds)]


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 600,
            prefix: Sequence[str] = ()) -> subprocess.CompletedProcess:
    """Run ``python -m vidsearch ARGS`` the way a user runs the command."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), "RAY_DATA_DISABLE_PROGRESS_BARS": "1", **(env or {})}
    return subprocess.run([*prefix, sys.executable, "-m", "vidsearch", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=REPO)
