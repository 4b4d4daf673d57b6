"""Read ``Pulumi.<stack>.yaml`` offline, the way the Pulumi engine hands config to a program.

Keys under the project namespace (``llm-fleet:``) that hold plain values are the stack
configuration; keys holding ``secure:`` values are secrets, which the offline plan never
decrypts. Keys of other namespaces (``aws:``, ``gcp:``, ...) are provider settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from infra.config import PROJECT, ConfigError, StackConfig, parse_stack_config
from serving.errors import LlmFleetError

STACK_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


@dataclass(frozen=True)
class StackFile:
    stack: str
    path: Path
    values: dict[str, Any]
    """Plain ``llm-fleet:`` keys, namespace stripped."""
    secure_keys: frozenset[str]
    """``llm-fleet:`` keys whose values are Pulumi secrets (never decrypted offline)."""
    provider_config: dict[str, Any] = field(default_factory=dict)
    """Keys of other namespaces, e.g. ``aws:region``."""

    def parse(self) -> StackConfig:
        return parse_stack_config(self.values, self.stack)


def find_project_dir(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` holding Pulumi.yaml."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    raise LlmFleetError(f"no Pulumi.yaml in {here} or any parent directory; run llmfleet inside the project")


def available_stacks(project_dir: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def load_stack_file(stack: str, project_dir: Path | None = None) -> StackFile:
    """Load and split a stack file; raises LlmFleetError naming the file on any problem."""
    import re

    if not re.match(STACK_NAME, stack):
        raise LlmFleetError(f"stack name '{stack}' is not allowed; use letters, digits, '-', '_' and '.'")
    root = find_project_dir(project_dir)
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = available_stacks(root)
        raise LlmFleetError(f"stack '{stack}': {path.name} not found; available stacks: {', '.join(known) or 'none'}")
    return parse_stack_text(stack, path, path.read_text(encoding="utf-8"))


def parse_stack_text(stack: str, path: Path, text: str) -> StackFile:
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise LlmFleetError(f"{path.name}:{where}: {problem}") from None
    if not isinstance(document, dict):
        raise ConfigError(stack, [f"{path.name}: expected a mapping at the top level"])
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError(stack, ["config: expected a mapping of 'namespace:key' to values"])
    values: dict[str, Any] = {}
    secure: set[str] = set()
    providers: dict[str, Any] = {}
    prefix = f"{PROJECT}:"
    for key, value in config.items():
        key = str(key)
        if ":" not in key:
            # Pulumi puts un-namespaced keys into the project namespace.
            key = prefix + key
        if not key.startswith(prefix):
            providers[key] = value
            continue
        name = key[len(prefix) :]
        if isinstance(value, dict) and set(value) == {"secure"}:
            secure.add(name)
        else:
            values[name] = value
    return StackFile(stack, path, values, frozenset(secure), providers)
