"""Reading resource props: dotted paths, lists, pod templates, images, quantities.

Every helper works on any ``Mapping``/``Sequence`` (plain dicts from a Plan or the policy
SDK's proxies), never on ``dict``/``list`` alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

MISSING: Any = object()


def is_map(value: Any) -> bool:
    kind = type(value)
    if kind is dict:
        return True
    if kind in _SCALARS or kind is list:
        return False
    return isinstance(value, Mapping)


def is_list(value: Any) -> bool:
    kind = type(value)
    if kind is list:
        return True
    if kind in _SCALARS or kind is dict:
        return False
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


_SCALARS = frozenset({str, int, float, bool, type(None), bytes})


def get(obj: Any, path: str | Sequence[str], default: Any = None) -> Any:
    """``get(props, "vpcConfig.endpointPublicAccess")``; a tuple path allows keys with dots."""
    keys = path.split(".") if isinstance(path, str) else path
    current = obj
    for key in keys:
        if not is_map(current) or key not in current:
            return default
        current = current[key]
        if current is None:
            return default
    return current


def plain(value: Any) -> Any:
    """A props subtree as plain dicts and lists (reading every value: an unknown one raises)."""
    if is_map(value):
        return {str(k): plain(value[k]) for k in value}
    if is_list(value):
        return [plain(v) for v in value]
    return value


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if is_list(value):
        return list(value)
    return [value]


def as_map(value: Any) -> Mapping[str, Any]:
    return value if is_map(value) else {}


def number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def fmt(value: Any) -> str:
    """A value as it appears in a finding message."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return repr(value)
    if is_list(value):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    if is_map(value):
        return "{" + ", ".join(f"{k}: {fmt(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------------------
# Kubernetes
# ---------------------------------------------------------------------------

WORKLOAD_TEMPLATE_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "kubernetes:core/v1:Pod": (("spec",),),
    "kubernetes:apps/v1:Deployment": (("spec", "template", "spec"),),
    "kubernetes:apps/v1:StatefulSet": (("spec", "template", "spec"),),
    "kubernetes:apps/v1:DaemonSet": (("spec", "template", "spec"),),
    "kubernetes:apps/v1:ReplicaSet": (("spec", "template", "spec"),),
    "kubernetes:core/v1:ReplicationController": (("spec", "template", "spec"),),
    "kubernetes:batch/v1:Job": (("spec", "template", "spec"),),
    "kubernetes:batch/v1:CronJob": (("spec", "jobTemplate", "spec", "template", "spec"),),
    "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet": (
        ("spec", "leaderWorkerTemplate", "leaderTemplate", "spec"),
        ("spec", "leaderWorkerTemplate", "workerTemplate", "spec"),
    ),
}
"""Where the pod spec sits in each workload kind. Other custom resources are searched."""

CORE_WORKLOAD_TYPES = tuple(WORKLOAD_TEMPLATE_PATHS)
JOB_TYPES = ("kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob")
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")

# API groups that are Kubernetes' own: a type outside them is a custom resource.
_BUILTIN_GROUPS = re.compile(
    r"^kubernetes:(core|apps|batch|policy|rbac\.authorization\.k8s\.io|networking\.k8s\.io|storage\.k8s\.io|"
    r"admissionregistration\.k8s\.io|apiextensions\.k8s\.io|autoscaling|coordination\.k8s\.io|discovery\.k8s\.io|"
    r"scheduling\.k8s\.io|node\.k8s\.io|certificates\.k8s\.io|flowcontrol\.apiserver\.k8s\.io|events\.k8s\.io|"
    r"helm\.sh|yaml|kustomize|meta)/"
)


def is_kubernetes(type_: str) -> bool:
    return type_.startswith("kubernetes:")


def is_custom_resource(type_: str) -> bool:
    return is_kubernetes(type_) and not _BUILTIN_GROUPS.match(type_)


