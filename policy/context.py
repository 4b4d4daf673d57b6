"""What a rule sees: resources (type, name, URN, props, parent, provider, protect) and the
stack settings. Built from a Plan dict offline, or from the policy SDK's arguments inside
``pulumi preview`` (policy/crossguard.py). Props stay whatever mapping the caller passed:
under CrossGuard they are the SDK's proxies, which raise ``UnknownValueError`` when a rule
reads a value that is unknown during preview.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from policy.settings import StackSettings

TARGET_TYPES = ("llm-fleet:aws:Target", "llm-fleet:gcp:Target", "llm-fleet:onprem:Target")


@dataclass(eq=False)
class Resource:
    urn: str
    type: str
    name: str
    props: Mapping[str, Any]
    parent: str | None = None
    provider: str | None = None
    protect: bool = False
    custom: bool = True
    cache: dict[str, Any] = field(default_factory=dict, repr=False)
    """Derived views (pod templates, ...) computed once per evaluation."""

    @classmethod
    def from_plan(cls, data: Mapping[str, Any]) -> Resource:
        return cls(
            urn=str(data["urn"]),
            type=str(data["type"]),
            name=str(data["name"]),
            props=data.get("props") or {},
            parent=data.get("parent"),
            provider=data.get("provider"),
            protect=bool(data.get("protect", False)),
            custom=bool(data.get("custom", True)),
        )


@dataclass
class PlanContext:
    """The stack a rule evaluates: resources indexed by type and URN, plus settings."""

    stack: str
    settings: StackSettings
    resources: list[Resource]
    today: dt.date = field(default_factory=dt.date.today)
    project: str = "llm-fleet"
    provider_props: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    """Props of provider resources by URN, when the provider is not itself in ``resources``
    (CrossGuard resource policies get the provider beside the resource)."""

    def __post_init__(self) -> None:
        self._by_type: dict[str, list[Resource]] = defaultdict(list)
        self._by_urn: dict[str, Resource] = {}
        for resource in self.resources:
            self._by_type[resource.type].append(resource)
            self._by_urn[resource.urn] = resource
        self._target_cache: dict[str, str | None] = {}
        self._cache: dict[str, Any] = {}

    @classmethod
    def from_plan(cls, plan: Mapping[str, Any], today: dt.date | None = None) -> PlanContext:
        stack = str(plan.get("stack", "stack"))
        return cls(
            stack=stack,
            settings=StackSettings(plan.get("config") or {}, stack),
            resources=[Resource.from_plan(r) for r in plan.get("resources") or []],
            today=today or dt.date.today(),
            project=str(plan.get("project", "llm-fleet")),
        )

    # -- lookups ------------------------------------------------------------------------
    @property
    def stack_urn(self) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::pulumi:pulumi:Stack::{self.project}-{self.stack}"

    def of_type(self, *types: str) -> list[Resource]:
        if len(types) == 1:
            return self._by_type.get(types[0], [])
        return [r for t in types for r in self._by_type.get(t, [])]

    def get(self, urn: str | None) -> Resource | None:
        return self._by_urn.get(urn) if urn else None

    @property
    def types(self) -> Iterable[str]:
        return self._by_type.keys()

    def memo(self, key: str, compute: Any) -> Any:
        """Cache a derived index for the duration of one evaluation."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def provider_of(self, resource: Resource) -> Mapping[str, Any]:
        if not resource.provider:
            return {}
        if resource.provider in self.provider_props:
            return self.provider_props[resource.provider]
        found = self._by_urn.get(resource.provider)
        return found.props if found else {}

    # -- targets ------------------------------------------------------------------------
    def target_of(self, resource: Resource) -> str | None:
        """Name of the target a resource belongs to.

        Walks the parent chain to the ``llm-fleet:<kind>:Target`` component; when the chain
        is not available (a lone resource under CrossGuard), falls back to the naming
        convention that every resource name starts with its target's name.
        """
        if resource.urn in self._target_cache:
            return self._target_cache[resource.urn]
        found: str | None = None
        current: Resource | None = resource
        seen = 0
        while current is not None and seen < 64:
            if current.type in TARGET_TYPES:
                found = current.name
                break
            current = self._by_urn.get(current.parent) if current.parent else None
            seen += 1
        if found is None:
            names = sorted(self.settings.target_names, key=len, reverse=True)
            found = next((n for n in names if resource.name == n or resource.name.startswith(n + "-")), None)
        self._target_cache[resource.urn] = found
        return found

    def target_kind_of(self, resource: Resource) -> str | None:
        kind = self.settings.target_kind(self.target_of(resource))
        if kind:
            return kind
        for target_type in TARGET_TYPES:
            if f"::{target_type}$" in resource.urn or f"::{target_type}::" in resource.urn:
                return target_type.split(":")[1]
        return None

    def cluster_key(self, resource: Resource) -> str:
        """Which Kubernetes cluster a Kubernetes resource goes to: its provider (else its target)."""
        return resource.provider or f"target:{self.target_of(resource)}"
