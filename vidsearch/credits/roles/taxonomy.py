"""The role taxonomy: EBU RoleCodeCS (English, by department) plus authored Korean and English credit titles.

A credit line's role text is mapped to a *concept*: one EBU role, or several EBU codes that share a label
(the upstream scheme lists "Director" under both DISTRIBUTION and PRODUCTION; a title cannot tell them apart,
so they are one concept whose primary code is the one the authored titles point to). Every file is validated
at load and a problem is reported with its file and line, so a broken taxonomy never half-loads.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vidsearch.credits.roles.text import compact_key, language_of, normalise_role_text
from vidsearch.errors import VidsearchError

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"
KOREAN_TITLES = DATA_DIR / "ko_roles.tsv"
ENGLISH_TITLES = DATA_DIR / "en_roles.tsv"
EBU_CORRECTIONS = DATA_DIR / "ebu_corrections.tsv"
DEFAULT_TITLE_FILES = (KOREAN_TITLES, ENGLISH_TITLES)

_CODE = re.compile(r"^[1-9][0-9]*(\.[1-9][0-9]*)*$")
_EBU_HEADER = ["termID", "parent_path", "name"]
# Slash-separated label parts too vague to stand for the role on their own ("Sound Mixer / Music").
_VAGUE_PARTS = frozenset({
    "coordinator", "mixer", "music", "military", "medical", "law enforcement", "other", "head dialogue",
    "hirer", "player", "reader", "effects", "operator", "lighting", "painter",
})


class TaxonomyError(VidsearchError):
    """A taxonomy or title file that cannot be used, with the file and line of the first problem."""

    status = 422
    title = "Invalid role taxonomy"

    def __init__(self, path: Path | str, line: int, reason: str):
        super().__init__(f"{path} line {line}: {reason}" if line else f"{path}: {reason}")
        self.path = str(path)
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Role:
    code: str
    label: str
    department: str
    line: int


@dataclass(frozen=True)
class RoleTitle:
    """An authored credit title ("촬영감독", "DOP") for one EBU code."""

    text: str
    code: str
    path: str
    line: int

    @property
    def source(self) -> str:
        return f"{Path(self.path).name}:{self.line}"

    @property
    def lang(self) -> str:
        return language_of(self.text)

    @property
    def key(self) -> str:
        return compact_key(self.text)


@dataclass
class RoleConcept:
    code: str
    codes: tuple[str, ...]
    label: str
    department: str
    aliases: list[str] = field(default_factory=list)  # label first, then strings derived from the label
    label_ko: str | None = None


@dataclass(frozen=True)
class Correction:
    action: str
    target: str
    value: str
    line: int


def _check_code(code: str, path: Path, line: int) -> None:
    if not _CODE.match(code):
        raise TaxonomyError(path, line, f"malformed code {code!r} (expected dotted numbers such as 6.2.3)")


def _tsv_records(path: Path) -> Iterable[tuple[int, list[str]]]:
    """Rows with the line each starts on; fields may be quoted across lines, as in the upstream EBU file."""
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise TaxonomyError(path, 0, f"cannot read: {exc.strerror or exc}") from exc
    with handle:
        reader = csv.reader(handle, delimiter="\t", quotechar='"')
        start = 1
        try:
            for row in reader:
                yield start, row
                start = reader.line_num + 1
        except (csv.Error, UnicodeDecodeError) as exc:
            raise TaxonomyError(path, start, f"unreadable row: {exc}") from exc


def read_corrections(path: Path = EBU_CORRECTIONS) -> list[Correction]:
    corrections = []
    for line, row in _tsv_records(path):
        if not row or row[0].startswith("#"):
            continue
        if len(row) != 4 or row[0] not in ("drop", "spell") or not row[1] or not row[2]:
            raise TaxonomyError(path, line, "expected action (drop|spell), target, value, reason")
        corrections.append(Correction(row[0], row[1], row[2], line))
    return corrections


def read_ebu_roles(path: Path, corrections: Sequence[Correction] = ()) -> list[Role]:
    """Parse and validate the EBU RoleCodeCS flat TSV (termID, parent_path, name)."""
    drops = {(c.target, c.value): c for c in corrections if c.action == "drop"}
    used: set[tuple[str, str]] = set()
    roles: list[Role] = []
    first_line: dict[str, int] = {}
    by_code: dict[str, Role] = {}
    records = iter(_tsv_records(path))
    header = next(records, None)
    if header is None or header[1] != _EBU_HEADER:
        raise TaxonomyError(path, 1, f"expected the header {'/'.join(_EBU_HEADER)}")
    for line, row in records:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 3:
            raise TaxonomyError(path, line, "expected 3 tab-separated fields (termID, parent_path, name), "
                                            f"got {len(row)}")
        code, parent_path, name = (" ".join(cell.split()) for cell in row)
        _check_code(code, path, line)
        if not name:
            raise TaxonomyError(path, line, f"code {code} has no name")
        if (code, name) in drops and code in first_line:
            used.add((code, name))
            continue
        if code in first_line:
            raise TaxonomyError(path, line,
                                f"duplicate code {code} (first defined on line {first_line[code]})")
        parent_code = code.rpartition(".")[0]
        if parent_code:
            parent = by_code.get(parent_code)
            if parent is None:
                raise TaxonomyError(path, line, f"code {code} has no parent {parent_code} above it")
            if parent_path.rpartition(" > ")[2] != parent.label:
                raise TaxonomyError(path, line,
                                    f"parent_path {parent_path!r} does not end with {parent.label!r}")
            department = by_code[code.split(".")[0]].label
        else:
            department = name
        role = Role(code, name, department, line)
        first_line[code] = line
        by_code[code] = role
        roles.append(role)
    for key, correction in drops.items():
        if key not in used:
            log.warning("EBU correction on line %d matched nothing (fixed upstream?): drop %s %s",
                        correction.line, *key)
    return roles


def read_titles(path: Path, known_codes: set[str] | None = None) -> list[RoleTitle]:
    """Authored titles: ``code<TAB>title<TAB>variant|variant``; comments start with #."""
    titles: list[RoleTitle] = []
    for line, row in _tsv_records(path):
        if not row or row[0].startswith("#") or not any(cell.strip() for cell in row):
            continue
        if len(row) not in (2, 3):
            raise TaxonomyError(path, line,
                                f"expected code, title and optional variants, got {len(row)} fields")
        code = row[0].strip()
        _check_code(code, path, line)
        if known_codes is not None and code not in known_codes:
            raise TaxonomyError(path, line, f"unknown code {code}: not in the EBU taxonomy")
        names = [row[1]] + (row[2].split("|") if len(row) == 3 and row[2].strip() else [])
        for name in names:
            text = normalise_role_text(name)
            if not text or not compact_key(text):
                raise TaxonomyError(path, line, f"empty title for code {code}")
            titles.append(RoleTitle(text, code, str(path), line))
    return titles


