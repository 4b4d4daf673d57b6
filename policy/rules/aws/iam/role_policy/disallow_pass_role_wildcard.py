"""IAM-04: identity policies allow iam:PassRole only on named roles."""

import re

from policy.rules._policy_documents import IDENTITY_POLICIES, documents
from policy.rules.base import resource_rule

ANY_ROLE = re.compile(r"^(\*|arn:[^:]*:iam::[^:]*:(\*|role/\*|\*/\*))$")
"""'*', or an IAM ARN whose resource part names every role of an account."""


def _any_role(resource_arn: str) -> bool:
    return bool(ANY_ROLE.match(resource_arn))


@resource_rule(
    id="IAM-04",
    title="Identity policies allow iam:PassRole only on named roles",
    severity="high",
    category="security",
    types=tuple(IDENTITY_POLICIES),
    remediation="Scope iam:PassRole to the ARNs of the roles the workload hands to a service (e.g. Karpenter's node "
    "role), ideally with an iam:PassedToService condition.",
    references=("CKV_AWS_287", "custom"),
)
def disallow_pass_role_wildcard(resource, ctx):
    for path, statements in documents(resource, IDENTITY_POLICIES):
        for st in statements:
            wide = ["NotResource"] if st.not_resource else [r for r in st.resources if _any_role(r)]
            if st.grants("iam:PassRole") and wide:
                yield f"{path}: {st.label} allows iam:PassRole on {wide}; expected the ARNs of specific roles"
