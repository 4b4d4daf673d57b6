"""ECR-04: ECR repository policies grant nothing to the '*' principal."""

from policy.props import get, policy_document, principal_is_public, statements
from policy.rules.base import resource_rule


@resource_rule(
    id="ECR-04",
    title="ECR repository policies grant nothing to the '*' principal",
    severity="critical",
    category="security",
    types=("aws:ecr/repositoryPolicy:RepositoryPolicy",),
    remediation="Name the roles (node role, CI role) allowed to pull or push.",
    references=("CKV_AWS_32",),
)
def disallow_public_principal(resource, ctx):
    doc = policy_document(get(resource.props, "policy"))
    for index, st in enumerate(statements(doc or {})):
        if st.get("Effect") == "Allow" and principal_is_public(st.get("Principal")) and not st.get("Condition"):
            yield f"Statement[{index}] allows Principal '*'; expected named principals"
