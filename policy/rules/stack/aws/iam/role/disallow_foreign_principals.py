"""IAM-02: policies grant nothing to principals of accounts outside the stack's."""

from policy.props import get
from policy.rules._policy_documents import (
    ELB_LOG_DELIVERY_ACCOUNTS,
    RESOURCE_POLICIES,
    TRUST_POLICIES,
    account_of,
    documents,
    stack_accounts,
)
from policy.rules.base import Violation, stack_rule

KMS_GRANT = "aws:kms/grant:Grant"
TABLES = ({**TRUST_POLICIES}, RESOURCE_POLICIES)


@stack_rule(
    id="IAM-02",
    title="Policies grant nothing to principals of accounts outside the stack's",
    severity="high",
    category="security",
    types=(*dict.fromkeys([*TRUST_POLICIES, *RESOURCE_POLICIES]), "aws:kms/grant:Grant"),
    remediation="Grant only to principals of the stack's own account (the EKS cluster role's) or of the operators "
    "listed in adminRoleArns; cross-account access is a reviewed config change, not a policy edit.",
    references=("CKV_AWS_358", "custom"),
)
def disallow_foreign_principals(ctx):
    # A stack rule: the account anchor (the EKS cluster's role) is another resource, which a
    # CrossGuard resource policy would not see.
    own = stack_accounts(ctx)
    if not own:
        return  # no anchor in this Plan: the stack's account cannot be told
    for grant in ctx.of_type(KMS_GRANT):
        for key in ("granteePrincipal", "retiringPrincipal"):
            principal = str(get(grant.props, key) or "")
            account = account_of(principal)
            if account and account not in own:
                yield Violation(
                    f"{key} {principal!r} of account {account} may use the key; expected the stack's accounts {sorted(own)}",
                    grant.urn,
                )
    for resource in ctx.of_type(*dict.fromkeys([*TRUST_POLICIES, *RESOURCE_POLICIES])):
        for table in TABLES:
            for path, statements in documents(resource, table):
                for st in statements:
                    if not st.allows or st.not_principal:
                        continue
                    for principal in st.principals("AWS") + st.principals("Federated"):
                        account = account_of(principal)
                        if account and account not in own and account not in ELB_LOG_DELIVERY_ACCOUNTS:
                            yield Violation(
                                f"{path}: {st.label} grants {principal!r} of account {account}; expected the stack's "
                                f"accounts {sorted(own)}",
                                resource.urn,
                            )
