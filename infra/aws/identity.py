"""AWS identities of the model workloads, bound to their Kubernetes service accounts by
EKS Pod Identity: each model's servers may only read the weights bucket, its staging Job
may write it. No annotations are needed on the service accounts (Pod Identity binds the
role to ``namespace/serviceaccount`` on the AWS side)."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from infra import naming
from infra.aws.cluster import Cluster
from infra.aws.common import AwsEnv, pod_identity_trust, policy_document
from infra.aws.storage import Storage


class WorkloadIdentities(pulumi.ComponentResource):
    """Per model placed on this target: a server role (read) and a stager role (write)."""

    server_roles: dict[str, aws.iam.Role]
    stager_roles: dict[str, aws.iam.Role]

    def __init__(
        self,
        name: str,
        env: AwsEnv,
        cluster: Cluster,
        storage: Storage,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("llm-fleet:aws:WorkloadIdentities", name, None, opts)
        self._name = name
        self._env = env
        self._cluster = cluster
        self._storage = storage
        self.server_roles = {}
        self.stager_roles = {}
        for model in sorted({m.name for m, p in env.stack.placements() if p.target == env.name}):
            self._create_model_identities(model)
        self.register_outputs(
            {
                "serverRoleArns": {m: r.arn for m, r in self.server_roles.items()},
                "stagerRoleArns": {m: r.arn for m, r in self.stager_roles.items()},
            }
        )

    def _create_model_identities(self, model: str) -> None:
        env, cluster, namespace = self._env, self._cluster, naming.namespace(model)
        self.server_roles[model] = pod_identity_role(
            f"{self._name}-{model}-server",
            env,
            cluster,
            namespace,
            naming.server_service_account(model),
            self._storage.read_statements(),
            f"Model servers of {model}: read weights",
            parent=self,
        )
        self.stager_roles[model] = pod_identity_role(
            f"{self._name}-{model}-stager",
            env,
            cluster,
            namespace,
            naming.stager_service_account(model),
            self._storage.write_statements(),
            f"Weight staging Job of {model}: write weights",
            parent=self,
        )


def pod_identity_role(
    name: str,
    env: AwsEnv,
    cluster: Cluster,
    namespace: str,
    service_account: str,
    statements: list[dict[str, Any]],
    description: str,
    parent: pulumi.Resource,
) -> aws.iam.Role:
    """A role with an inline policy, bound to one service account by Pod Identity."""
    role = aws.iam.Role(
        name,
        description=f"{description} ({env.cluster_name})",
        assume_role_policy=pod_identity_trust(env),
        tags=env.tagged(),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.iam.RolePolicy(
        name,
        role=role.id,
        policy=policy_document(statements),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.eks.PodIdentityAssociation(
        name,
        cluster_name=cluster.cluster.name,
        namespace=namespace,
        service_account=service_account,
        role_arn=role.arn,
        tags=env.tagged(),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[cluster.addons["eks-pod-identity-agent"]]),
    )
    return role
