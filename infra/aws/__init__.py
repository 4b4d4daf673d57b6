"""The AWS target: an EKS GPU cluster with its edge, keys, weights, registry and budget."""

from infra.aws.target import AwsTargetComponent

__all__ = ["AwsTargetComponent"]
