"""Fit, evaluate and load the role mapper from settings — the one recipe the CLI, the benchmark and the credit
stage share, so a number in a report is the number the product gets."""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from vidsearch.credits.roles import sources
from vidsearch.credits.roles.dataset import (
    TitleSplit,
    generated_person_names,
    index_texts,
    labelled_strings,
    split_titles,
    training_anchors,
)
from vidsearch.credits.roles.encoders import ProjectedEncoder, RoleEncoder, base_encoder, with_char_channel
from vidsearch.credits.roles.evaluation import RankingMetrics, metrics_by_language, unknown_rate
from vidsearch.credits.roles.mapper import MODEL_FILE, RoleMapper, read_manifest
from vidsearch.credits.roles.site import site_role_titles_path, with_site_titles
from vidsearch.credits.roles.taxonomy import DEFAULT_TITLE_FILES, RoleTaxonomy, load_taxonomy
from vidsearch.models.cache import cached
from vidsearch.models.checksum import path_signature
from vidsearch.credits.roles.training import EpochReport, TrainingConfig, train_role_encoder
from vidsearch.credits.roles.variants import noisy_variants
from vidsearch.credits.settings import CreditSettings
from vidsearch.errors import ConfigurationError, MissingDependency

if TYPE_CHECKING:
    from vidsearch.config import Settings

log = logging.getLogger(__name__)

NOISY_EVAL_FORMS = 2


def role_model_dir(settings: Settings) -> Path:
    return (settings.credits.role_model_dir or settings.models_dir / "credit_roles").expanduser()


def load_role_taxonomy(credits: CreditSettings) -> RoleTaxonomy:
    ebu = sources.ebu_taxonomy_path(credits.role_taxonomy_path, credits.eval_dir)
    titles = DEFAULT_TITLE_FILES if credits.role_title_files is None else credits.role_title_files
    return load_taxonomy(ebu, titles)


@dataclass
class RoleCorpus:
    """Everything a fit reads besides the taxonomy: real role strings and real non-role text."""

    kdrama: Counter[str]  # drama-database role strings that name a taxonomy title, with counts
    calibration_negatives: list[str]
    report_negatives: list[str]  # never used to pick the threshold


def load_corpus(settings: Settings, taxonomy: RoleTaxonomy, seed: int) -> RoleCorpus:
    negatives = sources.shipped_non_roles() + generated_person_names(150, seed)
    kdrama: Counter[str] = Counter()
    try:
        eval_dir = sources.shared_eval_dir(settings.credits.eval_dir)
    except MissingDependency:
        log.warning("no shared dev data: training without drama-database strings and real non-role text")
    else:
        kdrama_path = eval_dir / sources.KDRAMA_RELATIVE
        if kdrama_path.is_file():
            kdrama = labelled_strings(taxonomy, sources.kdrama_role_strings(kdrama_path))
            negatives += sources.kdrama_person_names(kdrama_path)[::8]
        if (eval_dir / sources.PARALLEL_RELATIVE).is_dir():
            negatives += sources.parallel_phrases(eval_dir / sources.PARALLEL_RELATIVE, 150, seed)
    negatives = sorted(set(negatives))
    random.Random(seed).shuffle(negatives)
    half = len(negatives) // 2
    return RoleCorpus(kdrama, negatives[:half], negatives[half:])


class HeldoutMetrics(BaseModel):
    """Held-out titles (never trained on) measured two ways, each by ko / en / all."""

    unindexed_clean: dict[str, RankingMetrics]  # absent from the index too: a synonym the taxonomy lacks
    unindexed_noisy: dict[str, RankingMetrics]  # the same, OCR-corrupted
    indexed_noisy: dict[str, RankingMetrics]  # OCR-corrupted titles the taxonomy lists (a misread credit)


