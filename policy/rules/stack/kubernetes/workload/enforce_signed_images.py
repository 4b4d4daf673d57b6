"""IMG-01: prod model servers run only images whose signature is verified at admission."""

import re

from policy.props import as_list, get
from policy.rules._helpers import is_workload, workload_containers
from policy.rules.base import Violation, stack_rule

CLUSTER_IMAGE_POLICY = "kubernetes:policy.sigstore.dev/v1beta1:ClusterImagePolicy"
NAMESPACE = "kubernetes:core/v1:Namespace"
INCLUDE_LABEL = "policy.sigstore.dev/include"
GPU = "nvidia.com/gpu"


def glob_matches(glob: str, image: str) -> bool:
    """policy-controller's image glob: ``**`` crosses path segments, ``*`` stays within one."""
    pattern = "".join(
        ".*" if part == "**" else "[^/]*" if part == "*" else re.escape(part)
        for part in re.split(r"(\*\*|\*)", glob)
    )
    return re.fullmatch(pattern, image) is not None


def _requests_gpus(container) -> bool:
    resources = get(container, "resources") or {}
    return any(GPU in (get(resources, kind) or {}) for kind in ("limits", "requests"))


def _pinned_identity(authority) -> bool:
    """A keyless authority that names an exact issuer and an exact signer (or an anchored pattern)."""
    identities = as_list(get(authority, "keyless.identities"))
    if not identities:
        return False
    for identity in identities:
        subject, subject_re = get(identity, "subject"), get(identity, "subjectRegExp")
        if not get(identity, "issuer"):
            return False
        if subject_re and (not str(subject_re).startswith("^") or ".*" in str(subject_re)):
            return False
        if not subject and not subject_re:
            return False
    return True


def _verifies(policy, image: str) -> bool:
    spec = get(policy.props, "spec") or {}
    if get(spec, "mode") == "warn":
        return False
    if not any(glob_matches(str(get(i, "glob") or ""), image) for i in as_list(get(spec, "images"))):
        return False
    return any(_pinned_identity(a) or get(a, "key") for a in as_list(get(spec, "authorities")))


@stack_rule(
    id="IMG-01",
    title="Prod model servers run only images whose signature is verified at admission",
    severity="high",
    category="security",
    types=("kubernetes:*", CLUSTER_IMAGE_POLICY, NAMESPACE),
    remediation="Set image.signer: each target then runs the Sigstore policy-controller with a "
    "ClusterImagePolicy (mode enforce) for the serving image, and labels model namespaces "
    "policy.sigstore.dev/include=true.",
    references=("CIS GKE 1.6 5.10.4", "custom"),
)
def enforce_signed_images(ctx):
    if ctx.settings.environment != "prod":
        return
    policies: dict[str, list] = {}
    for policy in ctx.of_type(CLUSTER_IMAGE_POLICY):
        policies.setdefault(ctx.cluster_key(policy), []).append(policy)
    namespaces = {
        (ctx.cluster_key(ns), get(ns.props, "metadata.name")): ns for ns in ctx.of_type(NAMESPACE)
    }
    for type_ in list(ctx.types):
        for resource in ctx.of_type(type_):
            if not is_workload(resource):
                continue
            cluster = ctx.cluster_key(resource)
            namespace = get(resource.props, "metadata.namespace")
            for where, _, _, container in workload_containers(resource):
                if not _requests_gpus(container):
                    continue
                ns = namespaces.get((cluster, namespace))
                if ns is None or (get(ns.props, "metadata.labels") or {}).get(INCLUDE_LABEL) != "true":
                    yield Violation(
                        f"{where}: namespace {namespace!r} is not checked at admission "
                        f"(label {INCLUDE_LABEL}=true missing)",
                        resource.urn,
                    )
                image = str(get(container, "image") or "")
                if not any(_verifies(p, image) for p in policies.get(cluster, [])):
                    yield Violation(
                        f"{where}: no enforcing ClusterImagePolicy with a pinned signer covers image {image!r}",
                        resource.urn,
                    )
