"""Shared pieces of rule logic (not a rule: modules starting with '_' are skipped)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from policy.context import PlanContext, Resource
from policy.props import as_list, as_map, get, is_list, is_map
from policy.rules._load_balancers import AWS_LOAD_BALANCER_TYPES


def resource_names(resource: Resource, *name_props: str) -> set[str]:
    """Every name a resource may be referred to by: its name props and its Pulumi name."""
    names = {resource.name}
    for prop in name_props:
        value = get(resource.props, prop)
        if isinstance(value, str) and value:
            names.add(value)
    return names


def refers_to(value: Any, names: Iterable[str]) -> bool:
    """Does a reference (a name, an id, an ARN or a self link) point at one of ``names``?

    Real values are the name itself (S3 bucket ids), ``.../loadbalancer/app/<name>/<id>``
    (ARNs) or ``projects/p/global/urlMaps/<name>`` (self links); offline mock ids are
    ``<name>-<hash>``. A path segment equal to the name, or the mock form, counts.
    """
    if not isinstance(value, str) or not value:
        return False
    segments = re.split(r"[/:]", value)
    for name in names:
        if not name:
            continue
        if value == name or name in segments:
            return True
        if re.fullmatch(re.escape(name) + r"-[0-9a-f]{8}", value):
            return True
    return False


def tags_of(resource: Resource, ctx: PlanContext, key: str = "tags") -> Mapping[str, Any]:
    """Tags (AWS) or labels (GCP) of a resource, including the provider's defaults."""
    merged: dict[str, Any] = {}
    provider = ctx.provider_of(resource)
    if resource.type.startswith("aws:"):
        merged.update(as_map(get(_decoded(get(provider, "defaultTags")), "tags")))
    elif resource.type.startswith("gcp:"):
        merged.update(as_map(_decoded(get(provider, "defaultLabels"))))
    own = get(resource.props, key)
    if is_map(own):
        merged.update(own)
    return merged


def _decoded(value: Any) -> Any:
    """Provider inputs reach the engine as strings, objects JSON-encoded: decode those."""
    if isinstance(value, str) and value.strip().startswith("{"):
        import json

        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def cidrs_open(values: Any) -> list[str]:
    """The internet, if a list of CIDRs covers it: ``['0.0.0.0/0']``, or for a list whose union
    is the whole IPv4 or IPv6 space (``0.0.0.0/1`` + ``128.0.0.0/1``) one joined entry. Empty if not."""
    items = tuple(str(v).strip() for v in as_list(values) if isinstance(v, str) and v.strip())
    return list(_internet(items)) if items else []


@functools.lru_cache(maxsize=4096)
def _internet(items: tuple[str, ...]) -> tuple[str, ...]:
    import ipaddress

    nets: dict[int, list[Any]] = {4: [], 6: []}
    members: dict[int, list[str]] = {4: [], 6: []}
    for item in items:
        try:
            net = ipaddress.ip_network(item, strict=False)
        except ValueError:
            continue
        if net.prefixlen == 0:
            return (item,)
        nets[net.version].append(net)
        members[net.version].append(item)
    for version, full in ((4, "0.0.0.0/0"), (6, "::/0")):
        if nets[version] and [str(n) for n in ipaddress.collapse_addresses(nets[version])] == [full]:
            return (" + ".join(members[version]),)
    return ()


def environment_is_dev(ctx: PlanContext) -> bool:
    return ctx.settings.environment == "dev"


# ---------------------------------------------------------------------------
# S3 buckets and their companion resources (pulumi-aws 7 splits a bucket's settings
# into separate resources, joined here by the bucket name they name).
# ---------------------------------------------------------------------------

S3_BUCKET = "aws:s3/bucket:Bucket"


def s3_companions(ctx: PlanContext, companion_type: str) -> dict[str, list[Resource]]:
    """Companion resources of each S3 bucket, keyed by bucket URN."""

    def build() -> dict[str, list[Resource]]:
        out: dict[str, list[Resource]] = {}
        buckets = [(b, resource_names(b, "bucket")) for b in ctx.of_type(S3_BUCKET)]
        for companion in ctx.of_type(companion_type):
            ref = get(companion.props, "bucket")
            for bucket, names in buckets:
                if refers_to(ref, names):
                    out.setdefault(bucket.urn, []).append(companion)
                    break
        return out

    return ctx.memo(f"s3:{companion_type}", build)


