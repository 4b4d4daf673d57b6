"""Check a Plan's props against the pinned provider SDKs' input types.

Each provider SDK registers its resource modules with the Pulumi runtime (type token ->
Python class); each resource class has a ``<Class>Args`` input type whose properties carry
the wire name (``@pulumi.getter(name="camelName")``) and a type annotation. Walking the
props against those types finds keys the provider does not know and values of the wrong
primitive type, and required keys left out, at any depth (nested input types, lists,
maps), the way the provider would reject them at ``pulumi up`` (or silently ignore them).

Custom resources of Kubernetes (CRDs) have no SDK type: their schemas are checked against
the vendored CRDs instead (tools/crdcheck). Secret and unknown values ("[secret]",
"[unknown]") stand for a value of any type.
"""

from __future__ import annotations

import collections.abc
import enum
import functools
import importlib
import inspect
import json
import types
import typing
from dataclasses import dataclass
from typing import Any

from pulumi import Output
from pulumi import _types as pulumi_types
from pulumi.asset import Archive, Asset
from pulumi.runtime import rpc

from infra.plan.model import SECRET, Plan, PlanResource

SDK_PACKAGES = (
    "pulumi_aws",
    "pulumi_gcp",
    "pulumi_kubernetes",
    "pulumi_random",
    "pulumi_tls",
    "pulumi_docker_build",
    "pulumi_command",
)
"""The provider SDKs the program uses (pinned in requirements/main.txt)."""

PLACEHOLDERS = frozenset({SECRET, "[unknown]"})
CUSTOM_RESOURCE_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResource"


@dataclass(frozen=True, order=True)
class Finding:
    urn: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.urn}: {self.path}: {self.message}"


class UntypedResourceError(LookupError):
    """A resource type no pinned SDK describes."""


@functools.cache
def _registry() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """(resource token -> (module, class), provider token -> (module, class)) of the SDKs."""
    for package in SDK_PACKAGES:
        importlib.import_module(package)
    resources: dict[str, tuple[str, str]] = {}
    for modules in rpc._RESOURCE_MODULES.values():
        for module in modules:
            info = getattr(module, "mod_info", None)
            if info:
                for token, class_name in info["classes"].items():
                    resources[token] = (info["fqn"], class_name)
    providers: dict[str, tuple[str, str]] = {}
    for packages in rpc._RESOURCE_PACKAGES.values():
        for package in packages:
            info = getattr(package, "pkg_info", None)
            if info:
                providers[info["token"]] = (info["fqn"], info["class"])
    return resources, providers


@functools.cache
def args_type(token: str) -> type:
    """The ``@pulumi.input_type`` Args class of a resource or provider type token."""
    resources, providers = _registry()
    entry = resources.get(token) or providers.get(token)
    if entry is None:
        raise UntypedResourceError(f"no pinned SDK declares resource type '{token}'")
    module_name, class_name = entry
    resource_class = getattr(importlib.import_module(module_name), class_name)
    # The type the resource's own ``__init__(name, args: <Args>, opts)`` overload names: the
    # package namespace may hold a nested input type of the resource's name + "Args" (the
    # SDKs then call the resource's own one ``<Class>InitArgs``).
    for overload in typing.get_overloads(resource_class.__init__):
        parameter = inspect.signature(overload).parameters.get("args")
        if parameter is not None:
            annotation = parameter.annotation
            if isinstance(annotation, str):  # a forward reference: resolve it where it was written
                annotation = eval(annotation, overload.__globals__)  # noqa: S307 - SDK source, not input
            args = pulumi_types.unwrap_optional_type(annotation)
            if isinstance(args, type) and pulumi_types.is_input_type(args):
                return args
    raise UntypedResourceError(f"{module_name}.{class_name} declares no input type for its arguments")


@functools.cache
def properties(input_type: type) -> dict[str, Any]:
    """Wire name -> annotation of an input type (one lookup per type: the walk is cached)."""
    return pulumi_types.input_type_types(input_type)


@functools.cache
def required(input_type: type) -> frozenset[str]:
    """Wire names of the properties whose annotation does not admit None."""
    return pulumi_types._required_property_names(input_type)


def _unwrap(annotation: Any) -> Any:
    """``Input[T]``, ``Optional[T]``, ``InputType[T]``, ``Output[T]`` -> ``T``."""
    previous = None
    while previous is not annotation:
        previous, annotation = annotation, pulumi_types.unwrap_type(annotation)
    return annotation


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _members(annotation: Any) -> list[Any]:
    """Members of a union, without the ``Awaitable``/``Output`` plumbing of ``Input[T]``."""
    out = []
    for member in typing.get_args(annotation):
        origin = typing.get_origin(member)
        if member is type(None) or member is Output or origin in (collections.abc.Awaitable, Output):
            continue
        out.append(_unwrap(member))
    return out