class FitResult(BaseModel):
    encoder: str
    train_titles: int
    eval_titles: int
    anchors: int
    base: HeldoutMetrics  # the untrained encoder alone
    base_with_chars: HeldoutMetrics | None  # the untrained encoder with the character channel
    trained: HeldoutMetrics
    calibration: dict[str, float]
    unknown_on_eval_titles: float
    unknown_on_non_roles: float
    epochs: list[dict]
    seconds: float


def heldout_items(split: TitleSplit) -> tuple[list[str], list[str], list[str], list[str]]:
    """Held-out titles as written, and each with exactly one OCR-style corruption, with their gold codes."""
    texts = [t.text for t in split.eval]
    codes = [t.code for t in split.eval]
    noisy, noisy_codes = [], []
    for title in split.eval:
        for form in noisy_variants(title.text, NOISY_EVAL_FORMS, split.seed + 1, second_chance=0.0):
            noisy.append(form)
            noisy_codes.append(title.code)
    return texts, codes, noisy, noisy_codes


def measure(taxonomy: RoleTaxonomy, encoder: RoleEncoder, split: TitleSplit, threshold: float = 0.0
            ) -> HeldoutMetrics:
    texts, codes, noisy, noisy_codes = heldout_items(split)
    unindexed = RoleMapper(taxonomy, encoder, split.train, threshold)
    indexed = RoleMapper(taxonomy, encoder, None, threshold)
    return HeldoutMetrics(unindexed_clean=metrics_by_language(unindexed, texts, codes),
                          unindexed_noisy=metrics_by_language(unindexed, noisy, noisy_codes),
                          indexed_noisy=metrics_by_language(indexed, noisy, noisy_codes))


def _calibration_positives(split: TitleSplit, seed: int) -> list[tuple[str, str]]:
    positives = []
    for title in split.train:
        positives.append((title.text, title.key))
        positives += [(form, title.key) for form in noisy_variants(title.text, 1, seed + 2)]
    return positives


def fit_role_model(
    settings: Settings,
    config: TrainingConfig,
    eval_fraction: float = 0.25,
    out_dir: Path | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
    track_eval: bool = False,
) -> FitResult:
    """Train on the training titles, measure base vs trained on the held-out ones, calibrate, save."""
    started = time.perf_counter()
    credits = settings.credits
    taxonomy = load_role_taxonomy(settings.credits)
    split = split_titles(taxonomy, eval_fraction, config.seed)
    corpus = load_corpus(settings, taxonomy, config.seed)
    index = index_texts(taxonomy, split.train)
    anchors = training_anchors(index, config.noise_per_text, config.seed, corpus.kdrama)
    raw = base_encoder(credits.role_encoder, credits.role_encoder_model, settings.models.local_files_only)
    log.info("role training: %d concepts, %d train / %d held-out titles, %d anchors, encoder %s",
             len(taxonomy), len(split.train), len(split.eval), len(anchors), raw.identity)
    raw.prepare(anchors.texts + index.texts)
    base = measure(taxonomy, raw, split)
    char_weight = credits.role_char_weight
    base_with_chars = measure(taxonomy, with_char_channel(raw, char_weight), split) if char_weight else None
    trainable = raw
    if isinstance(raw, ProjectedEncoder):  # a frozen engine: train a head on it
        trainable = raw.with_new_head(config.head_hidden, config.seed, config.head_share)
    encoder = with_char_channel(trainable, char_weight)

    def report(epoch: EpochReport) -> None:
        if track_eval:
            metrics = measure(taxonomy, encoder, split)
            epoch.metrics = {f"{name}_{lang}": round(m.top1, 4)
                             for name in ("unindexed_clean", "indexed_noisy")
                             for lang, m in getattr(metrics, name).items() if lang != "all"}
        if on_epoch is not None:
            on_epoch(epoch)

    epochs = train_role_encoder(encoder, anchors, index, config, report)
    evaluated = RoleMapper(taxonomy, encoder, split.train)
    calibration = evaluated.calibrate(_calibration_positives(split, config.seed),
                                      corpus.calibration_negatives)
    trained = measure(taxonomy, encoder, split, evaluated.threshold)
    texts, _, _, _ = heldout_items(split)
    result = FitResult(
        encoder=encoder.identity, train_titles=len(split.train), eval_titles=len(split.eval),
        anchors=len(anchors),
        base=base, base_with_chars=base_with_chars, trained=trained, calibration=calibration,
        unknown_on_eval_titles=unknown_rate(evaluated, texts),
        unknown_on_non_roles=unknown_rate(evaluated, corpus.report_negatives),
        epochs=[e.__dict__ for e in epochs], seconds=round(time.perf_counter() - started, 1),
    )
    production = RoleMapper(taxonomy, encoder, None, evaluated.threshold)
    production.save(out_dir or role_model_dir(settings),
                    {"split": {"seed": config.seed, "eval_fraction": eval_fraction},
                     "training": config.model_dump(), "result": result.model_dump(mode="json")})
    return result


