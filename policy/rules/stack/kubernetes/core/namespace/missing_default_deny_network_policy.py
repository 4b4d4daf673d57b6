"""K8S-14: every namespace has a default-deny NetworkPolicy for ingress and egress."""

from policy.props import as_list, get, is_empty_selector
from policy.rules.base import Violation, stack_rule

NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def _denies(policy, direction: str) -> bool:
    spec = get(policy.props, "spec") or {}
    if not is_empty_selector(get(spec, "podSelector") or {}):
        return False
    types = as_list(get(spec, "policyTypes")) or (["Ingress"] if direction == "Ingress" else [])
    key = direction.lower()
    return direction in types and not as_list(get(spec, key))


@stack_rule(
    id="K8S-14",
    title="Every namespace has a default-deny NetworkPolicy for ingress and egress",
    severity="high",
    category="security",
    types=("kubernetes:core/v1:Namespace", NETPOL),
    remediation="Declare a NetworkPolicy with podSelector {} and policyTypes ['Ingress', 'Egress'] and no rules in "
    "each namespace, then explicit allows (gateway -> server, Prometheus -> metrics, DNS, weight storage).",
    references=("CKV2_K8S_6",),
)
def missing_default_deny_network_policy(ctx):
    by_namespace: dict = {}
    for policy in ctx.of_type(NETPOL):
        key = (ctx.cluster_key(policy), get(policy.props, "metadata.namespace"))
        by_namespace.setdefault(key, []).append(policy)
    for namespace in ctx.of_type("kubernetes:core/v1:Namespace"):
        name = get(namespace.props, "metadata.name") or namespace.name
        policies = by_namespace.get((ctx.cluster_key(namespace), name), [])
        missing = [d for d in ("Ingress", "Egress") if not any(_denies(p, d) for p in policies)]
        if missing:
            yield Violation(
                f"namespace {name!r} has no default-deny NetworkPolicy for {' and '.join(missing)}", namespace.urn
            )