def s3_log_targets(ctx: PlanContext) -> set[str]:
    """URNs of buckets that receive other buckets' server access logs (or ALB access logs)."""

    def build() -> set[str]:
        refs = [get(r.props, "targetBucket") for r in ctx.of_type("aws:s3/bucketLogging:BucketLogging")]
        refs += [get(r.props, "accessLogs.bucket") for r in ctx.of_type(*AWS_LOAD_BALANCER_TYPES)]
        out = set()
        for bucket in ctx.of_type(S3_BUCKET):
            names = resource_names(bucket, "bucket")
            if any(refers_to(ref, names) for ref in refs):
                out.add(bucket.urn)
        return out

    return ctx.memo("s3:log-targets", build)


# ---------------------------------------------------------------------------
# Kubernetes workloads: every pod template, in built-in kinds and custom resources
# ---------------------------------------------------------------------------

from policy.props import (  # noqa: E402
    CORE_WORKLOAD_TYPES,
    container_label,
    containers,
    is_custom_resource,
    pod_specs,
)

WORKLOAD_TYPES = (*CORE_WORKLOAD_TYPES, "kubernetes:*")
"""Rule types for pod-template rules: the built-in workload kinds plus every custom resource."""


def is_workload(resource: Resource) -> bool:
    return resource.type in CORE_WORKLOAD_TYPES or is_custom_resource(resource.type)


def workload_containers(
    resource: Resource, lists: tuple[str, ...] = ("initContainers", "containers", "ephemeralContainers")
):
    """(where, pod_spec, kind, container) for every container of every pod template."""
    for path, spec in workload_pods(resource):
        for kind, container in containers(spec, lists):
            yield f"{path}: {container_label(kind, container)}", spec, kind, container


def workload_pods(resource: Resource) -> list:
    """(path, pod_spec) for every pod template of a workload (computed once per resource)."""
    cached = resource.cache.get("pods")
    if cached is None:
        cached = pod_specs(resource.type, resource.props) if is_workload(resource) else []
        resource.cache["pods"] = cached
    return cached


# ---------------------------------------------------------------------------
# GPU pools: which config pool a capacity resource implements
# ---------------------------------------------------------------------------

POOL_LABEL = "llm-fleet.dev/gpu-pool"
KARPENTER_NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
GKE_NODE_POOL = "gcp:container/nodePool:NodePool"


def pool_label(resource: Resource) -> str | None:
    """The ``llm-fleet.dev/gpu-pool`` label a capacity resource puts on its nodes."""
    props = resource.props
    if resource.type == KARPENTER_NODE_POOL:
        labels = get(props, "spec.template.metadata.labels")
    elif resource.type == EKS_NODE_GROUP:
        labels = get(props, "labels")
    elif resource.type == GKE_NODE_POOL:
        labels = get(props, "nodeConfig.labels")
    else:
        labels = None
    value = get(labels, (POOL_LABEL,)) if is_map(labels) else None
    return str(value) if value else None


def config_pool(resource: Resource, ctx: PlanContext) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    """(target, pool) of the stack config that a capacity resource implements, if known."""
    label = pool_label(resource)
    if not label:
        return None
    target = ctx.settings.target(ctx.target_of(resource))
    candidates = [target] if target else ctx.settings.targets
    for tgt in candidates:
        for pool in ctx.settings.pools(tgt):
            if pool.get("name") == label:
                return tgt, pool
    return None


def pool_gpus_per_node(target: Mapping[str, Any], pool: Mapping[str, Any]) -> int | None:
    """GPUs per node of a config pool: explicit on-prem, else from its instance types."""
    if pool.get("gpusPerNode"):
        return int(pool["gpusPerNode"])
    counts = [c for t in as_list(pool.get("instanceTypes")) if (c := instance_gpus(str(target.get("kind")), str(t)))]
    return max(counts) if counts else None


