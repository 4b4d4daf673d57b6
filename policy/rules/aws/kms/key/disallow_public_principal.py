"""KMS-03: AWS KMS key policies grant nothing to the '*' principal."""

from policy.props import get, policy_document, principal_is_public, statements
from policy.rules.base import resource_rule


@resource_rule(
    id="KMS-03",
    title="AWS KMS key policies grant nothing to the '*' principal",
    severity="critical",
    category="security",
    types=("aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy"),
    remediation="Name the account root, roles and service principals in every Allow statement; write an explicit "
    "key policy rather than relying on the default.",
    references=("CKV2_AWS_64", "CKV_AWS_33"),
)
def disallow_public_principal(resource, ctx):
    raw = get(resource.props, "policy")
    if resource.type == "aws:kms/key:Key" and not raw:
        yield "policy is not set (the default key policy); expected an explicit key policy"
        return
    doc = policy_document(raw)
    if doc is None:
        return
    for index, st in enumerate(statements(doc)):
        if st.get("Effect") == "Allow" and principal_is_public(st.get("Principal")) and not st.get("Condition"):
            yield f"Statement[{index}] allows Principal '*' without a condition; expected named principals"
