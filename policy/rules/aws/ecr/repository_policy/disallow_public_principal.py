"""ECR-04: ECR repository policies grant nothing to the '*' principal."""

from policy.rules._policy_documents import RESOURCE_POLICIES, documents
from policy.rules.base import resource_rule


@resource_rule(
    id="ECR-04",
    title="ECR repository policies grant nothing to the '*' principal",
    severity="critical",
    category="security",
    types=("aws:ecr/repositoryPolicy:RepositoryPolicy", "aws:ecr/registryPolicy:RegistryPolicy"),
    remediation="Name the roles (node role, CI role) allowed to pull or push; a condition narrows '*' only when it "
    "names the caller (aws:PrincipalAccount, aws:PrincipalOrgID ... with StringEquals).",
    references=("CKV_AWS_32",),
)
def disallow_public_principal(resource, ctx):
    for _, statements in documents(resource, RESOURCE_POLICIES):
        for st in statements:
            if st.allows and st.public_principal and not st.restriction():
                detail = "" if not st.conditions else " (its conditions do not narrow the caller)"
                yield f"Statement[{st.index}] allows Principal '*'{detail}; expected named principals"
