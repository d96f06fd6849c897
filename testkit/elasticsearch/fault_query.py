"""The filter semantics of the query clauses the backend sends (term, terms, ids, range, exists, bool with
filter/must/should/must_not); scoring queries (match, knn) match everything — the stand-in does not rank."""

from __future__ import annotations

from typing import Any


def _values(source: dict[str, Any], name: str) -> list[Any]:
    value: Any = source
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def matches(query: dict[str, Any] | None, doc_id: str, source: dict[str, Any]) -> bool:
    """Filter semantics of the clauses the backend sends; scoring queries (match, knn) match everything."""
    if not query:
        return True
    kind, spec = next(iter(query.items()))
    if kind == "bool":
        musts = spec.get("filter", []) + spec.get("must", [])
        musts = musts if isinstance(musts, list) else [musts]
        if not all(matches(q, doc_id, source) for q in musts):
            return False
        should = spec.get("should", [])
        should = should if isinstance(should, list) else [should]
        wanted = int(spec.get("minimum_should_match", 0 if musts else 1)) if should else 0
        if sum(matches(q, doc_id, source) for q in should) < wanted:
            return False
        return not any(matches(q, doc_id, source) for q in spec.get("must_not", []))
    if kind == "ids":
        return doc_id in spec["values"]
    if kind in ("term", "terms"):
        name, wanted = next(iter(spec.items()))
        wanted = wanted.get("value") if isinstance(wanted, dict) else wanted
        wanted = wanted if isinstance(wanted, list) else [wanted]
        return any(str(v) in {str(w) for w in wanted} for v in _values(source, name))
    if kind == "range":
        name, bounds = next(iter(spec.items()))
        values = _values(source, name)
        return bool(values) and all(_in_range(values[0], bounds))
    if kind == "exists":
        return bool(_values(source, spec["field"]))
    return True


def _in_range(value: Any, bounds: dict[str, Any]) -> list[bool]:
    def comparable(x: Any) -> Any:
        return str(x) if isinstance(value, str) else float(x)

    checks = {"gte": lambda b: value >= comparable(b), "lte": lambda b: value <= comparable(b),
              "gt": lambda b: value > comparable(b), "lt": lambda b: value < comparable(b)}
    return [checks[k](b) for k, b in bounds.items() if k in checks]
