"""IAM-08: no project, folder or organisation grants a primitive role (owner, editor, viewer)."""

from policy.rules._policy_documents import GCP_HIGH_LEVEL_IAM, gcp_grants
from policy.rules.base import resource_rule

PRIMITIVE_ROLES = ("roles/owner", "roles/editor", "roles/viewer")


@resource_rule(
    id="IAM-08",
    title="No project, folder or organisation grants a primitive role (owner, editor, viewer)",
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
