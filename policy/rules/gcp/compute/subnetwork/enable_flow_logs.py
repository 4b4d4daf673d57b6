"""NET-05: GCP subnetworks record VPC flow logs."""

from policy.props import get, is_map, number
from policy.rules.base import resource_rule

NO_FLOW_LOGS = (
    "REGIONAL_MANAGED_PROXY",
    "GLOBAL_MANAGED_PROXY",
    "INTERNAL_HTTPS_LOAD_BALANCER",
    "PRIVATE_SERVICE_CONNECT",
)
"""Subnet purposes that cannot carry flow logs (proxy-only and PSC subnets)."""


@resource_rule(
    id="NET-05",
    title="GCP subnetworks record VPC flow logs",
    severity="medium",
    category="security",
    types=("gcp:compute/subnetwork:Subnetwork",),
    remediation="Set logConfig (aggregationInterval, flowSampling > 0, metadata INCLUDE_ALL_METADATA) on the subnetwork.",
    references=("CIS GCP 2.0 3.8", "CKV_GCP_26"),
)
def enable_flow_logs(resource, ctx):
    if str(get(resource.props, "purpose") or "PRIVATE").upper() in NO_FLOW_LOGS:
        return
    config = get(resource.props, "logConfig")
    if not is_map(config) or not config:
        yield "logConfig is not set (flow logs off); expected a logConfig"
    elif (sampling := number(get(config, "flowSampling"))) is not None and sampling <= 0:
        yield f"logConfig.flowSampling is {sampling:g}; expected more than 0"
