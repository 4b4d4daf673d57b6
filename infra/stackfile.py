"""Read ``Pulumi.<stack>.yaml`` offline, the way the Pulumi engine hands config to a program.

Keys under the project namespace (``llm-fleet:``) that hold plain values are the stack
configuration; keys holding ``secure:`` values are secrets, which the offline plan never
decrypts. Keys of other namespaces (``aws:``, ``gcp:``, ...) are provider settings.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.config import PROJECT, StackConfig, parse_stack_config
from infra.yamlfile import load_yaml_text, read_yaml_file
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
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml") if p.is_file())


def load_stack_file(stack: str, project_dir: Path | None = None) -> StackFile:
    """Load and split a stack file; raises LlmFleetError naming the file on any problem."""
    import re

    file_name = re.fullmatch(r"(?:.*/)?Pulumi\.(.+)\.ya?ml", stack)
    if file_name:
        raise LlmFleetError(f"stack '{stack}' is a file name; give the stack name: {file_name.group(1)}")
    if not re.match(STACK_NAME, stack):
        raise LlmFleetError(f"stack name '{stack}' is not allowed; use letters, digits, '-', '_' and '.'")
    root = find_project_dir(project_dir)
    path = root / f"Pulumi.{stack}.yaml"
    if path.exists() and not path.is_file():
        raise LlmFleetError(f"stack '{stack}': {path.name} is not a file (a directory?); a stack file is YAML")
    if not path.is_file():
        known = available_stacks(root)
        raise LlmFleetError(f"stack '{stack}': {path.name} not found; available stacks: {', '.join(known) or 'none'}")
    return split_stack_document(stack, path, read_yaml_file(path))


def parse_stack_text(stack: str, path: Path, text: str) -> StackFile:
    return split_stack_document(stack, path, load_yaml_text(text, path.name))


def split_stack_document(stack: str, path: Path, document: Any) -> StackFile:
    """Split a parsed stack file into project values, secure keys and provider settings."""
    document = {} if document is None else document
    if not isinstance(document, dict):
        raise LlmFleetError(f"{path.name}: expected a mapping at the top level (config: ...), got {_kind(document)}")
    _check_top_level(path.name, document)
    config = document.get("config")
    if not config:
        raise LlmFleetError(
            f"{path.name}: no settings under 'config:'; a stack needs at least "
            f"{', '.join(f'{PROJECT}:{key}' for key in REQUIRED_KEYS)} (docs/configuration.md lists every key)"
        )
    if not isinstance(config, dict):
        raise LlmFleetError(
            f"{path.name}: config: expected a mapping of 'namespace:key' to values, got {_kind(config)}"
        )
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
            _check_namespace(path.name, key)
            providers[key] = value
            continue
        name = key[len(prefix) :]
        if isinstance(value, dict) and set(value) == {"secure"}:
            secure.add(name)
        else:
            values[name] = value
    return StackFile(stack, path, values, frozenset(secure), providers)


REQUIRED_KEYS = [(f.alias or name) for name, f in StackConfig.model_fields.items() if f.is_required()]
# Top-level keys of a Pulumi stack file (Pulumi's ProjectStack).
STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")
# Config namespaces this program reads: its own and those of the providers it uses.
NAMESPACES = (PROJECT, "pulumi", "aws", "gcp", "kubernetes", "random", "tls", "docker-build")


def _check_top_level(filename: str, document: dict[Any, Any]) -> None:
    keys = [str(k) for k in document]
    namespaced = [k for k in keys if ":" in k]
    if namespaced and "config" not in document:
        more = f" and {len(namespaced) - 1} more" if len(namespaced) > 1 else ""
        raise LlmFleetError(
            f"{filename}: '{namespaced[0]}'{more} sit at the top level; stack settings go under 'config:' "
            "(add a line 'config:' and indent them below it)"
        )
    for key in keys:
        if key not in STACK_FILE_KEYS:
            hint = difflib.get_close_matches(key, STACK_FILE_KEYS, n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            raise LlmFleetError(
                f"{filename}: unknown top-level key '{key}'{suggestion} (allowed: {', '.join(STACK_FILE_KEYS)})"
            )


def _check_namespace(filename: str, key: str) -> None:
    namespace, _, name = key.partition(":")
    if namespace in NAMESPACES:
        return
    hint = difflib.get_close_matches(namespace, NAMESPACES, n=1, cutoff=0.6)
    suggestion = f"; did you mean '{hint[0]}:{name}'?" if hint else ""
    raise LlmFleetError(
        f"{filename}: config: '{key}': namespace '{namespace}' is not read by this program{suggestion} "
        f"(namespaces: {', '.join(NAMESPACES)})"
    )


def _kind(value: Any) -> str:
    for kind, text in (
        (bool, "a boolean"),
        (int, "a number"),
        (float, "a number"),
        (str, "a string"),
        (list, "a list"),
    ):
        if isinstance(value, kind):
            return text
    return type(value).__name__
