"""Role-mapping fixtures: a small slice of the real taxonomy (four departments) for fast training tests."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from vidsearch.credits.roles.sources import EBU_RELATIVE
from vidsearch.credits.roles.taxonomy import DEFAULT_TITLE_FILES, load_taxonomy

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