def _describe(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


class _Walker:
    def __init__(self, urn: str, json_strings: bool) -> None:
        self.urn = urn
        # Provider inputs travel JSON-encoded: a non-string value arrives as its JSON text.
        self.json_strings = json_strings
        self.findings: list[Finding] = []

    def report(self, path: str, message: str) -> None:
        self.findings.append(Finding(self.urn, path, message))

    def object(self, value: Any, input_type: type, path: str) -> None:
        if not isinstance(value, dict):
            self.report(path, f"expected an object ({input_type.__name__}), got {type(value).__name__}")
            return
        known = properties(input_type)
        for key in sorted(required(input_type) - set(value)):
            self.report(f"{path}.{key}" if path else key, f"missing required key of {input_type.__name__}")
        for key in sorted(value):
            child = f"{path}.{key}" if path else key
            if key not in known:
                self.report(child, f"unknown key for {input_type.__name__}")
                continue
            self.value(value[key], known[key], child)

    def value(self, value: Any, annotation: Any, path: str) -> None:
        if value is None or (isinstance(value, str) and value in PLACEHOLDERS):
            return
        annotation = _unwrap(annotation)
        if self.json_strings and isinstance(value, str) and annotation is not str and not _accepts_str(annotation):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                self.report(path, f"expected {_describe(annotation)} (JSON-encoded), got a string")
                return
        if annotation is Any or annotation is object:
            return
        if _is_union(annotation):
            members = _members(annotation)
            if len(members) == 1:
                self.value(value, members[0], path)
                return
            for member in members:
                probe = _Walker(self.urn, self.json_strings)
                probe.value(value, member, path)
                if not probe.findings:
                    return
            self.report(path, f"expected {' or '.join(_describe(m) for m in members)}, got {_kind(value)}")
            return
        origin = typing.get_origin(annotation) or annotation  # a bare list/dict is a list/map of Any
        if origin is typing.Literal:
            allowed = typing.get_args(annotation)
            if value not in allowed:
                self.report(path, f"expected one of {list(allowed)}, got {value!r}")
            return
        if origin in (list, collections.abc.Sequence):
            if not isinstance(value, list):
                self.report(path, f"expected a list, got {_kind(value)}")
                return
            [item] = typing.get_args(annotation) or [Any]
            for index, element in enumerate(value):
                self.value(element, item, f"{path}[{index}]")
            return
        if origin in (dict, collections.abc.Mapping):
            if not isinstance(value, dict):
                self.report(path, f"expected a map, got {_kind(value)}")
                return
            _, item = typing.get_args(annotation) or (str, Any)
            for key in sorted(value):
                self.value(value[key], item, f"{path}.{key}")
            return
        if isinstance(annotation, type) and pulumi_types.is_input_type(annotation):
            self.object(value, annotation, path)
            return
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            allowed = [m.value for m in annotation]
            if value not in allowed:
                self.report(path, f"expected one of {allowed} ({annotation.__name__}), got {value!r}")
            return
        if annotation in (Asset, Archive) or (
            isinstance(annotation, type) and issubclass(annotation, (Asset, Archive))
        ):
            return  # the Plan keeps an asset's path
        self.primitive(value, annotation, path)

    def primitive(self, value: Any, annotation: Any, path: str) -> None:
        ok = {
            str: isinstance(value, str),
            bool: isinstance(value, bool),
            int: isinstance(value, int) and not isinstance(value, bool),
            float: isinstance(value, int | float) and not isinstance(value, bool),
        }.get(annotation)
        if ok is None:
            self.report(path, f"no rule for annotation {_describe(annotation)}")
        elif not ok:
            self.report(path, f"expected {_describe(annotation)}, got {_kind(value)} {value!r}")


def _accepts_str(annotation: Any) -> bool:
    if annotation is str:
        return True
    if _is_union(annotation):
        return any(_accepts_str(m) for m in _members(annotation))
    return False


def _kind(value: Any) -> str:
    return {bool: "bool", int: "int", float: "float", str: "string", list: "list", dict: "object"}.get(
        type(value), type(value).__name__
    )


def check_resource(resource: PlanResource) -> list[Finding]:
    """Findings of one resource; raises UntypedResourceError when no SDK describes its type."""
    input_type = args_type(resource.type)
    walker = _Walker(resource.urn, json_strings=resource.type.startswith("pulumi:providers:"))
    walker.object(resource.props, input_type, "")
    return sorted(walker.findings)


def is_checked(resource: PlanResource) -> bool:
    """Custom resources with an SDK type (components and CRD-defined kinds have none)."""
    if not resource.custom:
        return False
    resources, providers = _registry()
    return resource.type in resources or resource.type in providers


def check_plan(plan: Plan) -> tuple[list[Finding], list[PlanResource]]:
    """(findings, custom resources no pinned SDK types) of a whole Plan."""
    findings: list[Finding] = []
    untyped: list[PlanResource] = []
    for resource in plan.resources:
        if not resource.custom:
            continue
        if not is_checked(resource):
            untyped.append(resource)
            continue
        findings += check_resource(resource)
    return sorted(findings), untyped
