"""The AWS target: an EKS GPU cluster with its edge, keys, weights, registry and budget.

One small component per concern (``target.py`` composes them): ``keys`` (KMS), ``network``
(VPC), ``storage`` (weights and log buckets), ``registry`` (ECR and the serving image),
``cluster`` (EKS, add-ons, system nodes, the Kubernetes provider), ``identity`` (Pod
Identity roles), ``karpenter`` (GPU capacity), ``edge`` (ALB, ACM, WAF, binding to the
in-cluster gateway), ``monitoring`` (Amazon Managed Prometheus), ``budget``.

Before the first ``pulumi up`` of a stack with an AWS target:

* the identity running Pulumi must reach the EKS API: the endpoint is private unless
  ``endpointPublicAccessCidrs`` lists the runner's addresses (or the runner sits in, or is
  peered with, the VPC); that identity becomes cluster admin (bootstrap access entry);
* the account needs the EC2 Auto Scaling service-linked role (it exists once any Auto
  Scaling group or EKS node group was created; else
  ``aws iam create-service-linked-role --aws-service-name autoscaling.amazonaws.com``):
  the EBS key policy names it;
* activate ``llm-fleet-target`` (and the other cost tags) as cost-allocation tags in
  Billing, or the budget counts nothing;
* ``edge.dnsZone`` must be a public Route 53 zone of the account;
* ECR tags are immutable: with ``image.build`` bump ``image.tag`` for every new build.
"""

from infra.aws.target import AwsTargetComponent

__all__ = ["AwsTargetComponent"]
