"""Fusion profiles: named, versionable fusion settings (method, weights, normalisation, rules) that the search
path and the Serve API load by name, that ``vidsearch relevance sweep`` writes after tuning, and that a request
may override field by field.

A profile is one JSON file ``<profiles_dir>/<name>.json``. Without a file, the profile named ``default`` comes
from ``settings.ranking`` (method, weights, normalisation, rrf_k) plus the built-in credited-name rule.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ranking.errors import InvalidProfile, InvalidWeights, ProfileNotFound
from ranking.feedback import FeedbackSettings
from ranking.fusion import FusedRanking, fuse
from ranking.fusion.weighted import MissingPolicy
from ranking.fusion.weights import checked_weights
from ranking.query_rules import CreditedNames, QueryRule, RuleCondition, apply_rules
from ranking.fusion.options import FusionMethod, Normalization

log = logging.getLogger(__name__)

PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DEFAULT_PROFILE = "default"

# A query that names someone in the credits leans on the lists searching credit fields. The list names are
# globs so the rule holds whatever the searcher calls them (credits, bm25_credits_ko, credits_text...).
CREDITED_NAME_RULE = QueryRule(
    name="credited-name",
    when=RuleCondition.CREDITED_NAME,
    floor={"*credit*": 0.4},
    scale={"*credit*": 3.0},
)


class RankingSettings(Protocol):
    """What the product's ranking settings give this module (``vidsearch.config.RankingSettings``)."""

    fusion: FusionMethod
    normalization: Normalization
    rrf_k: int
    weights: dict[str, float]
    profiles_dir: Path | None
    default_profile: str | None


class TuningRecord(BaseModel):
    """Where a tuned profile came from, so a reader can judge it."""

    model_config = ConfigDict(extra="allow")

    metric: str
    train_score: float
    validation_score: float | None = None
    train_queries: int
    validation_queries: int | None = None
    judgments: str | None = None
    search: str | None = None  # "grid step 0.05" / "random 500 (seed 0)"
    baseline: dict[str, float] = Field(default_factory=dict)  # name → validation score
    created: str = Field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))


