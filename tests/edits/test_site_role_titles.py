"""A role title mapped through the API joins the site's title list, which the role mapper indexes and the credit
stage fingerprints (the mapper coding the title in a real re-analysis: test_reanalysis_ray.py)."""

from __future__ import annotations

import logging

import pytest

from tests.credits.conftest import write_taxonomy_slice
from vidsearch.credits.roles.recipe import load_role_taxonomy
from vidsearch.credits.roles.site import site_role_titles_path, with_site_titles
from vidsearch.credits.roles.taxonomy import TaxonomyError
from vidsearch.credits.stage import CreditStage


@pytest.fixture
def sliced(archive, shared, tmp_path):
    """The archive's settings with a small slice of the real taxonomy (sound, camera, editing, lighting)."""
    settings, _ = archive
    ebu, titles = write_taxonomy_slice(shared, tmp_path / "taxonomy")
    return settings.model_copy(update={"credits": settings.credits.model_copy(
        update={"role_taxonomy_path": ebu, "role_title_files": titles})})


def _role_titles_ref(settings):
    refs = {ref.role: ref for ref in CreditStage(settings).model_refs()}
    return refs.get("role_titles")


def test_a_title_mapped_through_the_api_reaches_the_mapper_and_the_credit_stage_fingerprint(edit_api, sliced):
    assert _role_titles_ref(sliced) is None  # no mappings yet: fingerprints as before
    shipped = load_role_taxonomy(sliced.credits)
    assert "음향효과맨" not in {t.text for t in shipped.titles}

    assert edit_api.post("/v1/role-titles/map", json={"title": "음향효과맨", "code": "23.8"}).status_code == 200
    first = _role_titles_ref(sliced)
    assert first is not None and first.source == str(site_role_titles_path(sliced))
    site = with_site_titles(shipped, site_role_titles_path(sliced))
    assert {t.text: t.code for t in site.titles}["음향효과맨"] == "23.8"
    assert len(site.titles) == len(shipped.titles) + 1 and site.fingerprint != shipped.fingerprint

    assert edit_api.post("/v1/role-titles/map", json={"title": "음향효과맨", "code": "23.9"}).status_code == 200
    assert _role_titles_ref(sliced).checksum != first.checksum  # remapped: the credit stage reruns again
    assert edit_api.post("/v1/role-titles/map", json={"title": "음향효과맨", "code": None}).status_code == 200
    assert _role_titles_ref(sliced) is None  # unmapped: back to the fingerprint without site titles


def test_site_titles_the_taxonomy_cannot_take_are_left_out_with_a_warning(sliced, caplog):
    path = site_role_titles_path(sliced)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# mapped by archivists\n23.8\t음향효과맨\n20.1\t프로듀서님\n23.9\t촬영감독\n", encoding="utf-8")
    shipped = load_role_taxonomy(sliced.credits)
    with caplog.at_level(logging.WARNING):
        site = with_site_titles(shipped, path)
    added = {t.text: t.code for t in site.titles[len(shipped.titles):]}
    assert added == {"음향효과맨": "23.8"}
    assert "code 20.1 is not in the role taxonomy" in caplog.text  # the slice has no production department
    assert "'촬영감독' left out of the mapper: the title is already listed (as 6.1)" in caplog.text

    path.write_text("23.8\t음향효과맨\t\textra\n", encoding="utf-8")  # edited by hand, broken
    with pytest.raises(TaxonomyError, match="site_role_titles.tsv line 1: expected code, title .*site's role-title"):
        with_site_titles(shipped, path)
