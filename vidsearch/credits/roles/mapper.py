"""RoleMapper: free-text role titles from a credit roll → EBU role codes, by cosine nearest neighbours over
every label form and authored title of the taxonomy. A title scoring below a calibrated threshold is
*unknown*: the credit keeps its text and gets no code rather than a wrong one."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict

from vidsearch.credits.roles.dataset import LabelledTexts, index_texts
from vidsearch.credits.roles.encoders import RoleEncoder, load_encoder
from vidsearch.credits.roles.taxonomy import RoleTaxonomy, RoleTitle
from vidsearch.credits.roles.text import compact_key, normalise_role_text
from vidsearch.errors import ConfigurationError

log = logging.getLogger(__name__)

MODEL_FILE = "role_model.json"
INDEX_FILE = "index.npz"
FORMAT = 1


class RoleMatch(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str  # EBU RoleCodeCS termID, e.g. "6.1"
    label: str  # EBU label, e.g. "Director of Photography"
    department: str  # EBU department, e.g. "CAMERA DEPARTMENT"
    score: float  # cosine similarity of the closest label form or title
    label_ko: str | None = None  # the taxonomy's Korean title for the role, if it has one
    matched: str  # the label form or authored title that was closest


class RoleMapping(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str  # the role text as given
    matches: list[RoleMatch]  # best first, however low they score
    unknown: bool  # best score below the mapper's threshold (or nothing to map)

    @property
    def best(self) -> RoleMatch | None:
        return None if self.unknown or not self.matches else self.matches[0]


class RoleIndex:
    """Encoded index texts grouped by concept so per-concept maxima are one ``reduceat``."""

    def __init__(self, texts: LabelledTexts, vectors: np.ndarray):
        order = np.argsort(texts.concepts, kind="stable")
        self.texts = [texts.texts[i] for i in order]
        self.concepts = texts.concepts[order]
        self.vectors = np.ascontiguousarray(vectors[order], dtype=np.float32)
        self.keys = np.asarray([compact_key(t) for t in self.texts])
        self.starts = np.flatnonzero(np.r_[True, self.concepts[1:] != self.concepts[:-1]])
        self.concept_ids = self.concepts[self.starts]

    def concept_scores(self, queries: np.ndarray, exclude_keys: Sequence[str] | None = None) -> np.ndarray:
        """(queries × concepts) best cosine per concept; ``exclude_keys[i]`` hides query i's own family."""
        scores = queries @ self.vectors.T
        if exclude_keys is not None:
            scores[np.asarray(exclude_keys)[:, None] == self.keys[None, :]] = -np.inf
        return np.maximum.reduceat(scores, self.starts, axis=1)

    def best_rows(self, queries: np.ndarray, concept_positions: np.ndarray) -> np.ndarray:
        """For each (query, concept position) the row of the concept's closest text."""
        rows = np.empty(concept_positions.shape, dtype=np.int64)
        for q, positions in enumerate(concept_positions):
            for j, position in enumerate(positions):
                start = self.starts[position]
                stop = self.starts[position + 1] if position + 1 < len(self.starts) else len(self.texts)
                rows[q, j] = start + int(np.argmax(self.vectors[start:stop] @ queries[q]))
        return rows


