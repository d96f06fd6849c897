"""The role taxonomy: the real EBU file loads (with the project's two corrections), the shipped Korean
extension covers the titles Korean credits use, and a broken file is rejected with the line of the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidsearch.credits.roles.dataset import labelled_strings
from vidsearch.credits.roles.sources import EBU_RELATIVE, KDRAMA_RELATIVE, kdrama_role_strings
from vidsearch.credits.roles.taxonomy import TaxonomyError, load_taxonomy, read_ebu_roles, read_titles

HEADER = "termID\tparent_path\tname\n"


@pytest.fixture(scope="module")
def ebu_path(shared: Path) -> Path:
    return shared / "eval" / EBU_RELATIVE


@pytest.fixture(scope="module")
def taxonomy(ebu_path: Path):
    return load_taxonomy(ebu_path)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_real_ebu_file_loads_with_the_projects_corrections(taxonomy):
    assert len(taxonomy.roles) == 682  # 684 upstream rows, two of them repeats under reused codes
    assert taxonomy.roles["20.21"].label == "Segment Director"
    assert taxonomy.roles["20.50"].label == "Production Assistant"
    assert taxonomy.concept_of("6.1").label == "Director of Photography"
    assert taxonomy.concept_of("6.1").department == "CAMERA DEPARTMENT"
    # "Director" is listed under DISTRIBUTION and PRODUCTION; a title cannot tell them apart: one concept
    # whose code is the one the Korean and English titles point to.
    director = taxonomy.concept_of("10.1.1")
    assert director.code == "20.16" and set(director.codes) == {"10.1.1", "20.16"}
    assert director.label_ko == "연출"


def test_real_ebu_file_without_corrections_is_rejected_at_the_repeated_code(ebu_path):
    with pytest.raises(TaxonomyError) as error:
        read_ebu_roles(ebu_path)
    assert error.value.line == 433
    assert "duplicate code 20.21 (first defined on line 428)" in str(error.value)


def test_korean_extension_covers_the_common_broadcast_titles(taxonomy):
    expected = {"연출": "20.16", "조연출": "20.17", "촬영": "6.1", "촬영감독": "6.1", "조명": "15.1",
                "음향": "23.3", "동시녹음": "23.1.3", "편집": "11.1", "미술": "5.3.1", "분장": "13.2.2",
                "의상": "28.1", "극본": "22.2", "작가": "22.2", "구성": "22.2", "음악": "17.1.1",
                "제작": "20.1", "기획": "20.2", "CG": "5.9.15", "진행": "20.14"}
    by_text = {title.text: title.code for title in taxonomy.titles}
    assert {text: by_text.get(text) for text in expected} == expected
    assert sum(t.lang == "ko" for t in taxonomy.titles) > 600
    assert sum(t.lang == "en" for t in taxonomy.titles) > 500


def test_drama_database_role_strings_are_labelled(shared: Path, taxonomy):
    strings = kdrama_role_strings(shared / "eval" / KDRAMA_RELATIVE)
    labelled = labelled_strings(taxonomy, strings)
    for role in ("출연", "극본", "제작사", "배우", "작가", "각본가", "연출가"):
        assert labelled[role] == strings[role] > 0, role
    covered = sum(labelled.values()) / sum(strings.values())
    assert covered > 0.95


@pytest.mark.parametrize(("body", "line", "message"), [
    ("1\t\tCAMERA\n1.1\tCAMERA\tDirector of Photography\n1.1\tCAMERA\tCameraman\n", 4, "duplicate code 1.1"),
    ("1\t\tCAMERA\n1.x\tCAMERA\tCameraman\n", 3, "malformed code '1.x'"),
    ("1\t\tCAMERA\n01.2\tCAMERA\tCameraman\n", 3, "malformed code '01.2'"),
    ("1\t\tCAMERA\n1.2\tCameraman\n", 3, "expected 3 tab-separated fields"),
    ("1\t\tCAMERA\n2.1\tSOUND\tBoom Operator\n", 3, "has no parent 2"),
    ("1\t\tCAMERA\n1.1\tSOUND\tCameraman\n", 3, "does not end with 'CAMERA'"),
    ("1\t\tCAMERA\n1.1\tCAMERA\t\n", 3, "has no name"),
    # a quoted name spanning two lines, as in the upstream file, keeps the line count right
    ('1\t\tCAMERA\n1.1\tCAMERA\t"Camera Operator /\n   Cameraman"\n1.1\tCAMERA\tGrip\n', 5,
     "duplicate code 1.1"),
])
def test_broken_taxonomy_is_rejected_with_its_line(tmp_path: Path, body: str, line: int, message: str):
    path = write(tmp_path, "roles.tsv", HEADER + body)
    with pytest.raises(TaxonomyError) as error:
        read_ebu_roles(path)
    assert error.value.line == line
    assert message in str(error.value)
    assert f"{path} line {line}:" in str(error.value)


def test_taxonomy_without_the_ebu_header_is_rejected_at_line_1(tmp_path: Path):
    path = write(tmp_path, "roles.tsv", "code\tname\n1\tCAMERA\n")
    with pytest.raises(TaxonomyError, match="line 1: expected the header termID/parent_path/name"):
        read_ebu_roles(path)


@pytest.mark.parametrize(("body", "line", "message"), [
    ("# comment\n6.1\t촬영감독\t촬영\n9.9.9\t무언가\n", 3, "unknown code 9.9.9"),
    ("6.1\t촬영감독\n6.x\t조명\n", 2, "malformed code '6.x'"),
    ("6.1\t촬영감독\t촬영 감독\n", 1, "'촬영 감독' already given on titles.tsv:1"),
    ("6.1\t촬영감독\n\n20.16\t촬영 감독\n", 3, "already given on titles.tsv:1"),
    ("6.1\tDirector\n", 1, "is the EBU label of 10.1.1, not of 6.1"),
    ("6.1\t촬영감독\textra\tfield\n", 1, "expected code, title and optional variants"),
    ("6.1\t:: |\n", 1, "empty title"),
])
def test_broken_title_file_is_rejected_with_its_line(tmp_path: Path, ebu_path: Path, body: str, line: int,
                                                     message: str):
    path = write(tmp_path, "titles.tsv", body)
    with pytest.raises(TaxonomyError) as error:
        load_taxonomy(ebu_path, [path])
    assert error.value.line == line
    assert message in str(error.value)


def test_missing_taxonomy_file_names_the_path(tmp_path: Path):
    with pytest.raises(TaxonomyError, match="nowhere.tsv: cannot read"):
        read_ebu_roles(tmp_path / "nowhere.tsv")


def test_titles_parse_variants_and_normalise_spacing(tmp_path: Path):
    path = write(tmp_path, "titles.tsv", "6.1\t촬 영 감 독 :\tDOP|  Director  of Photography \n")
    titles = read_titles(path, {"6.1"})
    assert [t.text for t in titles] == ["촬영감독", "DOP", "Director of Photography"]
    assert [t.lang for t in titles] == ["ko", "en", "en"]
    assert {t.line for t in titles} == {1}
