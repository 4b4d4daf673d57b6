"""Render every Kubernetes object of a Plan as YAML: ``llmfleet render STACK --out DIR``.

Layout: ``DIR/<target>/<namespace or _cluster>/<kind>-<name>.yaml``, one object per file,
file names derived from the object alone (stable across runs). Helm releases are written as
their release object (chart, version, repository, values); secret values never appear:
Secret data is ``"[secret]"`` under each key. Nothing is read from a cluster.

Targets are folders of their own; stack-wide objects (none today) would go to ``_stack``.
The folder records what it holds (``.llmfleet-render.json``): a new render removes the files
of the previous one, so objects that left the stack leave the folder, and a folder holding
files llmfleet did not write is refused (infra.outputs).
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from infra.outputs import write_tree
from infra.plan.model import SECRET, Plan, PlanResource
from infra.workloads.meta import SECRET_KEYS_ANNOTATION

KUBERNETES_PREFIX = "kubernetes:"
HELM_RELEASE_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Release")
HELM_RELEASE_API_VERSION = "helm.sh/v3"
CLUSTER_SCOPE = "_cluster"
STACK_FOLDER = "_stack"
TOP_LEVEL_ORDER = ("apiVersion", "kind", "metadata")


def kubernetes_objects(plan: Plan) -> list[tuple[str, PlanResource, dict[str, Any]]]:
    """(target folder, resource, manifest) of every Kubernetes object of the plan, in file order."""
    out = []
    for resource in plan.resources:
        if not resource.type.startswith(KUBERNETES_PREFIX) or not resource.custom:
            continue
        target = plan.target_of(resource) or STACK_FOLDER
        out.append((target, resource, to_manifest(resource)))
    out.sort(key=lambda item: (item[0], relative_path(item[2]).as_posix(), item[1].urn))
    return out


def render_plan(plan: Plan, out_dir: Path) -> list[Path]:
    """Write the manifests into ``out_dir`` (see infra.outputs.write_tree); returns the files written, sorted."""
    return write_tree(Path(out_dir), render_files(plan), source=f"stack {plan.stack}")


def render_files(plan: Plan) -> dict[PurePosixPath, str]:
    """Relative path -> YAML text of every Kubernetes object of the plan."""
    files: dict[PurePosixPath, str] = {}
    for target, resource, manifest in kubernetes_objects(plan):
        path = PurePosixPath(target) / relative_path(manifest).as_posix()
        if path in files:  # two objects with one kind/namespace/name: keep both, by Pulumi name
            path = path.with_name(f"{path.stem}--{_slug(resource.name)}.yaml")
        header = f"# {resource.type} {resource.name}\n# urn: {resource.urn}\n"
        files[path] = header + dump_yaml(manifest)
    return files


def to_manifest(resource: PlanResource) -> dict[str, Any]:
    """The Kubernetes object a resource stands for, as YAML-ready data."""
    props = resource.props
    if resource.type in HELM_RELEASE_TYPES:
        return _release(resource)
    manifest = {k: v for k, v in props.items() if not k.startswith("__")}
    metadata = dict(manifest.get("metadata") or {})
    metadata.setdefault("name", resource.name)
    manifest["metadata"] = metadata
    if manifest.get("kind") == "Secret":
        manifest = _redact_secret(manifest)
    if manifest.get("kind") == "CustomResourceDefinition":
        manifest = _api_schema_names(manifest)
    return _ordered(manifest)


def _api_schema_names(node: Any) -> Any:
    """``x_kubernetes_*`` (pulumi-kubernetes' names) back to the API server's ``x-kubernetes-*``,
    as the provider does before it applies a CRD."""
    if isinstance(node, dict):
        return {
            (f"x-kubernetes-{k.removeprefix('x_kubernetes_').replace('_', '-')}" if k.startswith("x_kubernetes_") else k):
            _api_schema_names(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_api_schema_names(v) for v in node]
    return node


def relative_path(manifest: dict[str, Any]) -> Path:
    metadata = manifest.get("metadata") or {}
    namespace = metadata.get("namespace") or CLUSTER_SCOPE
    kind = str(manifest.get("kind", "object")).lower()
    return Path(_slug(str(namespace))) / f"{kind}-{_slug(str(metadata.get('name', 'unnamed')))}.yaml"


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=120)


# ---------------------------------------------------------------------------
# internals
# ---------------------------------------------------------------------------


def _release(resource: PlanResource) -> dict[str, Any]:
    props = resource.props
    spec: dict[str, Any] = {"chart": props.get("chart"), "version": props.get("version")}
    repository = (props.get("repositoryOpts") or {}).get("repo")
    if repository:
        spec["repository"] = repository
    for key in ("createNamespace", "skipCrds", "timeout", "atomic", "skipAwait"):
        if key in props:
            spec[key] = props[key]
    spec["values"] = props.get("values") or {}
    metadata: dict[str, Any] = {"name": props.get("name") or resource.name}
    if props.get("namespace"):
        metadata["namespace"] = props["namespace"]
    return _ordered({"apiVersion": HELM_RELEASE_API_VERSION, "kind": "Release", "metadata": metadata, "spec": spec})


def _redact_secret(manifest: dict[str, Any]) -> dict[str, Any]:
    annotations = (manifest.get("metadata") or {}).get("annotations") or {}
    declared = [k.strip() for k in str(annotations.get(SECRET_KEYS_ANNOTATION, "")).split(",") if k.strip()]
    for field in ("data", "stringData"):
        if field not in manifest:
            continue
        value = manifest[field]
        if isinstance(value, dict):
            manifest[field] = dict.fromkeys(value, SECRET)
        else:
            manifest[field] = dict.fromkeys(declared or ["redacted"], SECRET)
    return manifest


def _ordered(manifest: dict[str, Any]) -> dict[str, Any]:
    """apiVersion, kind, metadata first; everything else (and every nested map) sorted by key."""
    head = {k: _sorted(manifest[k]) for k in TOP_LEVEL_ORDER if k in manifest}
    tail = {k: _sorted(manifest[k]) for k in sorted(manifest) if k not in TOP_LEVEL_ORDER}
    return {**head, **tail}


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-") or "unnamed"


class _Dumper(yaml.SafeDumper):
    """Block style; multi-line strings (the ServingSpec JSON) as literal blocks."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str_representer)
