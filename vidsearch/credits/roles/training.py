"""Contrastive training of a role encoder: in-batch negatives plus hard negatives mined from the current
model's top-k wrong candidates, with the number of hard negatives following a schedule over the epochs (the
seed system raised it late in training, once easy confusions were gone). One loop serves a projection head on
frozen embeddings and a fine-tuned sentence-transformers model."""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from pydantic import BaseModel, Field

from vidsearch.credits.roles.dataset import LabelledTexts
from vidsearch.credits.roles.encoders import TrainableRoleEncoder
from vidsearch.errors import ConfigurationError

log = logging.getLogger(__name__)

_SCHEDULE = re.compile(r"^\s*\d+\s*:\s*\d+\s*(,\s*\d+\s*:\s*\d+\s*)*$")


@dataclass(frozen=True)
class HardNegativeSchedule:
    """Hard negatives per anchor from a given epoch on: ``"0:0,3:2,6:8"`` = none for epochs 0–2, two from
    epoch 3, eight from epoch 6."""

    steps: tuple[tuple[int, int], ...]

    @classmethod
    def parse(cls, text: str) -> HardNegativeSchedule:
        if not _SCHEDULE.match(text):
            raise ConfigurationError(
                f"hard-negative schedule {text!r}: expected epoch:count pairs such as 0:0,3:4")
        steps = sorted((int(a), int(b)) for a, b in (part.split(":") for part in text.split(",")))
        return cls(tuple(steps))

    def at(self, epoch: int) -> int:
        count = 0
        for start, value in self.steps:
            if epoch >= start:
                count = value
        return count

    def __str__(self) -> str:
        return ",".join(f"{a}:{b}" for a, b in self.steps)


class TrainingConfig(BaseModel):
    epochs: int = Field(6, ge=1)
    batch_size: int = Field(128, ge=2)
    learning_rate: float = Field(2e-3, gt=0)
    weight_decay: float = Field(0.01, ge=0)
    temperature: float = Field(0.05, gt=0)
    hard_negatives: str = Field("0:0,3:2,5:4", description="epoch:count schedule of mined hard negatives")
    mine_top_k: int = Field(20, ge=1, description="wrong candidates that hard negatives are drawn from")
    noise_per_text: int = Field(2, ge=0, description="corrupted forms generated for every index text")
    head_hidden: int | None = Field(None, ge=8, description="projection hidden size (default: encoder dims)")
    head_share: float = Field(0.5, gt=0, le=1, description="share of the learned score from the head")
    geometry_weight: float = Field(0.5, ge=0, description="penalty on moving pairwise similarities away from "
                                   "the frozen engine's (heads only): keeps unseen titles where they were")
    seed: int = 13


@dataclass
class EpochReport:
    epoch: int
    loss: float
    hard_negatives: int
    seconds: float
    metrics: dict[str, float] = field(default_factory=dict)


def _encode_all(encoder: TrainableRoleEncoder, texts: list[str]) -> np.ndarray:
    encoder.train(False)
    try:
        return encoder.encode(texts)
    finally:
        encoder.train(True)


def mine_hard_negatives(
    encoder: TrainableRoleEncoder, anchors: LabelledTexts, index: LabelledTexts, top_k: int
) -> np.ndarray:
    """Per anchor, the index rows of the ``top_k`` most similar texts of *other* concepts (best first)."""
    anchor_vectors = _encode_all(encoder, anchors.texts)
    index_vectors = _encode_all(encoder, index.texts)
    mined = np.empty((len(anchors), top_k), dtype=np.int64)
    for start in range(0, len(anchors), 1024):
        scores = anchor_vectors[start:start + 1024] @ index_vectors.T
        same = anchors.concepts[start:start + 1024, None] == index.concepts[None, :]
        scores[same] = -np.inf
        top = np.argpartition(-scores, min(top_k, scores.shape[1] - 1), axis=1)[:, :top_k]
        order = np.take_along_axis(scores, top, axis=1).argsort(axis=1)[:, ::-1]
        mined[start:start + 1024] = np.take_along_axis(top, order, axis=1)
    return mined


