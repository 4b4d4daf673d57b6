"""What every AWS component of a target shares: names, tags, the provider, the account.

One :class:`AwsEnv` is built per target and handed to each component, so components take
one small args object instead of many keyword arguments, and names stay derived from the
target (stable URNs) in one place.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra import naming
from infra.config import PROJECT, AwsTarget, StackConfig

POLICY_VERSION = "2012-10-17"

# Control-plane and edge log retention, days, by environment. CloudWatch accepts only a
# fixed set of values (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...).
LOG_RETENTION_DAYS: Mapping[str, int] = {"dev": 90, "staging": 180, "prod": 365}


@dataclass(frozen=True)
class AwsEnv:
    """The target-wide facts an AWS component needs."""

    name: str
    """Target name: every resource name starts with it."""
    target: AwsTarget
    stack: StackConfig
    stack_name: str
    """The Pulumi stack (``dev``, ``prod``): part of account-unique cloud names."""
    provider: aws.Provider
    tags: dict[str, str]
    """Cost-allocation tags (infra.naming.cost_tags); also the provider's default_tags."""
    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]

    @property
    def region(self) -> str:
        return self.target.region

    @property
    def prod(self) -> bool:
        return self.stack.environment == "prod"

    @property
    def cluster_name(self) -> str:
        """EKS cluster name; also the prefix of account-unique names (log groups, queues, budget)."""
        return f"{PROJECT}-{self.stack_name}-{self.name}"

    @property
    def log_retention_days(self) -> int:
        return LOG_RETENTION_DAYS[self.stack.environment]

    def tagged(self, **extra: str) -> dict[str, str]:
        """Cost tags plus ``extra`` (e.g. Name). Set explicitly on every taggable resource:
        default_tags are applied by the provider at deploy time and are invisible to a policy
        pack that reads resource inputs."""
        return {**self.tags, **extra}

    def arn(self, service: str, resource: str, region: bool = True, account: bool = True) -> pulumi.Output[str]:
        """``arn:<partition>:<service>:<region>:<account>:<resource>``."""
        return pulumi.Output.concat(
            "arn:", self.partition, ":", service, ":", self.region if region else "", ":",
            self.account_id if account else "", ":", resource,
        )

    def account_root(self) -> pulumi.Output[str]:
        return pulumi.Output.concat("arn:", self.partition, ":iam::", self.account_id, ":root")

    def managed_policy(self, name: str) -> pulumi.Output[str]:
        return pulumi.Output.concat("arn:", self.partition, ":iam::aws:policy/", name)

    def unique_suffix(self) -> str:
        """8 hex characters derived from project, stack, target and region: names that must be
        unique in all of S3 stay stable across runs without needing the account id up front."""
        return hashlib.sha256(f"{PROJECT}/{self.stack_name}/{self.name}/{self.region}".encode()).hexdigest()[:8]


def log_group(
    name: str, log_name: str, env: AwsEnv, kms_key_arn: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> aws.cloudwatch.LogGroup:
    """A CloudWatch log group named ``log_name``, kept for the environment's retention and
    encrypted with ``kms_key_arn`` (the target's ``logs`` key)."""
    return aws.cloudwatch.LogGroup(
        name,
        name=log_name,
        retention_in_days=env.log_retention_days,
        kms_key_id=kms_key_arn,
        tags=env.tagged(),
        opts=opts,
    )


def make_env(name: str, target: AwsTarget, stack: StackConfig, parent: pulumi.Resource) -> AwsEnv:
    """The provider (with default tags) and the account facts of one AWS target."""
    tags = naming.cost_tags(stack.environment, stack.owner, stack.cost_center, target=name)
    provider = aws.Provider(
        f"{name}-aws",
        region=target.region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    invoke = pulumi.InvokeOutputOptions(provider=provider, parent=parent)
    identity = aws.get_caller_identity_output(opts=invoke)
    partition = aws.get_partition_output(opts=invoke)
    return AwsEnv(
        name=name,
        target=target,
        stack=stack,
        stack_name=pulumi.get_stack(),
        provider=provider,
        tags=tags,
        account_id=identity.account_id,
        partition=partition.partition,
    )


# ---------------------------------------------------------------------------
# IAM policy documents (plain JSON: the Plan shows them as a policy pack reads them)
# ---------------------------------------------------------------------------


def statement(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[pulumi.Input[str]] | pulumi.Input[str] = "*",
    effect: str = "Allow",
    principal: Mapping[str, Any] | None = None,
    conditions: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """One IAM statement. ``principal`` e.g. ``{"Service": "eks.amazonaws.com"}``."""
    out: dict[str, Any] = {"Sid": sid, "Effect": effect, "Action": list(actions)}
    if principal is not None:
        out["Principal"] = dict(principal)
    out["Resource"] = resources if isinstance(resources, str | pulumi.Output) else list(resources)
    if conditions:
        out["Condition"] = {test: dict(values) for test, values in conditions.items()}
    return out


def policy_document(statements: Sequence[Mapping[str, Any]]) -> pulumi.Output[str]:
    return pulumi.Output.json_dumps({"Version": POLICY_VERSION, "Statement": list(statements)})


def assume_role_policy(service: str, extra_actions: Sequence[str] = (), conditions: Mapping[str, Mapping[str, Any]] | None = None) -> pulumi.Output[str]:
    """Trust policy letting one AWS service principal assume a role."""
    trust: dict[str, Any] = {
        "Sid": "TrustService",
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": ["sts:AssumeRole", *extra_actions],
    }
    if conditions:
        trust["Condition"] = {test: dict(values) for test, values in conditions.items()}
    return policy_document([trust])


def pod_identity_trust(env: AwsEnv) -> pulumi.Output[str]:
    """Trust policy of a role assumed through EKS Pod Identity (the agent tags the session)."""
    return assume_role_policy(
        "pods.eks.amazonaws.com",
        extra_actions=["sts:TagSession"],
        conditions={"StringEquals": {"aws:SourceAccount": env.account_id}},
    )


def deny_insecure_transport(action: str, resources: Sequence[pulumi.Input[str]]) -> dict[str, Any]:
    """Deny any request that does not use TLS (aws:SecureTransport = false), e.g. ``s3:*``."""
    return statement(
        "DenyInsecureTransport",
        [action],
        list(resources),
        effect="Deny",
        principal={"AWS": "*"},
        conditions={"Bool": {"aws:SecureTransport": "false"}},
    )
