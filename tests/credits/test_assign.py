"""Role codes that abstain: composite titles get every code, unsure or ambiguous titles stay unmapped with their
text, other scripts are not mapped, and the calibration picks thresholds that keep mapped codes right."""

from __future__ import annotations

import pytest

from vidsearch.credits.roles.assign import (
    RoleAssigner,
    RoleStatus,
    calibrate_selective,
    composite_parts,
    evaluate_selective,
    other_script,
)


@pytest.mark.parametrize(("text", "parts"), [
    ("조연출·편집", ["조연출", "편집"]), ("Hair/Make-up", ["Hair", "Make-up"]), ("촬영 / 조명", ["촬영", "조명"]),
    ("Sound Mixer & Boom Operator", ["Sound Mixer", "Boom Operator"]), ("촬영감독", ["촬영감독"]), ("·", []),
])
def test_composite_titles_split_into_their_jobs(text, parts):
    assert composite_parts(text) == parts


def test_scripts_other_than_hangul_and_latin_are_recognised():
    assert other_script("撮影監督") and other_script("Оператор") and other_script("カメラ")
    assert not other_script("촬영감독") and not other_script("Director of Photography") and not other_script("CG 2D")


def test_calibration_keeps_mapped_codes_right_at_the_target():
    # scores 0.5..1.0; items below 0.8 are wrong a third of the time, above it always right; non-roles score low
    outcomes = [(0.5 + i / 200, 0.1, i % 3 != 0 or 0.5 + i / 200 >= 0.8) for i in range(100)]
    golds = [True] * 100
    outcomes += [(0.3 + i / 1000, 0.0, False) for i in range(50)]
    golds += [False] * 50
    chosen = calibrate_selective(outcomes, golds, target=0.97)
    assert chosen.accuracy >= 0.97 and 0.75 <= chosen.min_score <= 0.8
    assert chosen.coverage == pytest.approx(evaluate_selective(outcomes, golds, chosen.min_score, 0.0).coverage)
    everything = evaluate_selective(outcomes, golds, -1.0, 0.0)
    assert everything.accuracy < 0.97 and everything.coverage == 1.0


@pytest.fixture(scope="module")
def assigner(stage_role_settings):
    from vidsearch.credits.roles import load_role_mapper

    credits = stage_role_settings.credits
    return RoleAssigner(load_role_mapper(stage_role_settings), credits.role_min_confidence, credits.role_min_margin)


def test_roles_map_abstain_or_stay_text(assigner):
    texts = ["촬영감독", "조연출·편집", "진행", "撮影監督", "", "시청해 주셔서 감사합니다", "Director of Photography"]
    got = {a.text: a for a in assigner.assign(texts)}
    assert got["촬영감독"].status is RoleStatus.MAPPED and [m.code for m in got["촬영감독"].codes] == ["6.1"]
    assert [m.code for m in got["조연출·편집"].codes] == ["20.17", "11.1"]  # both jobs of a composite title
    assert got["조연출·편집"].status is RoleStatus.MAPPED
    assert got["진행"].status is RoleStatus.UNMAPPED and not got["진행"].codes  # host or coordinator: no guess
    assert got["撮影監督"].status is RoleStatus.OTHER_LANGUAGE and not got["撮影監督"].codes
    assert got[""].status is RoleStatus.NONE
    thanks = got["시청해 주셔서 감사합니다"]
    assert thanks.status is RoleStatus.UNMAPPED and not thanks.codes and thanks.confidence < 0.81
    assert [m.code for m in got["Director of Photography"].codes] == ["6.1"]
