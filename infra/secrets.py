"""Resolve SecretRefs into Pulumi secret Outputs. Values never leave an Output.secret.

Offline (`llmfleet plan`), nothing is read: every reference plans as "[secret]" unless the
engine config holds a (test-planted) value for a `config:` reference.
"""

from __future__ import annotations

import contextvars
import os

import pulumi

from infra.config import PROJECT, SecretRef
from infra.plan.model import SECRET
from serving.errors import LlmFleetError

OFFLINE: contextvars.ContextVar[bool] = contextvars.ContextVar("llmfleet_offline", default=False)


def resolve(ref: SecretRef, what: str) -> pulumi.Output[str]:
    """The secret value behind ``ref`` as a secret Output; ``what`` names it in errors."""
    if ref.config is not None:
        value = pulumi.Config(PROJECT).get_secret(ref.config)
        if value is None:
            if OFFLINE.get():
                return pulumi.Output.secret(SECRET)
            raise LlmFleetError(
                f"{what}: secret config key '{ref.config}' is not set; run "
                f"`pulumi config set --secret {ref.config} ...`"
            )
        return value
    if OFFLINE.get():
        return pulumi.Output.secret(SECRET)
    if ref.env is not None:
        value = os.environ.get(ref.env)
        if not value:
            raise LlmFleetError(f"{what}: environment variable {ref.env} is not set")
        return pulumi.Output.secret(value)
    if ref.aws_secrets_manager is not None:
        import pulumi_aws as aws

        version = aws.secretsmanager.get_secret_version_output(secret_id=ref.aws_secrets_manager)
        return pulumi.Output.secret(version.secret_string)
    if ref.gcp_secret_manager is not None:
        import pulumi_gcp as gcp

        name = ref.gcp_secret_manager
        secret, _, version = name.partition("/versions/")
        result = gcp.secretmanager.get_secret_version_output(secret=secret, version=version or "latest")
        return pulumi.Output.secret(result.secret_data)
    raise AssertionError("unreachable: SecretRef has exactly one key")
