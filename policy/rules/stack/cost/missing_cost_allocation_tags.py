"""COST-09: billable resources carry the cost-allocation tags or labels."""

from policy.props import get, is_map
from policy.rules._helpers import tags_of
from policy.rules.base import Violation, stack_rule

# Billable resource types and the prop that holds their tags (AWS) or labels (GCP).
BILLABLE = {
    "aws:eks/cluster:Cluster": "tags",
    "aws:eks/nodeGroup:NodeGroup": "tags",
    "aws:lb/loadBalancer:LoadBalancer": "tags",
    "aws:alb/loadBalancer:LoadBalancer": "tags",
    "aws:ec2/natGateway:NatGateway": "tags",
    "aws:ec2/eip:Eip": "tags",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "tags",
    "aws:kms/key:Key": "tags",
    "aws:s3/bucket:Bucket": "tags",
    "aws:ecr/repository:Repository": "tags",
    "aws:cloudwatch/logGroup:LogGroup": "tags",
    "aws:wafv2/webAcl:WebAcl": "tags",
    "aws:amp/workspace:Workspace": "tags",
    "aws:sqs/queue:Queue": "tags",
    "aws:secretsmanager/secret:Secret": "tags",
    "aws:route53/healthCheck:HealthCheck": "tags",
    "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass": "spec.tags",
    "gcp:container/cluster:Cluster": "resourceLabels",
    "gcp:container/nodePool:NodePool": "nodeConfig.resourceLabels",
    "gcp:storage/bucket:Bucket": "labels",
    "gcp:kms/cryptoKey:CryptoKey": "labels",
    "gcp:artifactregistry/repository:Repository": "labels",
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": "labels",
    "gcp:compute/globalAddress:GlobalAddress": "labels",
    "gcp:compute/securityPolicy:SecurityPolicy": "labels",
}
KEYS = ("llm-fleet-environment", "llm-fleet-owner", "llm-fleet-cost-center")


@stack_rule(
    id="COST-09",
    title="Billable resources carry the cost-allocation tags or labels",
    severity="low",
    category="cost",
    types=tuple(BILLABLE),
    remediation="Tag/label with infra.naming.cost_tags(environment, owner, costCenter, target), or set the provider's "
    "defaultTags (AWS) / defaultLabels (GCP) to them.",
    references=("custom",),
)
def missing_cost_allocation_tags(ctx):
    settings = ctx.settings
    expected = {
        "llm-fleet-environment": settings.environment,
        "llm-fleet-owner": settings.owner,
        "llm-fleet-cost-center": settings.cost_center,
    }
    for type_, key in BILLABLE.items():
        for resource in ctx.of_type(type_):
            if type_.startswith("kubernetes:"):
                tags = get(resource.props, key) or {}
                tags = tags if is_map(tags) else {}
            else:
                tags = tags_of(resource, ctx, key)
            missing = [k for k in KEYS if not tags.get(k)]
            if missing:
                yield Violation(f"{key} lacks {', '.join(missing)}", resource.urn)
                continue
            wrong = [f"{k}={tags.get(k)!r} (expected {v!r})" for k, v in expected.items() if v and tags.get(k) != v]
            if wrong:
                yield Violation(f"{key} has {', '.join(wrong)}", resource.urn)
