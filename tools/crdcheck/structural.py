"""A custom resource checked against a structural schema the way the API server checks it on create.

Order as in apiextensions-apiserver: nulls of non-nullable fields are pruned and defaults applied,
then the OpenAPI value validation runs (types, enums, patterns, formats, bounds, required, list
types), unknown fields are errors (strict field validation, ``kubectl apply --validate=strict``:
what pruning would silently drop) and the ``x-kubernetes-validations`` CEL rules are evaluated.
Paths read like the API server's: ``spec.rules[0].matches[0].path.type``.
"""

from __future__ import annotations

import copy
import json
import math
from functools import cache
from typing import Any

import re2

from infra.plan.model import SECRET
from tools.crdcheck.celrules import rule_errors
from tools.crdcheck.formats import format_error, object_meta_errors

Schema = dict[str, Any]
JSON_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}
ROOT_FIELDS = ("apiVersion", "kind", "metadata")
"""Fields every object (the root, or an x-kubernetes-embedded-resource) may carry without a schema."""


@cache
def _regex(pattern: str) -> Any:
    return re2.compile(pattern)


def _describe(value: Any) -> str:
    if isinstance(value, dict | list):
        return type(value).__name__
    return json.dumps(value)


def _type_name(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), type(value).__name__)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# -- defaulting and null pruning ----------------------------------------------------------------

def apply_defaults(value: Any, schema: Schema | None) -> Any:
    """``value`` with nulls of non-nullable fields dropped and the schema's defaults filled in."""
    if not schema:
        return value
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties") if isinstance(schema.get("additionalProperties"), dict) else None
        out = {}
        for key, item in value.items():
            sub = props.get(key, extra)
            if item is None and sub is not None and not sub.get("nullable", False):
                continue  # the API server prunes it before validation
            out[key] = apply_defaults(item, sub)
        for key, sub in props.items():
            if key not in out and "default" in sub:
                out[key] = apply_defaults(copy.deepcopy(sub["default"]), sub)
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [apply_defaults(item, schema["items"]) for item in value]
    return value


# -- validation ---------------------------------------------------------------------------------

