"""IAM-10: service accounts are impersonated only narrowly: one account, one workload principal, no keys."""

import re

from policy.props import PUBLIC_MEMBERS, get
from policy.rules._policy_documents import GCP_HIGH_LEVEL_IAM, gcp_grants
from policy.rules.base import resource_rule

IMPERSONATION_ROLES = (
    "roles/iam.serviceAccountTokenCreator",
    "roles/iam.serviceAccountUser",
    "roles/iam.serviceAccountKeyAdmin",
    "roles/iam.workloadIdentityUser",
    "roles/iam.serviceAccountOpenIdTokenCreator",
)
"""Roles that let a member act as (or mint credentials of) a service account."""
SERVICE_ACCOUNT_IAM = (
    "gcp:serviceaccount/iAMMember:IAMMember",
    "gcp:serviceaccount/iAMBinding:IAMBinding",
    "gcp:serviceaccount/iAMPolicy:IAMPolicy",
)
SA_KEY = "gcp:serviceaccount/key:Key"
DEFAULT_KSA = re.compile(r"\.svc\.id\.goog\[(default/[^\]]+|[^/\]]+/default)\]$")
"""The default namespace's KSAs, or any namespace's 'default' KSA: not one workload's identity."""
BROAD_MEMBERS = ("principalSet:", "domain:")
"""Members that stand for many identities (every identity of a pool or attribute, a whole domain)."""


@resource_rule(
    id="IAM-10",
    title="Service accounts are impersonated only narrowly: one account, one workload principal, no keys",
    severity="high",
    category="security",
    types=(*GCP_HIGH_LEVEL_IAM, *SERVICE_ACCOUNT_IAM, SA_KEY),
    remediation="Grant roles/iam.workloadIdentityUser / serviceAccountUser / serviceAccountTokenCreator on the one "
    "service account (gcp.serviceaccount.IAMMember) to the one Kubernetes service account or principal that needs it.",
    references=("CIS GCP 2.0 1.4", "CIS GCP 2.0 1.6", "CKV_GCP_41", "CKV_GCP_49"),
)
def disallow_impersonation_roles(resource, ctx):
    if resource.type == SA_KEY:
        yield (
            f"a user-managed key for {get(resource.props, 'serviceAccountId')!r} impersonates it until revoked; "
            "expected Workload Identity"
        )
        return
    high_level = resource.type in GCP_HIGH_LEVEL_IAM
    for role, member in gcp_grants(resource):
        if role not in IMPERSONATION_ROLES:
            continue
        if high_level:
            yield f"{role} is granted to {member!r} on the whole {resource.type.split(':')[1].split('/')[0]}; expected a grant on one service account"
        elif member in PUBLIC_MEMBERS or member.startswith(BROAD_MEMBERS) or "[*" in member or "/*]" in member:
            yield f"{role} is granted to {member!r} (many identities); expected one principal"
        elif DEFAULT_KSA.search(member):
            yield (
                f"{role} is granted to {member!r}, a default Kubernetes service account every pod of its namespace "
                "runs as; expected the workload's own"
            )
