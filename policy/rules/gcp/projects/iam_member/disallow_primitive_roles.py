"""IAM-08: no project, folder or organisation grants a primitive role, or an admin role to a service account."""

import re

from policy.rules._policy_documents import GCP_HIGH_LEVEL_IAM, gcp_grants
from policy.rules.base import resource_rule

PRIMITIVE_ROLES = ("roles/owner", "roles/editor", "roles/viewer")
ADMIN_ROLE = re.compile(r"(\.admin|Admin)$")
"""Predefined admin roles ('roles/container.admin', 'roles/iam.securityAdmin'): a workload identity never needs one."""


@resource_rule(
    id="IAM-08",
    title="No project, folder or organisation grants a primitive role, or an admin role to a service account",
    severity="high",
    category="security",
    types=GCP_HIGH_LEVEL_IAM,
    remediation="Grant predefined roles scoped to the job (roles/logging.logWriter, roles/storage.objectViewer on one "
    "bucket, ...); primitive roles span every service of the project.",
    references=("CIS GCP 2.0 1.5", "CKV_GCP_42", "CKV_GCP_117"),
)
def disallow_primitive_roles(resource, ctx):
    for role, member in gcp_grants(resource):
        if role in PRIMITIVE_ROLES:
            yield f"{role} is granted to {member!r}; expected a predefined role scoped to the job"
        elif ADMIN_ROLE.search(role) and member.startswith("serviceAccount:"):
            yield f"admin role {role} is granted to {member!r}; expected a predefined role scoped to the job"
