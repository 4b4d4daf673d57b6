"""EKS-06: each EKS cluster's control-plane log group is declared in the stack."""

from policy.props import as_list, get
from policy.rules.base import Violation, stack_rule


@stack_rule(
    id="EKS-06",
    title="Each EKS cluster's control-plane log group is declared in the stack",
    severity="medium",
    category="security",
    types=("aws:eks/cluster:Cluster", "aws:cloudwatch/logGroup:LogGroup"),
    remediation="Give the cluster an explicit name and declare aws.cloudwatch.LogGroup('/aws/eks/<name>/cluster') "
    "with kmsKeyId and retentionInDays before the cluster (depends_on), so EKS does not create an unencrypted, "
    "never-expiring one.",
    references=("CIS EKS 1.7 2.1.1", "CKV_AWS_158", "CKV_AWS_338"),
)
def missing_log_group(ctx):
    groups = {get(g.props, "name") for g in ctx.of_type("aws:cloudwatch/logGroup:LogGroup")}
    for cluster in ctx.of_type("aws:eks/cluster:Cluster"):
        if not as_list(get(cluster.props, "enabledClusterLogTypes")):
            continue  # EKS-03 reports the missing logging itself
        name = get(cluster.props, "name")
        if not name:
            yield Violation(
                "the cluster has no explicit name, so its log group /aws/eks/<name>/cluster cannot be "
                "declared; set name",
                cluster.urn,
            )
        elif f"/aws/eks/{name}/cluster" not in groups:
            yield Violation(f"no aws:cloudwatch/logGroup:LogGroup named '/aws/eks/{name}/cluster'", cluster.urn)
