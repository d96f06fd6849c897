"""Where role-mapping data comes from: the EBU scheme and the non-role lines the package ships, and (for training
and evaluation only) the dev corpora under ``<repo>/../shared/eval``. Only ``dev/`` is read here; ``heldout/``
belongs to the benchmark alone."""

from __future__ import annotations

import csv
import random
import re
from collections import Counter
from pathlib import Path

from vidsearch.credits.roles.taxonomy import DATA_DIR
from vidsearch.credits.roles.text import compact_key, normalise_role_text
from vidsearch.errors import MissingDependency

REPO_ROOT = Path(__file__).resolve().parents[3]
EBU_RELATIVE = Path("dev/credits/ebu_role_taxonomy/ebu_RoleCodeCS_flat.tsv")
KDRAMA_RELATIVE = Path("dev/credits/kdrama_wiki_db/kdrama_name_role_flat.tsv")
PARALLEL_RELATIVE = Path("dev/parallel_ko_en")
NOT_ROLES = DATA_DIR / "not_roles.txt"
SHIPPED_EBU = DATA_DIR / "ebu_RoleCodeCS.tsv"

_ANNOTATION = re.compile(r"\(([^()]*)\)")
_HANGUL_WORDS = re.compile(r"^[\uac00-\ud7a3]+( [\uac00-\ud7a3]+)?$")
_PERSON_NAME = re.compile(r"^[\uac00-\ud7a3]{2,4}$")


def shared_eval_dir(configured: Path | None = None) -> Path:
    """``configured``, else ``<repo>/../shared/eval`` (CI), else ``<repo>/../../shared/eval`` (a worktree)."""
    candidates = [configured] if configured else [REPO_ROOT.parent / "shared" / "eval",
                                                  REPO_ROOT.parent.parent / "shared" / "eval"]
    for candidate in candidates:
        if candidate.expanduser().is_dir():
            return candidate.expanduser()
    raise MissingDependency(
        f"shared evaluation data (looked in {', '.join(str(c) for c in candidates)})",
        "clone the shared data beside the repository or set VIDSEARCH_CREDITS__EVAL_DIR",
    )


def ebu_taxonomy_path(configured: Path | None, eval_dir: Path | None = None) -> Path:
    """The configured file, else the scheme shipped in the package (``data/ebu_RoleCodeCS.tsv``, attribution in
    ``data/EBU_RoleCodeCS.NOTICE.md``): an installed wheel, the image and a pod have no ``../shared``."""
    path = configured.expanduser() if configured else SHIPPED_EBU
    if not path.is_file():
        raise MissingDependency(f"EBU RoleCodeCS taxonomy {path}",
                                "set VIDSEARCH_CREDITS__ROLE_TAXONOMY_PATH to ebu_RoleCodeCS_flat.tsv")
    return path


def _kdrama_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def kdrama_role_strings(path: Path) -> Counter[str]:
    """Korean role strings in the drama database: the role column (극본, 출연, 제작사) and the occupations
    written beside names ("이정선 (작가)", "(각본가)"), with how often each occurs."""
    counts: Counter[str] = Counter()
    for row in _kdrama_rows(path):
        role = normalise_role_text(row.get("role_ko") or "")
        if _HANGUL_WORDS.match(role):
            counts[role] += 1
        for annotation in _ANNOTATION.findall(row.get("name_raw") or ""):
            annotation = normalise_role_text(annotation)
            if _HANGUL_WORDS.match(annotation):
                counts[annotation] += 1
    return counts


def kdrama_person_names(path: Path) -> list[str]:
    """Real Korean person names (cast and writers): what a role column must never be mistaken for."""
    names = set()
    for row in _kdrama_rows(path):
        name = _ANNOTATION.sub("", row.get("name_raw") or "").strip().strip('"')
        if row.get("role_ko") in ("출연", "극본") and _PERSON_NAME.match(name):
            names.add(name)
    return sorted(names)


def parallel_phrases(folder: Path, count: int, seed: int) -> list[str]:
    """Short word runs cut from real Korean and English sentences: fluent text that names no role."""
    rng = random.Random(seed)
    phrases = []
    for path in sorted(folder.glob("*.dev.*")) + sorted(folder.glob("*-dev.*")):
        lines = [line.split() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for words in rng.sample(lines, min(len(lines), count)):
            width = rng.randint(1, 3)
            start = rng.randrange(max(1, len(words) - width + 1))
            phrase = normalise_role_text(" ".join(words[start:start + width]))
            if compact_key(phrase) and not phrase.isdigit():
                phrases.append(phrase)
    rng.shuffle(phrases)
    return phrases[:count]


def shipped_non_roles() -> list[str]:
    lines = NOT_ROLES.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]