class RoleMapper:
    def __init__(self, taxonomy: RoleTaxonomy, encoder: RoleEncoder,
                 titles: Sequence[RoleTitle] | None = None, threshold: float = 0.0,
                 index: RoleIndex | None = None):
        self.taxonomy = taxonomy
        self.encoder = encoder
        self.titles = list(taxonomy.titles if titles is None else titles)
        self.threshold = threshold
        self.index = index or self._build_index()

    def _build_index(self) -> RoleIndex:
        texts = index_texts(self.taxonomy, self.titles)
        started = time.perf_counter()
        vectors = self.encoder.encode(texts.texts)
        log.info("role index: %d texts for %d concepts encoded in %.1f s by %s", len(texts),
                 len(self.taxonomy), time.perf_counter() - started, self.encoder.identity)
        return RoleIndex(texts, vectors)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.encode([normalise_role_text(t) for t in texts])

    def rank(self, texts: Sequence[str],
             exclude_keys: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Concept scores (texts × concepts, in ``index.concept_ids`` order) and each text's best score.

        ``exclude_keys[i]`` hides every index text of that compact key from text i (leave-one-family-out)."""
        scores = self.index.concept_scores(self.encode(texts), exclude_keys)
        return scores, scores.max(axis=1) if len(texts) else np.zeros(0, np.float32)

    def map(self, texts: Sequence[str], top_k: int = 5) -> list[RoleMapping]:
        """Per role text, the ``top_k`` best concepts; ``unknown`` when the best is below the threshold."""
        cleaned = [normalise_role_text(t) for t in texts]
        live = [i for i, t in enumerate(cleaned) if compact_key(t)]
        results = [RoleMapping(text=t, matches=[], unknown=True) for t in texts]
        if not live:
            return results
        queries = self.encoder.encode([cleaned[i] for i in live])
        scores = self.index.concept_scores(queries)
        k = min(top_k, scores.shape[1])
        top = np.argsort(-scores, axis=1)[:, :k]
        rows = self.index.best_rows(queries, top)
        for q, i in enumerate(live):
            matches = []
            for position, row in zip(top[q], rows[q], strict=True):
                concept = self.taxonomy.concepts[int(self.index.concept_ids[position])]
                matches.append(RoleMatch(
                    code=concept.code, label=concept.label, department=concept.department,
                    score=round(float(scores[q, position]), 4), label_ko=concept.label_ko,
                    matched=self.index.texts[row]))
            unknown = matches[0].score < self.threshold
            results[i] = RoleMapping(text=texts[i], matches=matches, unknown=unknown)
        return results

    def calibrate(self, positives: Sequence[tuple[str, str]], negatives: Sequence[str]) -> dict[str, float]:
        """Pick the unknown-role threshold that best separates role titles from other credit-roll text.

        ``positives`` are (title, family key) pairs, scored with their own family hidden from the index so
        they stand for titles the taxonomy lacks rather than ones it contains verbatim. The threshold
        maximises balanced accuracy."""
        _, positive = self.rank([text for text, _ in positives], [key for _, key in positives])
        _, negative = self.rank(negatives)
        candidates = np.unique(np.r_[positive, negative])
        cuts = (candidates[:-1] + candidates[1:]) / 2 if len(candidates) > 1 else candidates
        accepted = (positive[None, :] >= cuts[:, None]).mean(axis=1)
        rejected = (negative[None, :] < cuts[:, None]).mean(axis=1)
        best = int(np.argmax(accepted + rejected))
        self.threshold = float(cuts[best])
        return {"threshold": round(self.threshold, 4), "roles_accepted": float(accepted[best]),
                "non_roles_rejected": float(rejected[best])}

    # -- persistence ---------------------------------------------------------------------------------------
    def save(self, folder: Path, extra: dict | None = None) -> None:
        """The encoder (head or fine-tuned model), the threshold and, for a full index, its vectors."""
        folder.mkdir(parents=True, exist_ok=True)
        manifest = {"format": FORMAT, "encoder": self.encoder.save(folder), "identity": self.encoder.identity,
                    "threshold": self.threshold, "taxonomy": self.taxonomy.fingerprint, **(extra or {})}
        (folder / MODEL_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        if len(self.titles) == len(self.taxonomy.titles):
            self._save_index(folder)

    def _save_index(self, folder: Path) -> None:
        np.savez(folder / INDEX_FILE, texts=np.asarray(self.index.texts), concepts=self.index.concepts,
                 vectors=self.index.vectors.astype(np.float16), fingerprint=self.taxonomy.fingerprint,
                 identity=self.encoder.identity)

    @classmethod
    def load(cls, folder: Path, taxonomy: RoleTaxonomy, local_files_only: bool = True,
             threshold: float | None = None) -> RoleMapper:
        manifest = read_manifest(folder)
        encoder = load_encoder(folder, manifest["encoder"], local_files_only)
        index = None
        cached = folder / INDEX_FILE
        if cached.is_file():
            data = np.load(cached)
            if str(data["fingerprint"]) == taxonomy.fingerprint and str(data["identity"]) == encoder.identity:
                index = RoleIndex(LabelledTexts(data["texts"].tolist(), data["concepts"]),
                                  data["vectors"].astype(np.float32))
        threshold = manifest["threshold"] if threshold is None else threshold
        mapper = cls(taxonomy, encoder, None, threshold, index)
        if index is None:
            try:
                mapper._save_index(folder)
            except OSError as exc:  # a read-only model folder still loads; it just re-encodes next time
                log.warning("cannot cache the role index in %s: %s", folder, exc)
        return mapper


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MODEL_FILE
    if not path.is_file():
        raise ConfigurationError(
            f"no role-mapping model in {folder}: train one with `vidsearch credits train`")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise ConfigurationError(f"{path}: model format {manifest.get('format')} is not {FORMAT}; retrain it")
    return manifest