def _positives(anchors: LabelledTexts, index: LabelledTexts, rng: random.Random) -> list[int]:
    """For every anchor, the index row it should land on: a corrupted form → the title it was corrupted from
    (a noisy credit line must find its own title); a clean title → another text of its concept where the
    concept has one (a synonym must find its concept)."""
    rows_of: dict[int, list[int]] = {}
    for row, concept in enumerate(index.concepts.tolist()):
        rows_of.setdefault(concept, []).append(row)
    chosen = []
    for i, (text, concept) in enumerate(zip(anchors.texts, anchors.concepts.tolist(), strict=True)):
        source = int(anchors.sources[i]) if anchors.sources is not None else -1
        if source >= 0 and index.texts[source] != text:
            chosen.append(source)
            continue
        others = [r for r in rows_of[concept] if index.texts[r] != text]
        chosen.append(rng.choice(others) if others else rng.choice(rows_of[concept]))
    return chosen


def train_role_encoder(
    encoder: TrainableRoleEncoder,
    anchors: LabelledTexts,
    index: LabelledTexts,
    config: TrainingConfig,
    on_epoch: Callable[[EpochReport], None] | None = None,
) -> list[EpochReport]:
    """Train ``encoder`` in place: each anchor towards its concept's index texts, away from the rest."""
    schedule = HardNegativeSchedule.parse(config.hard_negatives)
    rng = random.Random(config.seed)
    torch.manual_seed(config.seed)
    encoder.prepare(anchors.texts + index.texts)
    parameters = [p for p in encoder.parameters() if p.requires_grad]
    if not parameters:
        raise ConfigurationError(f"{encoder.identity} has nothing to train")
    optimiser = torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=config.weight_decay)
    index_concepts = torch.from_numpy(index.concepts)
    reports: list[EpochReport] = []
    encoder.train(True)
    for epoch in range(config.epochs):
        started = time.perf_counter()
        hard = schedule.at(epoch)
        mined = mine_hard_negatives(encoder, anchors, index, config.mine_top_k) if hard else None
        positives = _positives(anchors, index, rng)
        order = list(range(len(anchors)))
        rng.shuffle(order)
        losses = []
        for start in range(0, len(order), config.batch_size):
            batch = order[start:start + config.batch_size]
            if len(batch) < 2:
                continue
            candidate_rows = [positives[i] for i in batch]
            if mined is not None:
                draw = min(hard, mined.shape[1])
                candidate_rows += [int(r) for i in batch for r in rng.sample(list(mined[i]), draw)]
            anchor_vectors = encoder.embed([anchors.texts[i] for i in batch])
            candidate_vectors = encoder.embed([index.texts[r] for r in candidate_rows])
            logits = anchor_vectors @ candidate_vectors.T / config.temperature
            anchor_concepts = torch.from_numpy(anchors.concepts[batch])
            same = anchor_concepts[:, None] == index_concepts[candidate_rows][None, :]
            own = torch.zeros_like(same)
            own[torch.arange(len(batch)), torch.arange(len(batch))] = True
            logits = logits.masked_fill(same & ~own, float("-inf"))
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(batch)))
            drift = getattr(encoder, "geometry_drift", None)
            if config.geometry_weight and drift is not None:
                texts = [anchors.texts[i] for i in batch] + [index.texts[r] for r in candidate_rows]
                penalty = drift(texts)
                if penalty is not None:
                    loss = loss + config.geometry_weight * penalty
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
        mean_loss = float(np.mean(losses)) if losses else 0.0
        report = EpochReport(epoch, mean_loss, hard, time.perf_counter() - started)
        encoder.train(False)
        if on_epoch is not None:
            on_epoch(report)
        encoder.train(True)
        log.info("role training epoch %d: loss %.4f, %d hard negatives, %.1f s %s", epoch, report.loss, hard,
                 report.seconds, report.metrics or "")
        reports.append(report)
    encoder.train(False)
    return reports
