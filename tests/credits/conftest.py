"""Rendered credit rolls (real names and roles from the shared dev lists), cached for the session, one
credit extractor whose models load once, and small slices of the real role taxonomy (fast role mapping)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from vidsearch.config import Settings
from testkit.credits.filler import FillerSpec
from testkit.credits.render import CreditEntry, CreditRollSpec, render_credit_roll
from vidsearch.credits.roles.sources import EBU_RELATIVE
from vidsearch.credits.roles.taxonomy import DEFAULT_TITLE_FILES, load_taxonomy
from testkit.credits.sample import CreditSources, load_sources, sample_entries
from testkit.credits.scoring import RollScore, score_pairs
from testkit.credits.truth import CreditRollTruth


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


@pytest.fixture(scope="session")
def pairs_read(extractor, roll_factory) -> Callable[..., RollScore]:
    """Render the roll `name` from `spec` (and `filler` footage before it; once per session), read it, and score
    its (role, name) pairs."""
    def read(name: str, spec: CreditRollSpec, filler: FillerSpec | None = None) -> RollScore:
        path, truth = roll_factory(name, spec, filler)
        reading = extractor.extract(path)
        return score_pairs(truth, [(c.role_text, n, c.time) for c in reading.lines for n in c.names])
    return read


DEPARTMENTS = ("6", "11", "15", "23")  # camera, editing, lighting, sound


def write_taxonomy_slice(shared: Path, folder: Path, departments=DEPARTMENTS) -> tuple[Path, list[Path]]:
    """The real EBU rows and shipped titles of ``departments`` only, as files a RoleTaxonomy loads."""
    folder.mkdir(parents=True, exist_ok=True)
    with (shared / "eval" / EBU_RELATIVE).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    kept = [rows[0]] + [row for row in rows[1:] if row[0].split(".")[0] in departments]
    ebu = folder / "ebu_slice.tsv"
    with ebu.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter="\t", lineterminator="\n").writerows(kept)
    codes = {row[0] for row in kept}
    title_files = []
    for source in DEFAULT_TITLE_FILES:
        lines = source.read_text(encoding="utf-8").splitlines()
        target = folder / source.name
        kept_lines = [line for line in lines if line.split("\t")[0] in codes]
        target.write_text("\n".join(kept_lines) + "\n", encoding="utf-8")
        title_files.append(target)
    return ebu, title_files


@pytest.fixture(scope="session")
def taxonomy_slice(shared: Path, tmp_path_factory) -> tuple[Path, list[Path]]:
    return write_taxonomy_slice(shared, tmp_path_factory.mktemp("taxonomy"))


@pytest.fixture(scope="session")
def small_taxonomy(taxonomy_slice):
    ebu, titles = taxonomy_slice
    return load_taxonomy(ebu, titles)


@pytest.fixture(scope="session")
def stage_role_settings(credit_settings, shared: Path, tmp_path_factory) -> Settings:
    """Credit settings whose role mapper reads a taxonomy slice that also holds production (연출): the stage
    loads the real mapper (base encoder, calibrated threshold) on it in seconds rather than a minute."""
    ebu, titles = write_taxonomy_slice(shared, tmp_path_factory.mktemp("stage-taxonomy"), DEPARTMENTS + ("20",))
    credits = credit_settings.credits.model_copy(update={"role_taxonomy_path": ebu, "role_title_files": titles})
    return credit_settings.model_copy(update={"credits": credits})
