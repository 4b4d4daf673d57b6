"""KMS-03: AWS KMS key policies grant nothing to the '*' principal."""

from policy.props import get
from policy.rules._policy_documents import RESOURCE_POLICIES, documents
from policy.rules.base import resource_rule


@resource_rule(
    id="KMS-03",
    title="AWS KMS key policies grant nothing to the '*' principal",
    severity="critical",
    category="security",
    types=("aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy"),
    remediation="Name the account root, roles and service principals in every Allow statement; write an explicit "
    "key policy rather than relying on the default. A condition on the caller (kms:CallerAccount, "
    "aws:PrincipalOrgID, aws:SourceAccount ... with StringEquals) narrows '*'; other conditions do not.",
    references=("CKV2_AWS_64", "CKV_AWS_33"),
)
def disallow_public_principal(resource, ctx):
    if resource.type == "aws:kms/key:Key" and not get(resource.props, "policy"):
        yield "policy is not set (the default key policy); expected an explicit key policy"
        return
    for _, statements in documents(resource, RESOURCE_POLICIES):
        for st in statements:
            if not st.allows or not st.public_principal or st.restriction():
                continue
            if not st.conditions:
                yield f"Statement[{st.index}] allows Principal '*' without a condition; expected named principals"
            else:
                yield (
                    f"Statement[{st.index}] allows Principal '*' under conditions that do not narrow the caller; "
                    "expected named principals"
                )