class EvalResult(BaseModel):
    model: str
    eval_titles: int
    trained: HeldoutMetrics
    base: HeldoutMetrics | None
    threshold: float


def evaluate_role_model(settings: Settings, folder: Path | None = None,
                        with_base: bool = False) -> EvalResult:
    """Re-measure a saved model on the titles it was trained without (its recorded split)."""
    folder = folder or role_model_dir(settings)
    manifest = read_manifest(folder)
    taxonomy = load_role_taxonomy(settings.credits)
    split = split_titles(taxonomy, manifest["split"]["eval_fraction"], manifest["split"]["seed"])
    if not split.eval:
        raise ConfigurationError(f"{folder}: trained on every title (eval_fraction 0); nothing is held out")
    mapper = RoleMapper.load(folder, taxonomy, settings.models.local_files_only)
    base = None
    if with_base:
        config = manifest["encoder"]
        untrained = base_encoder(config["backend"], config.get("model"), settings.models.local_files_only,
                                 finetune=False)
        base = measure(taxonomy, untrained, split)
    return EvalResult(model=str(folder), eval_titles=len(split.eval),
                      trained=measure(taxonomy, mapper.encoder, split, mapper.threshold), base=base,
                      threshold=mapper.threshold)


def load_role_mapper(settings: Settings) -> RoleMapper:
    """The mapper the credit stage uses: the trained model in ``credits.role_model_dir`` (default
    ``<data_dir>/models/credit_roles``), else the untrained base encoder with a threshold calibrated on the
    shipped titles and non-role lines. One per settings per process."""
    folder, local = role_model_dir(settings), settings.models.local_files_only
    site = site_role_titles_path(settings)  # titles archivists mapped: the mapper learns them (site.py)
    key = (settings.credits.model_dump_json(), str(folder), local, path_signature(str(folder)),
           str(site), path_signature(str(site)))
    return cached("role_mapper", key, lambda: _load_role_mapper(settings.credits, folder, local, site))


def _load_role_mapper(credits: CreditSettings, folder: Path, local_files_only: bool,
                      site_titles: Path | None = None) -> RoleMapper:
    taxonomy = load_role_taxonomy(credits)
    if site_titles is not None:
        taxonomy = with_site_titles(taxonomy, site_titles)
    if (folder / MODEL_FILE).is_file():
        return RoleMapper.load(folder, taxonomy, local_files_only, credits.role_min_score)
    log.warning("no trained role model in %s (run `vidsearch credits train`); mapping with the base %s "
                "encoder", folder, credits.role_encoder)
    encoder = base_encoder(credits.role_encoder, credits.role_encoder_model, local_files_only, finetune=False)
    mapper = RoleMapper(taxonomy, with_char_channel(encoder, credits.role_char_weight))
    if credits.role_min_score is not None:
        mapper.threshold = credits.role_min_score
    else:
        titles = random.Random(13).sample(taxonomy.titles, min(300, len(taxonomy.titles)))
        mapper.calibrate([(t.text, t.key) for t in titles],
                         sources.shipped_non_roles() + generated_person_names(100, 13))
    return mapper
