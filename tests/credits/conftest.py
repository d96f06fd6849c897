"""Rendered credit rolls (real names and roles from the shared dev lists), cached for the session, and one
credit extractor whose models load once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from vidsearch.config import Settings
from vidsearch.credits.filler import FillerSpec
from vidsearch.credits.render import CreditEntry, CreditRollSpec, render_credit_roll
from vidsearch.credits.sample import CreditSources, load_sources, sample_entries
from vidsearch.credits.truth import CreditRollTruth


@pytest.fixture(scope="session")
def sources(shared: Path) -> CreditSources:
    credits = shared / "eval" / "dev" / "credits"
    return load_sources(credits / "kdrama_wiki_db" / "kdrama_name_role_flat.tsv",
                        credits / "ebu_role_taxonomy" / "ebu_RoleCodeCS_flat.tsv")


@pytest.fixture(scope="session")
def entries(sources) -> Callable[..., list[CreditEntry]]:
    def make(seed: int, n: int = 6, max_names: int = 2, english_share: float = 0.3) -> list[CreditEntry]:
        return sample_entries(sources, seed, n_entries=n, max_names=max_names, english_share=english_share)
    return make


@pytest.fixture(scope="session")
def roll_factory(tmp_path_factory) -> Callable[..., tuple[Path, CreditRollTruth]]:
    """Render a roll once per name for the session: (video path, truth)."""
    folder = tmp_path_factory.mktemp("rolls")
    made: dict[str, tuple[Path, CreditRollTruth]] = {}

    def make(name: str, spec: CreditRollSpec, filler: FillerSpec | None = None) -> tuple[Path, CreditRollTruth]:
        if name not in made:
            path = folder / f"{name}.mp4"
            made[name] = (path, render_credit_roll(spec, path, filler))
        return made[name]

    return make


@pytest.fixture(scope="session")
def credit_settings(tmp_path_factory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("credit-data"), log_level="WARNING")


@pytest.fixture(scope="session")
def extractor(credit_settings):
    from vidsearch.credits.pipeline import CreditExtractor

    return CreditExtractor.from_settings(credit_settings)