def _label_aliases(label: str, spellings: dict[str, str], department: bool) -> list[str]:
    forms = [label]
    fixed = label
    for wrong, right in spellings.items():
        fixed = re.sub(rf"\b{re.escape(wrong)}\b", right, fixed)
    if fixed != label:
        forms.append(fixed)
    if department:  # "CAMERA DEPARTMENT" encodes like a shout; index it as "Camera Department"
        forms = [form.title() for form in forms]
    aliases = list(forms)
    for form in forms:
        parts = [part.strip() for part in re.split(r"\s+/\s+", form)]
        if len(parts) > 1:
            aliases += [p for p in parts if p and p.casefold() not in _VAGUE_PARTS]
    seen: set[str] = set()
    unique = []
    for alias in aliases:
        if compact_key(alias) not in seen:
            seen.add(compact_key(alias))
            unique.append(alias)
    return unique


class RoleTaxonomy:
    """Concepts (what the mapper returns) and the authored titles that point to them."""

    def __init__(self, roles: Sequence[Role], titles: Sequence[RoleTitle], spellings: dict[str, str]):
        self.roles = {role.code: role for role in roles}
        self.spellings = dict(spellings)  # kept so a taxonomy can be rebuilt with more titles (the site's)
        groups: dict[tuple[bool, str], list[Role]] = defaultdict(list)
        for role in roles:
            groups[("." not in role.code, role.label.casefold())].append(role)
        referenced: dict[str, RoleTitle] = {}
        for title in titles:
            referenced.setdefault(title.code, title)
        self.concepts: list[RoleConcept] = []
        self._concept_of_code: dict[str, int] = {}
        for (is_department, _), members in groups.items():
            chosen = [m for m in members if m.code in referenced]
            if len(chosen) > 1:
                first, second = (referenced[m.code] for m in chosen[:2])
                raise TaxonomyError(second.path, second.line,
                                    f"codes {chosen[0].code} ({first.source}) and {chosen[1].code} share the "
                                    f"label {members[0].label!r}; point every title at one of them")
            primary = chosen[0] if chosen else members[0]
            concept = RoleConcept(
                code=primary.code, codes=tuple(m.code for m in members), label=primary.label,
                department=primary.department,
                aliases=_label_aliases(primary.label, spellings, is_department),
            )
            for member in members:
                self._concept_of_code[member.code] = len(self.concepts)
            self.concepts.append(concept)
        self.titles = self._validated_titles(titles)
        for title in self.titles:
            concept = self.concept_of(title.code)
            if concept.label_ko is None and title.lang == "ko":
                concept.label_ko = title.text
        self._drop_ambiguous_aliases()

    def _validated_titles(self, titles: Sequence[RoleTitle]) -> list[RoleTitle]:
        label_owner = {compact_key(c.label): i for i, c in enumerate(self.concepts)}
        seen: dict[str, RoleTitle] = {}
        for title in titles:
            if title.key in seen:
                raise TaxonomyError(title.path, title.line,
                                    f"title {title.text!r} already given on {seen[title.key].source}")
            owner = label_owner.get(title.key)
            if owner is not None and owner != self._concept_of_code[title.code]:
                other = self.concepts[owner]
                raise TaxonomyError(title.path, title.line, f"title {title.text!r} is the EBU label of "
                                                            f"{other.code}, not of {title.code}")
            seen[title.key] = title
        return list(titles)

    def _drop_ambiguous_aliases(self) -> None:
        """A derived alias that names two concepts, or an authored title of another concept, is dropped."""
        owners: dict[str, set[int]] = defaultdict(set)
        for index, concept in enumerate(self.concepts):
            for alias in concept.aliases:
                owners[compact_key(alias)].add(index)
        for title in self.titles:
            owners[title.key].add(self._concept_of_code[title.code])
        for concept in self.concepts:
            concept.aliases = [concept.aliases[0]] + [
                alias for alias in concept.aliases[1:] if len(owners[compact_key(alias)]) == 1
            ]

    def concept_index(self, code: str) -> int:
        return self._concept_of_code[code]

    def concept_of(self, code: str) -> RoleConcept:
        return self.concepts[self._concept_of_code[code]]

    def __len__(self) -> int:
        return len(self.concepts)

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for concept in self.concepts:
            digest.update("\x1f".join([concept.code, *concept.aliases]).encode())
        for title in self.titles:
            digest.update(f"{title.code}\x1f{title.text}".encode())
        return digest.hexdigest()[:16]


def load_taxonomy(
    ebu_path: Path,
    title_files: Sequence[Path] = DEFAULT_TITLE_FILES,
    corrections_path: Path | None = EBU_CORRECTIONS,
) -> RoleTaxonomy:
    """Load and validate the EBU scheme, the project's corrections to it and the authored title files."""
    corrections = read_corrections(corrections_path) if corrections_path else []
    roles = read_ebu_roles(Path(ebu_path), corrections)
    known = {role.code for role in roles}
    titles = [title for path in title_files for title in read_titles(Path(path), known)]
    spellings = {c.target: c.value for c in corrections if c.action == "spell"}
    return RoleTaxonomy(roles, titles, spellings)
