"""CLIENT-01: every endpoint of a routed hostname accepts the same clients with the same keys."""

from policy.props import as_list, get
from policy.rules._clients import EG, accepted_clients, api_routes_for, routing
from policy.rules._helpers import AI_GATEWAY_ROUTE, HTTP_ROUTE, object_name
from policy.rules.base import Violation, stack_rule


def _describe(accepted):
    return ", ".join(f"{cid} ({source})" for cid, source in sorted(accepted.items())) or "no client"


@stack_rule(
    id="CLIENT-01",
    title="Every endpoint of a routed hostname accepts the same clients with the same keys",
    severity="high",
    category="reliability",
    types=(HTTP_ROUTE, AI_GATEWAY_ROUTE, EG + "SecurityPolicy", "kubernetes:core/v1:Secret"),
    remediation="Declare API clients in `llm-fleet:clients` and build every target's client-key Secret from the "
    "fleet-wide generators (infra/api_clients.py), never a key per target: a weighted or failover route sends a "
    "client to any of its endpoints.",
    references=("custom",),
)
def enforce_same_clients_per_route(ctx):
    for route in routing(ctx):
        hostname = get(route, "hostname")
        targets = [get(e, "target") for e in as_list(get(route, "endpoints"))]
        seen = {}  # route object (namespace/name) -> (target, accepted)
        for target in targets:
            for resource in api_routes_for(ctx, target, hostname):
                key = f"{get(resource.props, 'metadata.namespace')}/{object_name(resource)}"
                accepted = accepted_clients(ctx, resource)
                if accepted is None:
                    yield Violation(
                        f"{hostname}: route {key} at '{target}' accepts keys the Plan cannot trace to a client "
                        "(no SecurityPolicy with apiKeyAuth, or a credential Secret without its key annotations)",
                        resource.urn,
                    )
                    continue
                if key not in seen:
                    seen[key] = (target, accepted)
                    continue
                first_target, first = seen[key]
                if accepted != first:
                    yield Violation(
                        f"{hostname}: route {key} accepts {_describe(accepted)} at '{target}' but "
                        f"{_describe(first)} at '{first_target}'",
                        resource.urn,
                    )
