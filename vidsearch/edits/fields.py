"""What may be edited on each kind of item, and the checks a value passes before it is stored.

Text is stored as the person typed it (HTML or script included: it is text, and the page renders it escaped);
control characters other than newline and tab are refused, and so is anything longer than the configured limit.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from typing import TYPE_CHECKING

from vidsearch.edits.records import EditRejected, EditTarget
from vidsearch.edits.settings import EditSettings
from vidsearch.schema import IndexName

if TYPE_CHECKING:
    from vidsearch.config import Settings

SEGMENT_FIELDS = {"title", "synopsis", "ocr_text", "caption", "keywords"}
FIELD_ALIASES = {"description": "synopsis", "ocr": "ocr_text"}
CREDIT_FIELDS = {"name", "role_text", "role_code", "deleted"}
EDITABLE: dict[EditTarget, set[str]] = {EditTarget.SEGMENT: SEGMENT_FIELDS, EditTarget.CREDIT: CREDIT_FIELDS}
TARGET_INDEX = {EditTarget.SEGMENT: IndexName.SEGMENTS, EditTarget.CREDIT: IndexName.CREDITS}
ROLE_CODE_HELP = "list the codes with GET /v1/role-codes?q=<words> or `vidsearch edits role-codes <words>`"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(name: str, value: Any, limit: int, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise EditRejected(f"{name} cannot be empty")
        return None
    if not isinstance(value, str):
        raise EditRejected(f"{name} must be text, not {type(value).__name__}")
    if len(value) > limit:
        raise EditRejected(f"{name} is {len(value):,} characters; the limit is {limit:,} "
                           "(VIDSEARCH_EDITS__MAX_TEXT_CHARS)")
    if _CONTROL.search(value):
        raise EditRejected(f"{name} contains control characters")
    value = value.strip()
    if required and not value:
        raise EditRejected(f"{name} cannot be empty")
    return value or None


def clean_changes(target: EditTarget, changes: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Validated new values by field (aliases resolved). Raises EditRejected naming the field."""
    limits = settings.edits
    allowed = EDITABLE[target]
    out: dict[str, Any] = {}
    if not changes:
        raise EditRejected(f"nothing to change: give one of {', '.join(sorted(allowed))}")
    for raw_name, value in changes.items():
        name = FIELD_ALIASES.get(raw_name, raw_name)
        if name not in allowed:
            raise EditRejected(f"{raw_name!r} cannot be edited on a {target}; editable: {', '.join(sorted(allowed))}")
        if name == "keywords":
            out[name] = _keywords(value, limits)
        elif name == "deleted":
            if not isinstance(value, bool):
                raise EditRejected("deleted must be true or false")
            out[name] = value
        elif name == "role_code":
            out[name] = check_role_code(settings, value) if value is not None else None
        else:
            out[name] = _text(name, value, limits.max_text_chars, required=name in ("name", "role_text"))
    return out


def _keywords(value: Any, settings: EditSettings) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [v for v in re.split(r"[,\n]", value)]
    if not isinstance(value, list):
        raise EditRejected("keywords must be a list of words or a comma-separated text")
    words = [w for w in (_text("a keyword", v, 200) for v in value) if w]
    words = list(dict.fromkeys(words))
    if len(words) > settings.max_keywords:
        raise EditRejected(f"{len(words)} keywords; at most {settings.max_keywords} "
                           "(VIDSEARCH_EDITS__MAX_KEYWORDS)")
    return words or None


def role_codes(settings: Settings) -> dict[str, tuple[str, str]]:
    """EBU code → (label, department), from the configured taxonomy."""
    return _role_codes(settings.credits.model_dump_json())


@lru_cache(maxsize=2)
def _role_codes(credits_json: str) -> dict[str, tuple[str, str]]:
    from vidsearch.credits.roles.recipe import load_role_taxonomy
    from vidsearch.credits.settings import CreditSettings

    taxonomy = load_role_taxonomy(CreditSettings.model_validate_json(credits_json))
    return {code: (role.label, role.department) for code, role in taxonomy.roles.items()}


def check_role_code(settings: Settings, code: Any) -> str:
    if not isinstance(code, str) or not code.strip():
        raise EditRejected(f"a role code is text such as '6.1'; {ROLE_CODE_HELP}")
    code = code.strip()
    if code not in role_codes(settings):
        raise EditRejected(f"unknown role code {code!r}: not in the EBU RoleCodeCS taxonomy; {ROLE_CODE_HELP}")
    return code


def find_role_codes(settings: Settings, words: str | None, limit: int = 50) -> list[dict[str, str]]:
    """Codes whose label or department contains every word (case-insensitive); all codes without words."""
    wanted = [w.casefold() for w in (words or "").split()]
    out = []
    for code, (label, department) in sorted(role_codes(settings).items()):
        hay = f"{code} {label} {department}".casefold()
        if all(w in hay for w in wanted):
            out.append({"code": code, "label": label, "department": department})
            if len(out) >= limit:
                break
    return out


def role_fields(settings: Settings, code: str | None) -> dict[str, Any]:
    """The credit fields that follow a role code."""
    if code is None:
        return {"role_code": None, "role_codes": [], "role_label": None, "department": None,
                "role_status": "unmapped"}
    label, department = role_codes(settings)[code]
    # an archivist's code is certain: the mapper's confidence and composite parts no longer apply
    return {"role_code": code, "role_codes": [code], "role_label": label, "department": department,
            "role_status": "mapped", "role_confidence": 1.0}