class FusionOverrides(BaseModel):
    """Per-request changes to a profile (the API's ``fusion`` object); unset fields keep the profile's."""

    model_config = ConfigDict(extra="forbid")

    profile: str | None = Field(None, description="profile to start from (default: the configured one)")
    method: FusionMethod | None = None
    weights: dict[str, float] | None = None
    normalization: Normalization | None = None
    missing: MissingPolicy | None = None
    rrf_k: int | None = Field(None, ge=0)
    rules: bool | None = Field(None, description="false: ignore the profile's query rules")

    @field_validator("weights")
    @classmethod
    def _weights_usable(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is not None:
            checked_weights(value)  # raises InvalidWeights naming the list
        return value


class FusionProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = DEFAULT_PROFILE
    description: str | None = None
    method: FusionMethod = FusionMethod.WEIGHTED
    weights: dict[str, float] = Field(default_factory=dict, description="list name → weight; normalised to 1")
    normalization: Normalization = Normalization.MINMAX
    missing: MissingPolicy = MissingPolicy.ZERO
    rrf_k: int = Field(60, ge=0)
    rules: list[QueryRule] = Field(default_factory=list)
    feedback: FeedbackSettings | None = Field(None, description="dense pseudo-relevance feedback: search the "
                                              "vector list again with the query moved toward the fused top "
                                              "documents, then fuse again (ranking/feedback.py)")
    tuned: TuningRecord | None = None

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        if not PROFILE_NAME.match(value):
            raise ValueError(f"profile name {value!r} must be letters, digits, '.', '_' or '-' (at most 64)")
        return value

    @field_validator("weights")
    @classmethod
    def _weights_sum_to_one(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            return value
        checked, notices = checked_weights(value)
        for notice in notices:
            log.warning("fusion profile: %s", notice)
        return checked

    def with_overrides(self, overrides: FusionOverrides | Mapping[str, Any] | None) -> FusionProfile:
        """This profile with a request's overrides applied (``overrides.profile`` is resolved by the caller)."""
        if overrides is None:
            return self
        if not isinstance(overrides, FusionOverrides):
            overrides = FusionOverrides.model_validate(overrides)
        changes = overrides.model_dump(exclude_none=True, exclude={"profile", "rules"})
        if overrides.rules is False:
            changes["rules"] = []
        if not changes:
            return self
        return FusionProfile.model_validate({**self.model_dump(), **changes})

    def needs_credited_names(self) -> bool:
        return any(rule.when is RuleCondition.CREDITED_NAME for rule in self.rules)

    def weights_for(self, query: str | None, names: CreditedNames | None = None,
                    lists: Sequence[str] | None = None):
        """The weights this query gets after the profile's rules (``RuleOutcome``)."""
        return apply_rules(self.weights, self.rules, query, names, lists)

    def fuse(self, lists: Mapping[str, Any], query: str | None = None, names: CreditedNames | None = None
             ) -> FusedRanking:
        """Fuse one search's candidate lists with this profile; rules that fired are listed in the notices."""
        outcome = self.weights_for(query, names, list(lists))
        weights = outcome.weights or None
        fused = fuse(lists, method=self.method.value, weights=weights, normalization=self.normalization.value,
                     rrf_k=self.rrf_k, missing=self.missing.value)
        fused.notices = [*outcome.notices, *(f"rule {f['rule']}: {f['reason']}" for f in outcome.fired),
                         *fused.notices]
        fused.rules_fired = outcome.fired
        fused.weights_used = outcome.weights
        return fused


def profile_from_settings(settings: RankingSettings, name: str = DEFAULT_PROFILE) -> FusionProfile:
    return FusionProfile(name=name, description="from settings.ranking", method=settings.fusion,
                         weights=dict(settings.weights), normalization=settings.normalization,
                         rrf_k=settings.rrf_k, rules=[CREDITED_NAME_RULE])


def profile_path(name: str, directory: Path) -> Path:
    if not PROFILE_NAME.match(name):
        raise ProfileNotFound(f"no fusion profile {name!r}: names are letters, digits, '.', '_' or '-'")
    return Path(directory) / f"{name}.json"


def list_profiles(directory: Path | None) -> list[str]:
    if directory is None or not Path(directory).is_dir():
        return []
    return sorted(p.stem for p in Path(directory).glob("*.json") if PROFILE_NAME.match(p.stem))


def read_profile(path: Path) -> FusionProfile:
    """A profile file, parsed once per modification (the searcher resolves a profile on every request)."""
    try:
        stamp = Path(path).stat().st_mtime_ns
    except OSError as exc:
        raise InvalidProfile(path, f"cannot read: {exc.strerror or exc}") from None
    return _read_profile(str(path), stamp)


@lru_cache(maxsize=64)
def _read_profile(path: str, stamp: int) -> FusionProfile:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidProfile(path, f"cannot read: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise InvalidProfile(path, f"not JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(data, dict):
        raise InvalidProfile(path, "must be a JSON object")
    data.setdefault("name", Path(path).stem)
    del stamp  # part of the cache key only
    try:
        return FusionProfile.model_validate(data)
    except InvalidWeights as exc:
        raise InvalidProfile(path, str(exc)) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "profile"
        raise InvalidProfile(path, f"{where}: {first['msg']}") from None


def load_profile(name: str | None, directory: Path | None, settings: RankingSettings | None = None,
                 default: FusionProfile | None = None) -> FusionProfile:
    """The profile called ``name`` from ``directory``. ``None`` or ``default`` without a file gives ``default``
    (the product passes the index's encoder's own profile), else the profile built from ``settings``, else equal
    weights over whatever lists there are."""
    name = name or DEFAULT_PROFILE
    if directory is not None:
        path = profile_path(name, Path(directory))
        if path.is_file():
            return read_profile(path)
    if name == DEFAULT_PROFILE:
        if default is not None:
            return default
        if settings is not None:
            return profile_from_settings(settings)
        return FusionProfile(name=DEFAULT_PROFILE, rules=[CREDITED_NAME_RULE])
    available = list_profiles(directory)
    where = f" in {directory}" if directory is not None else " (ranking.profiles_dir is not set)"
    raise ProfileNotFound(f"no fusion profile {name!r}{where}; available: {', '.join(available) or 'none'}")


def save_profile(profile: FusionProfile, directory: Path) -> Path:
    path = profile_path(profile.name, Path(directory))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(profile.model_dump_json(indent=2, exclude_none=True) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def resolve_profile(settings: RankingSettings, overrides: FusionOverrides | Mapping[str, Any] | None = None,
                    default: FusionProfile | None = None) -> FusionProfile:
    """What one request fuses with: the named (or configured default) profile plus the request's overrides;
    ``default`` stands for the ``default`` profile where no file overrides it."""
    if overrides is not None and not isinstance(overrides, FusionOverrides):
        overrides = FusionOverrides.model_validate(overrides)
    name = (overrides.profile if overrides is not None else None) or settings.default_profile
    return load_profile(name, settings.profiles_dir, settings, default).with_overrides(overrides)