def instance_gpus(cloud: str, instance_type: str) -> int | None:
    from policy.catalog.prices import instance_price

    row = instance_price(cloud, instance_type)
    if row:
        return row.gpus
    try:
        from serving.catalog import get_instance

        return get_instance(cloud, instance_type).gpu_count
    except Exception:  # noqa: BLE001 - unknown type: the caller reports what it can
        return None


def is_gpu_capacity(resource: Resource) -> bool:
    """Does a node pool / node group / Karpenter NodePool provide GPU nodes?"""
    from policy.catalog.prices import is_gpu_instance

    props = resource.props
    if pool_label(resource):
        return True
    if resource.type == KARPENTER_NODE_POOL:
        if any(get(t, "key") == "nvidia.com/gpu" for t in as_list(get(props, "spec.template.spec.taints"))):
            return True
        narrowed = False
        for req in as_list(get(props, "spec.template.spec.requirements")):
            key = str(get(req, "key") or "")
            values = [str(v) for v in as_list(get(req, "values"))]
            operator = str(get(req, "operator") or "")
            if key.startswith("karpenter.k8s.aws/instance-gpu"):
                return True
            if key == "node.kubernetes.io/instance-type" and operator == "In":
                if any(is_gpu_instance("aws", v) for v in values):
                    return True
                narrowed = True
            if key in ("karpenter.k8s.aws/instance-family", "karpenter.k8s.aws/instance-category") and operator == "In":
                if any(re.match(r"^(g|p|gr)(\d|$)", v) for v in values):
                    return True
                narrowed = True
        # No instance-type, family or category restriction: Karpenter launches GPU instances for GPU pods.
        return not narrowed
    if resource.type == EKS_NODE_GROUP:
        if any(get(t, "key") == "nvidia.com/gpu" for t in as_list(get(props, "taints"))):
            return True
        return any(is_gpu_instance("aws", str(t)) for t in as_list(get(props, "instanceTypes")))
    if resource.type == GKE_NODE_POOL:
        return bool(as_list(get(props, "nodeConfig.guestAccelerators"))) or is_gpu_instance(
            "gcp", str(get(props, "nodeConfig.machineType") or "")
        )
    return False


def karpenter_requirement(resource: Resource, key: str) -> list[str] | None:
    """Values of an ``In`` requirement of a Karpenter NodePool (None when absent)."""
    for req in as_list(get(resource.props, "spec.template.spec.requirements")):
        if get(req, "key") == key and get(req, "operator") == "In":
            return [str(v) for v in as_list(get(req, "values"))]
    return None


# ---------------------------------------------------------------------------
# Secrets in plain text
# ---------------------------------------------------------------------------

SECRET_VALUE = re.compile(
    r"(hf_[A-Za-z0-9]{30,}"  # Hugging Face token
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}"  # AWS access key id
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{40,}"
    r"|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|sk-[A-Za-z0-9_-]{32,}"
    r"|AIza[0-9A-Za-z_-]{35}"
    r'|"private_key":\s*"-----BEGIN)'
)
SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.IGNORECASE)
NOT_A_SECRET_NAME = re.compile(r"(_PATH|_FILE|_DIR|_NAME|_ENABLED|_HEADER|_URL|_ID|_REF)$", re.IGNORECASE)
PLACEHOLDERS = ("", "[secret]", "[unknown]", "true", "false")


def looks_secret(value: Any) -> bool:
    return isinstance(value, str) and bool(SECRET_VALUE.search(value))


def secret_by_name(name: str, value: Any) -> bool:
    """A literal value under a secret-like name (not a path, flag or reference)."""
    if not isinstance(value, str) or value in PLACEHOLDERS or value.startswith(("/", "$(")):
        return False
    return bool(SECRET_NAME.search(name)) and not NOT_A_SECRET_NAME.search(name)


def walk_strings(node: Any, path: str = ""):
    """(path, value) of every string inside a props tree."""
    if is_map(node):
        for key in node:
            yield from walk_strings(node[key], f"{path}.{key}" if path else str(key))
    elif is_list(node):
        for index, item in enumerate(as_list(node)):
            yield from walk_strings(item, f"{path}[{index}]")
    elif isinstance(node, str):
        yield path, node