def pod_specs(type_: str, props: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(path, pod spec) of every pod template in a workload or custom resource."""
    paths = WORKLOAD_TEMPLATE_PATHS.get(type_)
    if paths is not None:
        found = []
        for path in paths:
            spec = get(props, path)
            if is_map(spec):
                found.append((".".join(path), spec))
        return found
    if is_custom_resource(type_):
        return list(_search_pod_specs(props.get("spec") if is_map(props) else None, "spec"))
    return []


def _search_pod_specs(node: Any, path: str, depth: int = 0) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if depth > 12:
        return
    if is_map(node):
        containers = node.get("containers")
        if is_list(containers) and containers and all(is_map(c) and "image" in c for c in containers):
            yield path, node
            return
        for key in node:
            yield from _search_pod_specs(node[key], f"{path}.{key}", depth + 1)
    elif is_list(node):
        for index, item in enumerate(node):
            yield from _search_pod_specs(item, f"{path}[{index}]", depth + 1)


def containers(
    pod_spec: Mapping[str, Any], lists: Sequence[str] = CONTAINER_LISTS
) -> list[tuple[str, Mapping[str, Any]]]:
    """(kind, container) for every container of a pod spec; kind is the list it sits in."""
    out = []
    for kind in lists:
        for container in as_list(pod_spec.get(kind)):
            if is_map(container):
                out.append((kind, container))
    return out


def container_label(kind: str, container: Mapping[str, Any]) -> str:
    prefix = {"initContainers": "init container", "ephemeralContainers": "ephemeral container"}.get(kind, "container")
    return f"{prefix} '{container.get('name', '?')}'"


def effective(container: Mapping[str, Any], pod_spec: Mapping[str, Any], key: str) -> Any:
    """A securityContext field as Kubernetes applies it: the container's, else the pod's."""
    value = get(container, ("securityContext", key))
    if value is None:
        value = get(pod_spec, ("securityContext", key))
    return value


def gpu_request(container: Mapping[str, Any]) -> float:
    for section in ("limits", "requests"):
        value = number(get(container, ("resources", section, "nvidia.com/gpu")))
        if value:
            return value
    return 0.0


def labels_of(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return as_map(get(props, "metadata.labels"))


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """A LabelSelector (matchLabels + matchExpressions) against labels. Empty selects all."""
    for key, value in as_map(selector.get("matchLabels")).items():
        if labels.get(key) != value:
            return False
    for expr in as_list(selector.get("matchExpressions")):
        key, op, values = expr.get("key"), expr.get("operator"), as_list(expr.get("values"))
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def is_empty_selector(selector: Any) -> bool:
    return not as_map(selector).get("matchLabels") and not as_map(selector).get("matchExpressions")


DIGEST_RE = re.compile(r"@sha256:[0-9a-f]{64}$")


def image_pinned(image: str) -> bool:
    return bool(DIGEST_RE.search(image))


_QUANTITY_RE = re.compile(r"^([0-9.]+)([a-zA-Z]*)$")
_SUFFIX = {
    "": 1,
    "m": 1e-3,
    "k": 1e3,
    "K": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
}


def quantity(value: Any) -> float | None:
    """A Kubernetes quantity ('500m', '16Gi', 4) as a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        match = _QUANTITY_RE.match(value.strip())
        if match and match.group(2) in _SUFFIX:
            try:
                return float(match.group(1)) * _SUFFIX[match.group(2)]
            except ValueError:
                return None
    return None


# ---------------------------------------------------------------------------
# Tags, labels, IAM
# ---------------------------------------------------------------------------

PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")


def iam_members(props: Mapping[str, Any]) -> list[str]:
    """Members of a GCP IAM member/binding resource (``member`` or ``members``)."""
    out = [str(m) for m in as_list(props.get("members"))]
    if props.get("member"):
        out.append(str(props["member"]))
    return out


def policy_document(value: Any) -> Mapping[str, Any] | None:
    """An IAM/KMS policy given as a JSON string or a mapping."""
    import json

    if is_map(value):
        return value
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            doc = json.loads(value)
        except json.JSONDecodeError:
            return None
        return doc if isinstance(doc, dict) else None
    return None


def statements(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in as_list(doc.get("Statement")) if is_map(s)]


def principal_is_public(principal: Any) -> bool:
    if principal == "*":
        return True
    if is_map(principal):
        for value in principal.values():
            if any(v == "*" for v in as_list(value)):
                return True
    return False
