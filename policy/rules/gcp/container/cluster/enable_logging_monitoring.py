"""GKE-13: GKE sends logs and metrics to Cloud Logging and Monitoring."""

from policy.props import as_list, get
from policy.rules.base import resource_rule


@resource_rule(
    id="GKE-13",
    title="GKE sends logs and metrics to Cloud Logging and Monitoring",
    severity="medium",
    category="security",
    types=("gcp:container/cluster:Cluster",),
    remediation="Leave loggingService/monitoringService at their defaults (or the '/kubernetes' services) and, if "
    "loggingConfig is set, enable at least SYSTEM_COMPONENTS.",
    references=("CIS GKE 1.6 5.7.1", "CKV_GCP_1", "CKV_GCP_8"),
)
def enable_logging_monitoring(resource, ctx):
    props = resource.props
    for key in ("loggingService", "monitoringService"):
        if get(props, key) == "none":
            yield f"{key} is 'none'; expected the Cloud Logging/Monitoring Kubernetes service"
    if get(props, "loggingConfig") is not None and "SYSTEM_COMPONENTS" not in as_list(
        get(props, "loggingConfig.enableComponents")
    ):
        yield "loggingConfig.enableComponents does not contain 'SYSTEM_COMPONENTS'; expected it"
