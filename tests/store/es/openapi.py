"""Validate Elasticsearch requests against Elastic's OpenAPI description (../shared/es-spec).

The whole document is registered with ``referencing`` and request bodies are checked with Draft 2020-12 against
``$ref``s into it (types, enums, required keys). Adjustments, each for a stated reason:
- ``oneOf`` becomes ``anyOf``: the spec's branches overlap, so a valid body may match several;
- ``oneOf`` + ``discriminator`` (the ``type`` of mapping properties, analyzers, tokenizers) becomes one ``if/then``
  per discriminator value, so each object is checked against the branch its ``type`` names;
- the spec never flags unknown keys, so a second pass walks the body beside the schema and reports every key no
  applicable branch describes (``filtr``, ``qurey``, ``analyzr``): the branches of an ``anyOf`` that the value
  validates against, the ``then`` of each ``if`` it meets, all of an ``allOf``. Free-form objects (documents,
  ``meta``) and maps stay open. (``unevaluatedProperties: false`` would say the same but costs minutes on
  nested retrievers with the pure-Python validator; this walk is linear.)
- the serverless flavour omits two stack-only index settings; ``number_of_shards`` / ``number_of_replicas`` are
  added to ``IndexSettings`` with the stack's types (integer, or a string of digits).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

URI = "urn:elasticsearch-openapi"
_OPEN_KEYS = ("properties", "additionalProperties", "patternProperties", "allOf", "anyOf", "oneOf", "$ref", "enum",
              "const", "if")
_DIGITS = {"type": "string", "pattern": "^[0-9]+$"}
STACK_ONLY_SETTINGS = {
    "number_of_shards": {"anyOf": [{"type": "integer", "minimum": 1}, _DIGITS]},
    "number_of_replicas": {"anyOf": [{"type": "integer", "minimum": 0}, _DIGITS]},
}
_BULK_ACTION = "/components/schemas/_global.bulk.OperationContainer"
_MSEARCH_HEADER = "/components/schemas/_global.msearch.MultisearchHeader"
_SEARCH_BODY = "/components/schemas/_global.search._types.SearchRequestBody"
# Stack endpoints the serverless description lacks; they carry no body, so there is nothing to validate.
STACK_ONLY_ENDPOINTS = {("GET", "/_cluster/health/{index}"), ("GET", "/_cat/shards/{index}"),
                        ("POST", "/{index}/_forcemerge")}


def spec_path() -> Path:
    repo = Path(__file__).resolve().parents[3]
    for root in (repo.parent / "shared", Path("/work/shared")):
        candidate = root / "es-spec" / "elasticsearch-serverless-openapi.json"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("../shared/es-spec/elasticsearch-serverless-openapi.json not found beside the repo")


def _is_open(node: dict[str, Any]) -> bool:
    return not any(k in node for k in _OPEN_KEYS) and node.get("type", "object") == "object"


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    discriminator = node.get("discriminator")
    for key, value in node.items():
        if key == "oneOf" and discriminator:
            prop, mapping = discriminator["propertyName"], discriminator["mapping"]
            branches: list[dict[str, Any]] = [
                {"if": {"properties": {prop: {"const": name}}, "required": [prop]}, "then": {"$ref": URI + ref}}
                for name, ref in mapping.items()
            ]
            if "object" in mapping:  # a mapping property without "type" is an object
                branches.append({"if": {"not": {"required": [prop]}}, "then": {"$ref": URI + mapping["object"]}})
            else:
                branches.append({"required": [prop]})
            branches.append({"properties": {prop: {"enum": sorted(mapping)}}})
            out["allOf"] = out.get("allOf", []) + branches
        elif key == "oneOf":
            out["anyOf"] = [_strict(v) for v in value]
        elif key == "allOf":
            out["allOf"] = out.get("allOf", []) + [_strict(v) for v in value]
        elif key == "$ref" and isinstance(value, str) and value.startswith("#"):
            out[key] = URI + value
        elif key == "discriminator":
            continue
        else:
            out[key] = _strict(value)
    if _is_open(out) and "type" in out:
        out["additionalProperties"] = True  # free-form: any key
    return out


@cache
def _document() -> dict[str, Any]:
    doc = _strict(json.loads(spec_path().read_text(encoding="utf-8")))
    settings = doc["components"]["schemas"]["indices._types.IndexSettings"]["properties"]
    for name, schema in STACK_ONLY_SETTINGS.items():
        settings.setdefault(name, schema)
    return doc


@cache
def _registry() -> Registry:
    return Registry().with_resource(URI, DRAFT202012.create_resource(_document()))


@cache
def validator(pointer: str) -> Draft202012Validator:
    """A validator for the schema at a JSON pointer into the adjusted spec, e.g. ``/components/schemas/X``."""
    return Draft202012Validator({"$ref": f"{URI}#{pointer}"}, registry=_registry())


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema and len(schema) == 1:
        node: Any = _document()
        for token in schema["$ref"].split("#", 1)[1].split("/")[1:]:
            node = node[token.replace("~1", "/").replace("~0", "~")]
        schema = node
    return schema


def _valid(schema: dict[str, Any], instance: Any) -> bool:
    return validator("").evolve(schema=schema).is_valid(instance)


def _applicable(schema: dict[str, Any], instance: Any) -> list[dict[str, Any]]:
    """The schema and every subschema that applies to this instance (flattening allOf/anyOf/if/$ref)."""
    schema = _resolve(schema)
    out = [schema]
    if "$ref" in schema:
        out += _applicable({"$ref": schema["$ref"]}, instance)
    for sub in schema.get("allOf", []):
        out += _applicable(sub, instance)
    if "anyOf" in schema:
        for sub in _matching_branches(schema["anyOf"], instance):
            out += _applicable(sub, instance)
    if "if" in schema:
        branch = "then" if _valid(schema["if"], instance) else "else"
        if branch in schema:
            out += _applicable(schema[branch], instance)
    return out


def _described(branches: list[dict[str, Any]]) -> tuple[set[str], bool]:
    keys: set[str] = set()
    for branch in branches:
        keys |= branch.get("properties", {}).keys()
        more = branch.get("additionalProperties")
        if more is True or isinstance(more, dict) or "patternProperties" in branch or branch == {}:
            return keys, True
    return keys, False


def _matching_branches(branches: list[dict[str, Any]], instance: Any) -> list[dict[str, Any]]:
    """The anyOf branches that describe this instance: those whose keys cover it (an object valid against a
    branch only because the spec ignores unknown keys does not count), valid ones first."""
    if isinstance(instance, dict):
        covering = []
        for branch in branches:
            keys, open_ = _described(_applicable(branch, instance))
            if open_ or set(instance) <= keys:
                covering.append(branch)
        branches = covering or branches
    valid = [branch for branch in branches if _valid(branch, instance)]
    return valid or branches


def unknown_keys(schema: dict[str, Any], instance: Any, path: str = "") -> list[str]:
    """Keys of the instance that no applicable schema describes, at any depth."""
    branches = _applicable(schema, instance)
    problems: list[str] = []
    if isinstance(instance, dict):
        described: dict[str, list[dict[str, Any]]] = {}
        extra: list[dict[str, Any]] = []
        open_ = False
        for branch in branches:
            for key, sub in branch.get("properties", {}).items():
                described.setdefault(key, []).append(sub)
            more = branch.get("additionalProperties")
            if more is True or "patternProperties" in branch or branch == {}:
                open_ = True
            elif isinstance(more, dict):
                extra.append(more)
        for key, value in instance.items():
            subs = described.get(key) or extra
            if not subs and not open_:
                problems.append(f"{path or '<body>'}: '{key}' was unexpected (the spec describes no such key)")
            for sub in subs:
                problems += unknown_keys(sub, value, f"{path}/{key}".lstrip("/"))
    elif isinstance(instance, list):
        for branch in branches:
            items = branch.get("items")
            if isinstance(items, dict):
                for n, value in enumerate(instance):
                    problems += unknown_keys(items, value, f"{path}/{n}".lstrip("/"))
    return list(dict.fromkeys(problems))


def _leaves(error) -> list:
    if not error.context:
        return [error]
    return [leaf for sub in error.context for leaf in _leaves(sub)]


def errors(pointer: str, instance: Any) -> list[str]:
    """Readable errors: schema violations (the deepest causes) and keys the spec does not describe."""
    found = [leaf for error in validator(pointer).iter_errors(instance) for leaf in _leaves(error)]
    found.sort(key=lambda e: -len(e.absolute_path))
    messages = [f"{'/'.join(map(str, e.absolute_path)) or '<body>'}: {e.message[:300]}" for e in found]
    return list(dict.fromkeys(messages)) + unknown_keys({"$ref": f"{URI}#{pointer}"}, instance)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class Operation:
    method: str
    template: str

    @property
    def pointer(self) -> str:
        return f"/paths/{_escape(self.template)}/{self.method.lower()}"

    def spec(self) -> dict[str, Any]:
        return _document()["paths"][self.template][self.method.lower()]

    def body_pointer(self) -> str | None:
        body = self.spec().get("requestBody")
        if body is None:
            return None
        if "$ref" in body:
            name = body["$ref"].rsplit("/", 1)[-1]
            return f"/components/requestBodies/{_escape(name)}/content/application~1json/schema"
        return f"{self.pointer}/requestBody/content/application~1json/schema"

    def parameters(self) -> dict[str, dict[str, Any]]:
        out = {}
        for param in self.spec().get("parameters", []):
            if "$ref" in param:
                param = _document()["components"]["parameters"][param["$ref"].rsplit("/", 1)[-1]]
            if param.get("in") == "query":
                out[param["name"]] = param
        return out


@cache
def _templates() -> list[tuple[re.Pattern[str], str, int]]:
    out = []
    for template in _document()["paths"]:
        pattern = re.escape(template)
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        out.append((re.compile(f"^{pattern}$"), template, template.count("{")))
    return sorted(out, key=lambda t: t[2])  # literal segments beat placeholders


def operation(method: str, path: str) -> Operation | None:
    for pattern, template, _ in _templates():
        if pattern.match(path) and method.lower() in _document()["paths"][template]:
            return Operation(method.upper(), template)
    return None


def request_errors(method: str, path: str, params: dict[str, str], body: Any) -> list[str]:
    """Everything wrong with one request as the spec describes the endpoint: the endpoint itself, query
    parameter names, and the body (NDJSON bodies line by line against their action/header/body schemas)."""
    op = operation(method, path)
    if op is None:
        stack_only = (method == m and re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", t), path)
                      for m, t in STACK_ONLY_ENDPOINTS)
        if any(stack_only):
            return [] if body is None else [f"{method} {path}: unexpected body"]
        return [f"{method} {path}: no such endpoint in the spec"]
    known = op.parameters()
    problems = [f"{method} {op.template}: unknown query parameter {name!r}"
                for name in params if name not in known]
    if body is None:
        return problems
    pointer = op.body_pointer()
    if pointer is None:
        return problems + [f"{method} {op.template}: the endpoint takes no body"]
    problems += [f"{method} {op.template} {e}" for e in errors(pointer, body)]
    if op.template.endswith("/_bulk"):
        problems += _bulk_line_errors(body)
    elif op.template.endswith("/_msearch"):
        problems += _msearch_line_errors(body)
    return problems


def _bulk_line_errors(lines: list[Any]) -> list[str]:
    problems, position = [], 0
    while position < len(lines):
        action = lines[position]
        problems += [f"bulk line {position}: {e}" for e in errors(_BULK_ACTION, action)]
        op = next(iter(action)) if isinstance(action, dict) and action else None
        if op in ("index", "create", "update"):
            position += 1
            if position >= len(lines) or not isinstance(lines[position], dict):
                problems.append(f"bulk line {position}: {op} needs a source object after it")
        position += 1
    return problems


def _msearch_line_errors(lines: list[Any]) -> list[str]:
    if len(lines) % 2:
        return ["msearch: a header without a body"]
    problems = []
    for n, (header, body) in enumerate(zip(lines[::2], lines[1::2], strict=True)):
        problems += [f"msearch header {n}: {e}" for e in errors(_MSEARCH_HEADER, header)]
        problems += [f"msearch body {n}: {e}" for e in errors(_SEARCH_BODY, body)]
    return problems