class Validator:
    """Collects every error of one object; ``prune`` is off inside allOf/anyOf/oneOf/not, where
    the API server validates values but prunes only by the main schema."""

    def __init__(self, namespaced: bool) -> None:
        self.namespaced = namespaced
        self.errors: list[str] = []
        self.blocking = 0
        """Errors of the kinds that stop the CEL rules (type, required, enum, maxLength, maxItems,
        maxProperties: hasBlockingErr in apiextensions-apiserver's customresource strategy)."""
        self.rules: list[tuple[dict[str, Any], Any, Schema, str]] = []

    def error(self, path: str, message: str, *, blocking: bool = False) -> None:
        self.errors.append(f"{path or '<root>'}: {message}")
        self.blocking += blocking

    def check(self, value: Any, schema: Schema, path: str, *, prune: bool = True, embedded: bool = False) -> None:
        if value is None:
            if not schema.get("nullable", False):
                self.error(path, "Invalid value: null: must not be null")
            return
        if not self._check_type(value, schema, path):
            return
        self._check_scalar(value, schema, path)
        if isinstance(value, dict):
            self._check_object(value, schema, path, prune=prune, embedded=embedded)
        elif isinstance(value, list):
            self._check_array(value, schema, path, prune=prune)
        self._check_combinators(value, schema, path)
        if prune:  # CEL rules belong to the main schema; combinator branches cannot carry them
            self.rules += [(v, value, schema, path) for v in schema.get("x-kubernetes-validations") or []]

    def run_rules(self) -> None:
        """The CEL rules, after the schema walk; like the API server, not when a blocking error
        says the object lacks the shape the rules were written for."""
        if self.blocking:
            self.error("", "Invalid value: some validation rules were not checked because the object was invalid; "
                           "correct the existing errors to complete validation")
            return
        for validation, value, schema, path in self.rules:
            self.errors += rule_errors(validation, value, schema, path)

    # -- pieces ---------------------------------------------------------------------------------
    def _check_type(self, value: Any, schema: Schema, path: str) -> bool:
        if schema.get("x-kubernetes-int-or-string"):
            if isinstance(value, bool) or not isinstance(value, int | str):
                self.error(path, f"Invalid value: {_describe(value)}: must be an integer or a string", blocking=True)
                return False
            return True
        expected = schema.get("type")
        if expected and not JSON_TYPES[expected](value):
            note = " (the redaction placeholder: the rendered manifest cannot show the value)" if value == SECRET else ""
            self.error(path, f"Invalid value: {_describe(value)}: must be of type {expected}, got {_type_name(value)}{note}",
                       blocking=True)
            return False
        return True

    def _check_scalar(self, value: Any, schema: Schema, path: str) -> None:
        if "enum" in schema and value not in schema["enum"]:
            allowed = ", ".join(json.dumps(v) for v in schema["enum"])
            self.error(path, f"Unsupported value: {_describe(value)}: supported values: {allowed}", blocking=True)
        if isinstance(value, str):
            length = len(value)
            if "maxLength" in schema and length > schema["maxLength"]:
                self.error(path, f"Too long: may not be more than {schema['maxLength']} characters, got {length}",
                           blocking=True)
            if "minLength" in schema and length < schema["minLength"]:
                self.error(path, f"Invalid value: {_describe(value)}: must be at least {schema['minLength']} characters")
            if "pattern" in schema and not _regex(schema["pattern"]).search(value):
                self.error(path, f"Invalid value: {_describe(value)}: must match {schema['pattern']!r}")
        if isinstance(value, int | float) and not isinstance(value, bool):
            self._check_number(value, schema, path)
        if "format" in schema:
            problem = format_error(value, schema["format"])
            if problem:
                self.error(path, f"Invalid value: {problem}")

    def _check_number(self, value: float, schema: Schema, path: str) -> None:
        if "maximum" in schema:
            over = value >= schema["maximum"] if schema.get("exclusiveMaximum") else value > schema["maximum"]
            if over:
                self.error(path, f"Invalid value: {value}: must be less than {'' if schema.get('exclusiveMaximum') else 'or equal to '}{schema['maximum']}")
        if "minimum" in schema:
            under = value <= schema["minimum"] if schema.get("exclusiveMinimum") else value < schema["minimum"]
            if under:
                self.error(path, f"Invalid value: {value}: must be greater than {'' if schema.get('exclusiveMinimum') else 'or equal to '}{schema['minimum']}")
        if "multipleOf" in schema and not math.isclose(value / schema["multipleOf"], round(value / schema["multipleOf"])):
            self.error(path, f"Invalid value: {value}: must be a multiple of {schema['multipleOf']}")

    def _check_object(self, value: dict[str, Any], schema: Schema, path: str, *, prune: bool, embedded: bool) -> None:
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        root = path == ""
        for key in schema.get("required") or []:
            if key not in value:
                self.error(_join(path, key), "Required value", blocking=True)
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            self.error(path, f"Too many: {len(value)}: must have at most {schema['maxProperties']} items", blocking=True)
        if "minProperties" in schema and len(value) < schema["minProperties"]:
            self.error(path, f"Invalid value: must have at least {schema['minProperties']} properties")
        for key, item in value.items():
            where = _join(path, key)
            if (root or embedded) and key == "metadata":
                self._check_metadata(item, props.get("metadata") or {}, where, root=root)
            elif key in props:
                self.check(item, props[key], where, prune=prune, embedded=bool(props[key].get("x-kubernetes-embedded-resource")))
            elif isinstance(extra, dict):
                self.check(item, extra, where, prune=prune, embedded=bool(extra.get("x-kubernetes-embedded-resource")))
            elif (root or embedded) and key in ROOT_FIELDS:
                if not isinstance(item, str):
                    self.error(where, f"Invalid value: {_describe(item)}: must be a string")
            elif prune and extra is not True and not schema.get("x-kubernetes-preserve-unknown-fields"):
                self.error(where, "unknown field (the API server would prune it)")
        if embedded and not root:
            for key in ("apiVersion", "kind"):
                if not value.get(key):
                    self.error(_join(path, key), "Required value: an embedded resource needs apiVersion and kind")

    def _check_metadata(self, meta: Any, schema: Schema, path: str, *, root: bool) -> None:
        if root:
            self.errors += object_meta_errors(meta, self.namespaced, path)
        if isinstance(meta, dict):  # name/generateName constraints a CRD may add (its only allowed ones)
            for key in ("name", "generateName"):
                if key in meta and key in (schema.get("properties") or {}):
                    self.check(meta[key], schema["properties"][key], _join(path, key))

    def _check_array(self, value: list[Any], schema: Schema, path: str, *, prune: bool) -> None:
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            self.error(path, f"Too many: {len(value)}: must have at most {schema['maxItems']} items", blocking=True)
        if "minItems" in schema and len(value) < schema["minItems"]:
            self.error(path, f"Invalid value: {len(value)} items: must have at least {schema['minItems']} items")
        items = schema.get("items")
        if isinstance(items, dict):
            for index, item in enumerate(value):
                self.check(item, items, f"{path}[{index}]", prune=prune,
                           embedded=bool(items.get("x-kubernetes-embedded-resource")))
        list_type = schema.get("x-kubernetes-list-type")
        if list_type == "set" or schema.get("uniqueItems"):
            seen: list[Any] = []
            for index, item in enumerate(value):
                if item in seen:
                    self.error(f"{path}[{index}]", f"Duplicate value: {_describe(item)}")
                seen.append(item)
        elif list_type == "map":
            keys = schema.get("x-kubernetes-list-map-keys") or []
            seen_keys: dict[tuple[Any, ...], int] = {}
            for index, item in enumerate(value):
                if not isinstance(item, dict):
                    continue
                key = tuple(json.dumps(item.get(k), sort_keys=True) for k in keys)
                if key in seen_keys:
                    shown = ", ".join(f"{k}={item.get(k)!r}" for k in keys)
                    self.error(f"{path}[{index}]", f"Duplicate value: map key {{{shown}}} also at [{seen_keys[key]}]")
                seen_keys.setdefault(key, index)

    def _check_combinators(self, value: Any, schema: Schema, path: str) -> None:
        for sub in schema.get("allOf") or []:
            self.check(value, sub, path, prune=False)
        if schema.get("anyOf") and not any(not _errors_of(value, sub, path) for sub in schema["anyOf"]):
            self.error(path, "Invalid value: must validate at least one schema (anyOf)")
        if schema.get("oneOf"):
            passing = sum(1 for sub in schema["oneOf"] if not _errors_of(value, sub, path))
            if passing != 1:
                self.error(path, f"Invalid value: must validate one and only one schema (oneOf), {passing} match")
        if isinstance(schema.get("not"), dict) and not _errors_of(value, schema["not"], path):
            self.error(path, "Invalid value: must not validate the schema (not)")


def _errors_of(value: Any, schema: Schema, path: str) -> list[str]:
    trial = Validator(namespaced=True)
    trial.check(value, schema, path, prune=False)
    return trial.errors


def validate(manifest: dict[str, Any], schema: Schema, *, namespaced: bool) -> list[str]:
    """Every error the API server would report creating ``manifest`` under ``schema``."""
    validator = Validator(namespaced)
    validator.check(apply_defaults(copy.deepcopy(manifest), schema), schema, "")
    validator.run_rules()
    return validator.errors