# ---------------------------------------------------------------------------
# Gateway API edge: Gateways, the HTTPRoutes attached to them, the policies on both
# ---------------------------------------------------------------------------

GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
AI_GATEWAY_ROUTE = "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute"
"""Envoy AI Gateway generates an HTTPRoute of the same name and namespace from each: policies
target it as an HTTPRoute, and every edge rule treats it as one."""
ROUTE_TYPES = (HTTP_ROUTE, AI_GATEWAY_ROUTE)
EG = "kubernetes:gateway.envoyproxy.io/v1alpha1:"


def _ns(resource: Resource) -> str | None:
    return get(resource.props, "metadata.namespace")


def object_name(resource: Resource) -> str:
    return str(get(resource.props, "metadata.name") or resource.name)


def routes_of(ctx: PlanContext, gateway: Resource) -> list[tuple[Resource, str | None]]:
    """(HTTPRoute, sectionName) attached to a Gateway."""
    key = ctx.cluster_key(gateway)
    name, namespace = object_name(gateway), _ns(gateway)
    out = []
    for route in ctx.of_type(*ROUTE_TYPES):
        if ctx.cluster_key(route) != key:
            continue
        for parent in as_list(get(route.props, "spec.parentRefs")):
            if get(parent, "kind", "Gateway") != "Gateway" or get(parent, "name") != name:
                continue
            if (get(parent, "namespace") or _ns(route)) != namespace:
                continue
            out.append((route, get(parent, "sectionName")))
    return out


def redirect_only(route: Resource) -> bool:
    rules = as_list(get(route.props, "spec.rules"))
    return bool(rules) and all(
        any(
            get(f, "type") == "RequestRedirect" and get(f, "requestRedirect.scheme") == "https"
            for f in as_list(get(r, "filters"))
        )
        and not as_list(get(r, "backendRefs"))
        for r in rules
    )


def serves_api(route: Resource) -> bool:
    """Does a route send inference traffic (a /v1 path, or every path) to a backend?"""
    if redirect_only(route):
        return False
    for rule in as_list(get(route.props, "spec.rules")):
        matches = as_list(get(rule, "matches"))
        if not matches:
            return True
        for match in matches:
            value = str(get(match, "path.value") or "/")
            if value == "/" or "/v1" in value:
                return True
    return False


def policies_targeting(ctx: PlanContext, kind: str, resource: Resource, target_kind: str) -> list[Resource]:
    """Envoy Gateway policies of ``kind`` whose targetRefs name ``resource`` (same cluster and namespace)."""
    name, namespace, key = object_name(resource), _ns(resource), ctx.cluster_key(resource)
    out = []
    for policy in ctx.of_type(EG + kind):
        if ctx.cluster_key(policy) != key or _ns(policy) != namespace:
            continue
        refs = as_list(get(policy.props, "spec.targetRefs")) + as_list(get(policy.props, "spec.targetRef"))
        if any(get(r, "kind") == target_kind and get(r, "name") == name for r in refs):
            out.append(policy)
    return out


def edge_coverage(ctx: PlanContext, kind: str, has_feature) -> list[tuple[Resource, str]]:
    """(resource, message) for every API route of every Gateway not covered by a policy of
    ``kind`` satisfying ``has_feature`` (on the route or on its Gateway)."""
    gaps = []
    for gateway in ctx.of_type(GATEWAY):
        on_gateway = [p for p in policies_targeting(ctx, kind, gateway, "Gateway") if has_feature(p)]
        if on_gateway:
            continue
        for route, _ in routes_of(ctx, gateway):
            if not serves_api(route):
                continue
            if not any(has_feature(p) for p in policies_targeting(ctx, kind, route, "HTTPRoute")):
                gaps.append((route, f"HTTPRoute '{object_name(route)}' on Gateway '{object_name(gateway)}'"))
    return gaps


