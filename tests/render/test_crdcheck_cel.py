"""The Kubernetes CEL additions tools/crdcheck makes to cel-python, rule by rule: each behaves as
the Kubernetes libraries / cel-go do, and an unsupported function is an error, never a pass."""

from __future__ import annotations

from typing import Any

import pytest

from tools.crdcheck.celrules import escape_property, rule_errors
from tools.crdcheck.structural import validate


def holds(rule: str, value: Any, schema: dict[str, Any] | None = None) -> bool:
    errors = rule_errors({"rule": rule, "message": "no"}, value, schema or {}, "x")
    assert all(": Invalid value: no" in e for e in errors), errors  # evaluated, not an evaluation error
    return not errors


@pytest.mark.parametrize(("rule", "value", "expected"), [
    ("self.lowerAscii() == 'authorization'", "AuthoriZation", True),
    ("self.upperAscii() in ['POST', 'PUT']", "post", True),
    ("self.split('/')[0].size() < 253", "example.com/key", True),
    ("self.split('/', 2) == ['a', 'b/c']", "a/b/c", True),
    ("self.substring(2) == 'example.com'", "*.example.com", True),
    ("self.find('^([^/]+)').endsWith('karpenter.sh')", "karpenter.sh/custom", True),
    ("self.find('^([^/]+)').endsWith('karpenter.sh')", "example.com/custom", False),
    ("isURL(self)", "http://proxy.internal:3128", True),
    ("isURL(self)", "not a url", False),
    ("isIP(self)", "10.0.0.1", True),
    ("isIP(self)", "::ffff:10.0.0.1", False),  # IPv4-mapped IPv6 is rejected by library.IP
    ("isIP(self)", "api.example.com", False),
    ("self == 1.0", 1, True),  # cel-go's heterogeneous numeric equality
    ("self != 0", "metrics", True),  # an int-or-string port: different types are simply unequal
])
def test_kubernetes_library_functions(rule: str, value: Any, expected: bool) -> None:
    assert holds(rule, value) is expected


def test_schema_types_reach_cel() -> None:
    duration = {"type": "string", "format": "duration"}
    schema = {"type": "object", "properties": {"timeout": duration, "interval": duration}}
    assert holds("self.timeout <= self.interval", {"timeout": "5s", "interval": "15s"}, schema)
    assert not holds("self.timeout <= self.interval", {"timeout": "1m", "interval": "15s"}, schema)
    number = {"type": "object", "properties": {"ratio": {"type": "number"}}}
    assert holds("self.ratio > 0.5", {"ratio": 1}, number)  # an integer in a number field is a double


def test_reserved_and_odd_property_names_are_escaped() -> None:
    assert escape_property("namespace") == "__namespace__"
    assert escape_property("foo-bar") == "foo__dash__bar"
    assert escape_property("a.b/c") == "a__dot__b__slash__c"
    assert escape_property("name") is None
    schema = {"type": "object", "properties": {"namespace": {"type": "string"}}}
    assert holds("self.__namespace__ == 'llm'", {"namespace": "llm"}, schema)


def test_transition_rules_are_skipped_on_create() -> None:
    assert rule_errors({"rule": "self == oldSelf", "message": "immutable"}, "x", {}, "spec.controllerName") == []


def test_an_unsupported_function_is_an_error_not_a_pass() -> None:
    errors = rule_errors({"rule": "self.quantity() > 0", "message": "no"}, "1Gi", {}, "spec.size")
    assert len(errors) == 1 and errors[0].startswith("spec.size: rule 'self.quantity() > 0' could not be evaluated")


def test_missing_field_read_is_an_error() -> None:
    errors = rule_errors({"rule": "self.port > 0", "message": "no"}, {}, {"type": "object"}, "spec")
    assert len(errors) == 1 and "could not be evaluated" in errors[0]


def test_field_path_and_list_set_and_preserve_unknown_fields() -> None:
    schema = {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "port": {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
        },
        "x-kubernetes-validations": [{"rule": "size(self.tags) < 3", "message": "too many", "fieldPath": ".tags"}],
    }
    base = {"metadata": {"name": "n", "namespace": "ns"}}
    assert validate({**base, "tags": ["a"], "free": {"any": {"thing": 1}}, "port": "http"}, schema, namespaced=True) == []
    assert validate({**base, "tags": ["a", "b", "a"], "port": True}, schema, namespaced=True) == [
        "tags[2]: Duplicate value: \"a\"",
        "port: Invalid value: true: must be an integer or a string",
        "<root>: Invalid value: some validation rules were not checked because the object was invalid; "
        "correct the existing errors to complete validation",
    ]
    assert validate({**base, "tags": ["a", "b", "c"]}, schema, namespaced=True) == ["tags: Invalid value: too many"]
