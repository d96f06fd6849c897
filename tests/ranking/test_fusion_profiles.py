"""Fusion profiles and query rules: load by name, bad files named, per-request overrides, and a query that names
a credited person leaning on the credit lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from ranking.errors import InvalidProfile, InvalidWeights, ProfileNotFound
from ranking.profiles import (
    FusionOverrides,
    FusionProfile,
    list_profiles,
    load_profile,
    resolve_profile,
    save_profile,
)
from ranking.query_rules import CreditedNames, QueryRule, apply_rules
from vidsearch.config import RankingSettings
from vidsearch.store.base import Candidate


def test_saved_profile_loads_by_name(tmp_path: Path) -> None:
    profile = FusionProfile(name="news-2024", method="weighted", weights={"bm25_ko": 0.6, "text_vec": 0.4},
                            normalization="zscore", missing="min")
    path = save_profile(profile, tmp_path)
    assert path == tmp_path / "news-2024.json"
    assert load_profile("news-2024", tmp_path) == profile
    assert list_profiles(tmp_path) == ["news-2024"]


def test_default_profile_comes_from_settings_without_a_file(tmp_path: Path) -> None:
    settings = RankingSettings(weights={"bm25_ko": 1, "text_vec": 1}, fusion="rrf", rrf_k=20)
    profile = load_profile(None, tmp_path, settings)
    assert profile.name == "default" and profile.method == "rrf" and profile.rrf_k == 20
    assert profile.weights == {"bm25_ko": 0.5, "text_vec": 0.5}  # normalised


def test_missing_and_unsafe_profile_names(tmp_path: Path) -> None:
    save_profile(FusionProfile(name="tuned", weights={"a": 1}), tmp_path)
    with pytest.raises(ProfileNotFound, match="available: tuned"):
        load_profile("nope", tmp_path)
    with pytest.raises(ProfileNotFound, match="letters, digits"):
        load_profile("../../etc/passwd", tmp_path)
    with pytest.raises(ProfileNotFound, match="profiles_dir is not set"):
        load_profile("tuned", None)


@pytest.mark.parametrize("body, message", [
    ({"weights": {"bm25_ko": -1, "text_vec": 1}}, "negative"),
    ({"method": "borda"}, "method"),
    ({"weights": {"a": 1}, "colour": "red"}, "colour"),
    ("[1, 2]", "JSON object"),
    ("{not json", "not JSON"),
])
def test_bad_profile_files_are_named(tmp_path: Path, body, message: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(body if isinstance(body, str) else json.dumps(body))
    with pytest.raises(InvalidProfile, match=message) as caught:
        load_profile("broken", tmp_path)
    assert "broken.json" in str(caught.value)


def test_profile_weights_not_summing_to_one_are_normalised(tmp_path: Path, caplog) -> None:
    (tmp_path / "loose.json").write_text(json.dumps({"weights": {"bm25_ko": 2, "text_vec": 6}}))
    profile = load_profile("loose", tmp_path)
    assert profile.weights == {"bm25_ko": 0.25, "text_vec": 0.75}
    assert "normalised" in caplog.text


def test_request_overrides_apply_field_by_field(tmp_path: Path) -> None:
    save_profile(FusionProfile(name="tuned", weights={"bm25_ko": 0.7, "text_vec": 0.3}, normalization="zscore"),
                 tmp_path)
    settings = RankingSettings(profiles_dir=tmp_path, default_profile="tuned")
    assert resolve_profile(settings).weights == {"bm25_ko": 0.7, "text_vec": 0.3}
    overridden = resolve_profile(settings, {"method": "rrf", "rrf_k": 10})
    assert (overridden.method, overridden.rrf_k, overridden.normalization) == ("rrf", 10, "zscore")
    assert resolve_profile(settings, {"profile": "default"}).name == "default"
    with pytest.raises(InvalidWeights, match="negative"):
        FusionOverrides(weights={"bm25_ko": -0.1})
    with pytest.raises(ValidationError):
        FusionOverrides(colour="red")


def test_credited_name_matching() -> None:
    names = CreditedNames(["김민수", "Bong Joon-ho", "이", "박 서준"])
    assert names.match("김민수가 촬영한 드라마") == ["김민수"]
    assert names.match("김민수 감독의 작품") == ["김민수"]
    assert names.match("bong joon ho interview") == ["Bong Joon-ho"]
    assert names.match("박서준 출연") == ["박 서준"]
    assert names.match("김민수빈 인터뷰") == []  # a longer word is not the name
    assert names.match("이 장면") == []  # one-syllable names are ignored
    assert len(names) == 3


def test_a_query_naming_a_credited_person_leans_on_credit_lists() -> None:
    profile = load_profile(None, None, RankingSettings(weights={"bm25_ko": 0.3, "bm25_en": 0.2, "text_vec": 0.5}))
    names = CreditedNames(["김민수"])
    lists = {"bm25_ko": [Candidate("sea", 9.0), Candidate("credit-roll", 4.0)],
             "text_vec": [Candidate("sea", 0.8), Candidate("other", 0.6)],
             "credits_ko": [Candidate("credit-roll", 7.5)]}
    plain = profile.fuse(lists, query="바다 풍경", names=names)
    assert plain.ids[0] == "sea" and not plain.rules_fired
    named = profile.fuse(lists, query="김민수 촬영 감독", names=names)
    assert named.ids[0] == "credit-roll"
    assert named.rules_fired == [{"rule": "credited-name", "reason": "the query names 김민수"}]
    assert named.weights["credits_ko"] > named.weights["bm25_ko"]
    assert any("김민수" in n for n in named.notices)
    no_rules = profile.with_overrides({"rules": False}).fuse(lists, query="김민수 촬영 감독", names=names)
    assert no_rules.ids[0] == "sea"


def test_script_short_and_pattern_rules() -> None:
    rules = [QueryRule(name="ko", when="hangul", scale={"bm25_en": 0.5}),
             QueryRule(name="en", when="latin_only", scale={"bm25_ko": 0.5}),
             QueryRule(name="short", when="short", max_words=1, scale={"bm25_*": 2}),
             QueryRule(name="year", when="pattern", pattern=r"\b(19|20)\d\d\b", set={"air_date": 0.2})]
    weights = {"bm25_ko": 0.4, "bm25_en": 0.4, "text_vec": 0.2}
    korean = apply_rules(weights, rules, "바다 풍경")
    assert korean.weights["bm25_en"] < korean.weights["bm25_ko"]
    assert [f["rule"] for f in korean.fired] == ["ko"]
    english = apply_rules(weights, rules, "sunset")
    assert [f["rule"] for f in english.fired] == ["en", "short"]
    assert english.weights["text_vec"] < 0.2
    assert sum(english.weights.values()) == pytest.approx(1.0)
    year = apply_rules(weights, rules, "news 2024 election")
    assert "air_date" in year.weights and year.fired[-1]["rule"] == "year"
    with pytest.raises(ValidationError, match="pattern"):
        QueryRule(name="bad", when="pattern", pattern="(")
    with pytest.raises(ValidationError):
        QueryRule(name="neg", when="hangul", scale={"a": -1})
