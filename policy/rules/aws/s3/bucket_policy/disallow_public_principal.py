"""IAM-01: resource policies (S3, SQS, SNS, Secrets Manager, ECR registry, Logs) grant nothing to everyone."""

from policy.rules._policy_documents import RESOURCE_POLICIES, documents
from policy.rules.base import resource_rule

OWN_RULES = ("aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy", "aws:ecr/repositoryPolicy:RepositoryPolicy",
             "aws:ecr/registryPolicy:RegistryPolicy")  # fmt: skip
"""Types whose public principals KMS-03 and ECR-04 report."""


@resource_rule(
    id="IAM-01",
    title="Resource policies (S3, SQS, SNS, Secrets Manager, ECR registry, Logs) grant nothing to everyone",
    severity="critical",
    category="security",
    types=tuple(t for t in RESOURCE_POLICIES if t not in OWN_RULES),
    remediation="Name the principals (roles, service principals) in every Allow statement, or narrow '*' with a "
    "condition on the caller: aws:SourceAccount, aws:SourceArn, aws:PrincipalOrgID, aws:SourceVpce ... with "
    "StringEquals/ArnLike and a concrete value. Conditions on other keys (aws:SecureTransport) do not narrow it.",
    references=("CKV_AWS_70", "CKV_AWS_72", "CKV_AWS_168", "CKV_AWS_169", "CIS AWS 3.0 2.1.1"),
)
def disallow_public_principal(resource, ctx):
    for path, statements in documents(resource, RESOURCE_POLICIES):
        for st in statements:
            if st.allows and st.public_principal and not st.restriction():
                who = "NotPrincipal (everyone else)" if st.not_principal else "Principal '*'"
                why = "" if not st.conditions else " under conditions that do not narrow the caller"
                yield f"{path}: {st.label} allows {who}{why}; expected named principals or a caller condition"
