"""The Plan (schemaVersion 1, infra/plan/README.md): every resource with its URN, type,
parent, provider, protect flag, the URNs it depends on and its camelCase props, plus the
stack outputs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from serving.errors import LlmFleetError

SCHEMA_VERSION = 1
SECRET = "[secret]"  # noqa: S105 - the redaction placeholder, not a secret
"""What every secret value is replaced with in a Plan, a report or a rendered manifest."""


@dataclass
class PlanResource:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    provider: str | None
    protect: bool
    props: dict[str, Any]
    # URNs the engine is told this resource depends on (explicit and from inputs), sorted.
    dependencies: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "custom": self.custom,
            "parent": self.parent,
            "provider": self.provider,
            "protect": self.protect,
            "dependencies": self.dependencies,
            "props": self.props,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlanResource:
        return cls(
            urn=data["urn"],
            type=data["type"],
            name=data["name"],
            custom=bool(data.get("custom", True)),
            parent=data.get("parent"),
            provider=data.get("provider"),
            protect=bool(data.get("protect", False)),
            props=data.get("props") or {},
            dependencies=sorted(data.get("dependencies") or []),
        )


@dataclass
class Plan:
    stack: str
    config: dict[str, Any]
    resources: list[PlanResource]
    outputs: dict[str, Any] = field(default_factory=dict)
    project: str = "llm-fleet"

    # -- queries used by render, policy and the report --------------------------------
    def by_urn(self) -> dict[str, PlanResource]:
        return {r.urn: r for r in self.resources}

    def of_type(self, *types: str) -> list[PlanResource]:
        return [r for r in self.resources if r.type in types]

    def children(self, urn: str) -> list[PlanResource]:
        return [r for r in self.resources if r.parent == urn]

    def ancestors(self, resource: PlanResource) -> Iterator[PlanResource]:
        index = self.by_urn()
        parent = resource.parent
        while parent and parent in index:
            yield index[parent]
            parent = index[parent].parent

    def target_of(self, resource: PlanResource) -> str | None:
        """Name of the target component a resource belongs to (None for stack-wide ones)."""
        for ancestor in [resource, *self.ancestors(resource)]:
            if ancestor.type.endswith(":Target") and ancestor.type.startswith("llm-fleet:"):
                return ancestor.name
        return None

    # -- (de)serialisation ----------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "schemaVersion": SCHEMA_VERSION,
            "project": self.project,
            "stack": self.stack,
            "config": self.config,
            "resources": [r.to_json() for r in self.resources],
            "outputs": self.outputs,
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        version = data.get("schemaVersion")
        if version != SCHEMA_VERSION:
            raise LlmFleetError(f"schemaVersion: {version!r} is not supported; expected {SCHEMA_VERSION}")
        return cls(
            stack=data["stack"],
            config=data.get("config") or {},
            resources=[PlanResource.from_json(r) for r in data.get("resources") or []],
            outputs=data.get("outputs") or {},
            project=data.get("project", "llm-fleet"),
        )

    @classmethod
    def load(cls, path: Path) -> Plan:
        """A Plan JSON file; LlmFleetError (exit 2) naming the file for anything that is not one."""
        try:
            if path.is_dir():
                raise LlmFleetError(
                    f"{path}: is a directory; expected a Plan JSON file (llmfleet plan STACK --out FILE)"
                )
            data = json.loads(path.read_bytes().decode("utf-8"))
        except FileNotFoundError:
            raise LlmFleetError(f"{path}: no such Plan file") from None
        except UnicodeDecodeError as exc:
            raise LlmFleetError(
                f"{path}: not a Plan (byte 0x{exc.object[exc.start]:02x} at offset {exc.start} is not UTF-8 text)"
            ) from None
        except json.JSONDecodeError as exc:
            raise LlmFleetError(f"{path}: not a Plan (invalid JSON at line {exc.lineno}: {exc.msg})") from None
        except (OSError, RecursionError) as exc:
            raise LlmFleetError(f"{path}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
        problem = _shape_problem(data)
        if problem:
            raise LlmFleetError(f"{path}: not a Plan ({problem}); write one with llmfleet plan STACK --out FILE")
        plan = cls.from_json(data)
        from infra.config import ConfigError, parse_stack_config

        try:
            parse_stack_config(plan.config, plan.stack)
        except ConfigError as exc:
            raise LlmFleetError(f"{path}: its config is not a valid stack configuration ({exc.lines[0]})") from None
        return plan


def _shape_problem(data: Any) -> str | None:
    """What keeps ``data`` from being a Plan, or None."""
    if not isinstance(data, dict) or "resources" not in data or "stack" not in data:
        return "expected keys schemaVersion, stack, resources"
    if data.get("schemaVersion") != SCHEMA_VERSION:
        return f"schemaVersion {data.get('schemaVersion')!r} is not supported; expected {SCHEMA_VERSION}"
    if not isinstance(data["stack"], str):
        return "stack: expected a string"
    for key in ("config", "outputs"):
        if not isinstance(data.get(key) or {}, dict):
            return f"{key}: expected an object"
    if not isinstance(data["resources"], list):
        return "resources: expected a list"
    for index, resource in enumerate(data["resources"]):
        if not isinstance(resource, dict):
            return f"resources[{index}]: expected an object"
        for key in ("urn", "type", "name"):
            if not isinstance(resource.get(key), str):
                return f"resources[{index}].{key}: expected a string"
        for key in ("parent", "provider"):
            if not isinstance(resource.get(key), str | None):
                return f"resources[{index}].{key}: expected a string or null"
        if not isinstance(resource.get("props") or {}, dict):
            return f"resources[{index}].props: expected an object"
    return None
