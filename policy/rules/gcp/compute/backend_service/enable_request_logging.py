"""ALB-11: external GCP backend services log the requests they serve."""

from policy.props import get
from policy.rules.base import resource_rule


@resource_rule(
    id="ALB-11",
    title="External GCP backend services log the requests they serve",
    severity="medium",
    category="security",
    types=("gcp:compute/backendService:BackendService",),
    remediation="Set logConfig {enable: true, sampleRate: 1.0} on every EXTERNAL / EXTERNAL_MANAGED backend service.",
    references=("CIS GCP 2.0 2.16",),
    doc="https://cloud.google.com/load-balancing/docs/https/https-logging-monitoring",
)
def enable_request_logging(resource, ctx):
    if not str(get(resource.props, "loadBalancingScheme") or "EXTERNAL").startswith("EXTERNAL"):
        return
    if get(resource.props, "logConfig.enable") is not True:
        yield "logConfig.enable is not true on an external backend; expected true"
