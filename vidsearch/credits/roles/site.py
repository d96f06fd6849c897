"""The site's own role titles: titles archivists mapped to an EBU code (``vidsearch edits map-role``, the page's
role-title queue), kept in a TSV of the authored-title format. The mapper the credit stage loads indexes them
beside the shipped titles, so a re-analysis codes a mapped title by itself; the file's content is part of the
credit stage's fingerprint (as a model input), so a new mapping reruns the stage."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from vidsearch.credits.roles.taxonomy import RoleTaxonomy, RoleTitle, TaxonomyError, read_titles
from vidsearch.credits.roles.text import compact_key

if TYPE_CHECKING:
    from vidsearch.config import Settings

log = logging.getLogger(__name__)


def site_role_titles_path(settings: Settings) -> Path:
    """``edits.site_role_titles``, else ``<data_dir>/site_role_titles.tsv``."""
    return (settings.edits.site_role_titles or settings.data_dir / "site_role_titles.tsv").expanduser()


def read_site_titles(path: Path) -> list[RoleTitle]:
    """The file's titles (none when it is absent). A malformed file is a specific error naming the line: it is
    written by vidsearch, so a broken one was edited by hand and must be fixed rather than silently ignored."""
    if not path.is_file():
        return []
    try:
        return read_titles(path)
    except TaxonomyError as exc:
        raise TaxonomyError(path, exc.line, f"{exc.reason} (the site's role-title list; fix or remove the "
                                            "line, or map the title again with `vidsearch edits map-role`)") from None


def site_titles_checksum(settings: Settings) -> str | None:
    """Checksum of the site's titles (code, title), or None when there are none: no fingerprint entry then, so
    an archive without archivists' mappings keeps its fingerprints."""
    titles = read_site_titles(site_role_titles_path(settings))
    if not titles:
        return None
    rows = sorted(f"{t.code}\t{t.text}" for t in titles)
    return "sha256:" + hashlib.sha256("\n".join(rows).encode()).hexdigest()[:32]


def with_site_titles(taxonomy: RoleTaxonomy, path: Path) -> RoleTaxonomy:
    """``taxonomy`` plus the site's titles. A site title the taxonomy cannot take (a code it lacks, a title it
    already lists, another role's EBU label) is left out with a warning: the archivist's mapping still codes
    those credits through the edit layer, only the mapper does not learn the title."""
    site = read_site_titles(path)
    if not site:
        return taxonomy
    taken = {t.key: t.code for t in taxonomy.titles}
    labels = {compact_key(c.label): i for i, c in enumerate(taxonomy.concepts)}
    kept: list[RoleTitle] = []
    for title in site:
        if title.code not in taxonomy.roles:
            reason = f"code {title.code} is not in the role taxonomy"
        elif title.key in taken:
            reason = f"the title is already listed (as {taken[title.key]})"
        elif labels.get(title.key, taxonomy.concept_index(title.code)) != taxonomy.concept_index(title.code):
            reason = f"the title is the EBU label of {taxonomy.concepts[labels[title.key]].code}"
        else:
            kept.append(title)
            taken[title.key] = title.code
            continue
        log.warning("%s:%d: site role title %r left out of the mapper: %s", path, title.line, title.text, reason)
    if not kept:
        return taxonomy
    return RoleTaxonomy(list(taxonomy.roles.values()), [*taxonomy.titles, *kept], taxonomy.spellings)
