"""IAM-11: identity policies grant no privilege-escalation or credential actions on every resource."""

import re

from policy.rules._policy_documents import IDENTITY_POLICIES, documents
from policy.rules.base import resource_rule

ESCALATION = (
    "iam:CreateAccessKey",
    "iam:UpdateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:AttachUserPolicy",
    "iam:AttachRolePolicy",
    "iam:AttachGroupPolicy",
    "iam:PutUserPolicy",
    "iam:PutRolePolicy",
    "iam:PutGroupPolicy",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:UpdateAssumeRolePolicy",
    "iam:AddUserToGroup",
    "iam:CreateServiceLinkedRole",
    "sts:AssumeRole",
    "sts:GetFederationToken",
    "secretsmanager:GetSecretValue",
    "kms:Decrypt",
    "kms:CreateGrant",
    "ssm:GetParameter",
    "lambda:UpdateFunctionCode",
)
"""Actions that mint credentials, widen an identity's own rights, or read every secret (Checkov's
privilege-escalation and credentials-exposure sets, plus secret and key reads)."""
ANY_RESOURCE = re.compile(r"^(\*|arn:[^:]*:[a-z0-9-]+:[^:]*:[^:]*:(\*|[a-z-]+[/:]\*|\*/\*))$")


NOT_CONSTRAINTS = frozenset(("aws:securetransport", "aws:multifactorauthpresent"))


def _constrained(statement) -> bool:
    """A condition that scopes the grant (kms:ViaService, kms:GrantIsForAWSResource, a resource tag ...)."""
    return any(c.key.lower() not in NOT_CONSTRAINTS for c in statement.conditions)


@resource_rule(
    id="IAM-11",
    title="Identity policies grant no privilege-escalation or credential actions on every resource",
    severity="high",
    category="security",
    types=tuple(IDENTITY_POLICIES),
    remediation="Name the users, roles, secrets and keys these actions apply to; a workload never needs to create "
    "access keys or attach policies, and reads only its own secret and key.",
    references=("CKV_AWS_286", "CKV_AWS_287", "CKV_AWS_288", "CKV_AWS_289"),
)
def disallow_privilege_escalation(resource, ctx):
    for path, statements in documents(resource, IDENTITY_POLICIES):
        for st in statements:
            wide = ["NotResource"] if st.not_resource else [r for r in st.resources if ANY_RESOURCE.match(r)]
            if not wide or not st.allows or _constrained(st):
                continue
            granted = [a for a in ESCALATION if st.grants(a)]
            if granted and not st.not_action:
                yield f"{path}: {st.label} allows {granted[:4]} on {wide}; expected named resources"
