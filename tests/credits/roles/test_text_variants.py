"""Role text as it comes off a roll: normalised before encoding; corrupted reproducibly for training."""

from __future__ import annotations

import pytest

from vidsearch.credits.roles.dataset import split_titles
from vidsearch.credits.roles.taxonomy import load_taxonomy
from vidsearch.credits.roles.text import compact_key, is_korean, normalise_role_text
from vidsearch.credits.roles.variants import noisy_variants


@pytest.mark.parametrize(("raw", "clean"), [
    ("연   출", "연출"),
    ("촬 영 감 독 :", "촬영감독"),
    ("| 편집", "편집"),
    ("촬영 감독", "촬영 감독"),  # a real word boundary stays
    ("  Director   of Photography ·", "Director of Photography"),
    ("ＣＧ", "CG"),  # full-width Latin from a Korean font
])
def test_normalisation_undoes_credit_typography(raw: str, clean: str):
    assert normalise_role_text(raw) == clean


def test_spacing_case_and_punctuation_forms_share_a_key():
    assert compact_key("촬영 감독") == compact_key("촬영감독")
    assert compact_key("D.O.P.") == compact_key("dop")
    assert compact_key("Make-up") == compact_key("Makeup")
    assert compact_key("촬영") != compact_key("촬영감독")


def test_corruptions_are_reproducible_and_keep_the_script():
    first = noisy_variants("촬영감독", 4, seed=7)
    assert first == noisy_variants("촬영감독", 4, seed=7)
    assert first != noisy_variants("촬영감독", 4, seed=8)
    assert len(first) == 4 and "촬영감독" not in first
    assert all(is_korean(v) for v in first)
    english = noisy_variants("Director of Photography", 4, seed=7)
    assert len(set(english)) == 4 and all(not is_korean(v) for v in english)


def test_short_korean_titles_keep_every_syllable():
    # dropping a syllable of 조연출 gives 조연 ("supporting actor"): only long titles lose one
    for variant in noisy_variants("조연출", 12, seed=3):
        assert len(compact_key(variant)) >= 3


def test_held_out_titles_are_a_seeded_share_of_each_language(shared):
    from vidsearch.credits.roles.sources import EBU_RELATIVE

    taxonomy = load_taxonomy(shared / "eval" / EBU_RELATIVE)
    split = split_titles(taxonomy, 0.25, seed=13)
    again = split_titles(taxonomy, 0.25, seed=13)
    assert [t.text for t in split.eval] == [t.text for t in again.eval]
    held = {t.key for t in split.eval}
    assert not held & {t.key for t in split.train}
    for lang in ("ko", "en"):
        eval_count = sum(t.lang == lang for t in split.eval)
        total = sum(t.lang == lang for t in taxonomy.titles)
        assert 0.15 * total < eval_count < 0.3 * total
    # a title that only re-spells its own EBU label ("DIT") is never held out: it would be trivially right
    assert "DIT" not in {t.text for t in split.eval}