def listener_admits(ctx: PlanContext, gateway: Resource, listener: Mapping[str, Any], route: Resource) -> bool:
    """Does a Gateway listener admit an HTTPRoute (its allowedRoutes namespaces and kinds)?"""
    kinds = [get(k, "kind") for k in as_list(get(listener, "allowedRoutes.kinds"))]
    if kinds and "HTTPRoute" not in kinds:
        return False
    source = get(listener, "allowedRoutes.namespaces.from", "Same")
    route_ns = _ns(route)
    if source == "All":
        return True
    if source == "Same":
        return route_ns == _ns(gateway)
    if source == "Selector":
        selector = get(listener, "allowedRoutes.namespaces.selector") or {}
        for namespace in ctx.of_type("kubernetes:core/v1:Namespace"):
            if ctx.cluster_key(namespace) == ctx.cluster_key(route) and object_name(namespace) == route_ns:
                from policy.props import labels_of, selector_matches

                labels = dict(labels_of(namespace.props))
                labels.setdefault("kubernetes.io/metadata.name", route_ns)
                return selector_matches(selector, labels)
        return True  # namespace not declared here: assume admitted (the stricter reading)
    return True


# ---------------------------------------------------------------------------
# GPU machines outside node pools: instances, auto scaling groups, managed instance groups
# ---------------------------------------------------------------------------

EC2_INSTANCE = "aws:ec2/instance:Instance"
AUTOSCALING_GROUP = "aws:autoscaling/group:Group"
GCE_INSTANCE = "gcp:compute/instance:Instance"
GCE_MIGS = (
    "gcp:compute/instanceGroupManager:InstanceGroupManager",
    "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager",
)
GPU_MACHINE_TYPES = (EC2_INSTANCE, AUTOSCALING_GROUP, GCE_INSTANCE, *GCE_MIGS)


def _machine(value: Any) -> str:
    return str(value or "").rsplit("/", 1)[-1]


def _template(ctx: PlanContext, ref: Any, type_: str) -> Resource | None:
    for template in ctx.of_type(type_):
        if refers_to(ref, resource_names(template, "name")):
            return template
    return None


def gpu_machines(ctx: PlanContext, resource: Resource) -> tuple[str, list[str], float | None] | None:
    """(cloud, machine types, maximum machines) of a GPU instance, auto scaling group or managed
    instance group; None when it runs no GPUs. The maximum is None when nothing bounds it."""
    from policy.catalog.prices import is_gpu_instance

    props = resource.props
    if resource.type == EC2_INSTANCE:
        cloud, types, count = "aws", [_machine(get(props, "instanceType"))], 1.0
    elif resource.type == GCE_INSTANCE:
        cloud, types, count = "gcp", [_machine(get(props, "machineType"))], 1.0
        if as_list(get(props, "guestAccelerators")):
            return cloud, types, count
    elif resource.type == AUTOSCALING_GROUP:
        cloud = "aws"
        types = [
            _machine(get(o, "instanceType"))
            for o in as_list(get(props, "mixedInstancesPolicy.launchTemplate.overrides"))
        ]
        ref = (
            get(props, "launchTemplate.id")
            or get(props, "launchTemplate.name")
            or get(props, "mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.launchTemplateId")
        )
        template = _template(ctx, ref, "aws:ec2/launchTemplate:LaunchTemplate") if ref else None
        if template is not None and get(template.props, "instanceType"):
            types.append(_machine(get(template.props, "instanceType")))
        max_size = get(props, "maxSize")
        count = float(max_size) if isinstance(max_size, int | float) else None
    elif resource.type in GCE_MIGS:
        cloud = "gcp"
        versions = as_list(get(props, "versions"))
        ref = get(versions[0], "instanceTemplate") if versions else get(props, "instanceTemplate")
        template = _template(ctx, ref, "gcp:compute/instanceTemplate:InstanceTemplate") if ref else None
        types = [_machine(get(template.props, "machineType"))] if template is not None else []
        size = get(props, "targetSize")
        count = float(size) if isinstance(size, int | float) else None
        if template is not None and as_list(get(template.props, "guestAccelerators")):
            return cloud, types, count
    else:
        return None
    if not any(t and is_gpu_instance(cloud, t) for t in types):
        return None
    return cloud, [t for t in types if t], count
