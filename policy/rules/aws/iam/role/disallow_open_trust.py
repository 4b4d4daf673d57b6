"""IAM-05: no role trust policy lets any AWS principal or any identity of a web IdP assume the role."""

import re

from policy.rules._policy_documents import TRUST_POLICIES, documents
from policy.rules.base import resource_rule

ACCOUNT_ROOT = re.compile(r"^(\d{12}|arn:aws[a-z-]*:iam::\d{12}:root)$")
WEB_IDENTITY_SUBJECT = (":sub", ":aud", "amr")
"""Condition-key suffixes that pin a web identity (OIDC subject/audience, Cognito amr)."""


def _pins_web_identity(st) -> bool:
    for cond in st.conditions:
        op = cond.operator.split(":")[-1]
        if op not in ("StringEquals", "StringLike", "StringEqualsIgnoreCase") or not cond.key.endswith(
            WEB_IDENTITY_SUBJECT
        ):
            continue
        if cond.key.endswith(":sub") and all(v.strip("*") and not v.endswith(":*") for v in cond.values):
            return True
    return False


@resource_rule(
    id="IAM-05",
    title="No role trust policy lets any AWS principal or any identity of a web IdP assume the role",
    severity="critical",
    category="security",
    types=tuple(TRUST_POLICIES),
    remediation="Trust a service principal (pods.eks.amazonaws.com with aws:SourceAccount), a named role, or a "
    "federated IdP with a StringEquals condition on its ':sub' claim naming the exact workload.",
    references=("CKV_AWS_60", "CKV_AWS_61", "CKV_AWS_358"),
)
def disallow_open_trust(resource, ctx):
    for path, statements in documents(resource, TRUST_POLICIES):
        for st in statements:
            if not st.allows:
                continue
            if st.public_principal and not st.restriction():
                yield f"{path}: {st.label} lets any AWS principal assume the role; expected named principals"
            roots = [p for p in st.principals("AWS") if ACCOUNT_ROOT.match(p)]
            if roots and not st.public_principal and not st.restriction():
                yield (
                    f"{path}: {st.label} trusts account {roots[0]!r} as a whole (any of its principals with "
                    "sts:AssumeRole); expected a named role, or aws:PrincipalArn in a condition"
                )
            web = st.principals("Federated") and st.grants("sts:AssumeRoleWithWebIdentity")
            if web and not _pins_web_identity(st):
                yield (
                    f"{path}: {st.label} trusts {st.principals('Federated')[0]!r} with no StringEquals condition "
                    "on its ':sub' claim; any identity of that IdP can assume the role"
                )
