"""Regenerate the EBU RoleCodeCS table the package ships (vidsearch/credits/roles/data/ebu_RoleCodeCS.tsv).

Source: ``../shared/eval/dev/credits/ebu_role_taxonomy/ebu_RoleCodeCS_flat.tsv`` (flattened from ebu/ebu_cs
@52eb2d2e, ``metadata/cs/ebu_RoleCodeCS.xml``). The shipped file keeps the three columns the role mapper reads
(termID, parent_path, name) with whitespace normalised; attribution and licence beside it in
``EBU_RoleCodeCS.NOTICE.md``. Run: ``python scripts/derive_ebu_taxonomy.py [SOURCE_TSV]``.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO.parent / "shared" / "eval" / "dev" / "credits" / "ebu_role_taxonomy" / "ebu_RoleCodeCS_flat.tsv"
TARGET = REPO / "vidsearch" / "credits" / "roles" / "data" / "ebu_RoleCodeCS.tsv"


def main(source: Path = SOURCE) -> None:
    with source.open(encoding="utf-8", newline="") as handle:
        rows = [[" ".join(cell.split()) for cell in row] for row in csv.reader(handle, delimiter="\t")]
    if rows[0] != ["termID", "parent_path", "name"]:
        raise SystemExit(f"{source}: unexpected header {rows[0]}")
    body = [row for row in rows[1:] if any(row)]
    with TARGET.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter="\t", lineterminator="\n").writerows([rows[0], *body])
    print(f"wrote {len(body)} roles to {TARGET}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE)
