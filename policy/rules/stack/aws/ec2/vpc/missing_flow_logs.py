"""NET-04: every VPC records its traffic in flow logs."""

from policy.props import get
from policy.rules._helpers import refers_to, resource_names
from policy.rules.base import Violation, stack_rule

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"


@stack_rule(
    id="NET-04",
    title="Every VPC records its traffic in flow logs",
    severity="medium",
    category="security",
    types=(VPC, FLOW_LOG),
    remediation="Add an aws.ec2.FlowLog with vpcId set to the VPC, trafficType ALL (or REJECT), delivered to "
    "CloudWatch Logs or S3.",
    references=("CIS AWS 3.0 3.7", "CKV2_AWS_11"),
)
def missing_flow_logs(ctx):
    refs = [
        get(f.props, "vpcId")
        for f in ctx.of_type(FLOW_LOG)
        if str(get(f.props, "trafficType") or "ALL").upper() in ("ALL", "REJECT")
    ]
    for vpc in ctx.of_type(VPC):
        names = resource_names(vpc, "id")
        if not any(refers_to(ref, names) for ref in refs):
            yield Violation(f"no {FLOW_LOG} with trafficType ALL or REJECT names this VPC", vpc.urn)
