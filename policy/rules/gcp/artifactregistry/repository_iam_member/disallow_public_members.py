"""AR-04: no Artifact Registry IAM grant names allUsers or allAuthenticatedUsers."""

from policy.props import iam_members
from policy.rules.base import resource_rule


@resource_rule(
    id="AR-04",
    title="No Artifact Registry IAM grant names allUsers or allAuthenticatedUsers",
    severity="critical",
    category="security",
    types=(
        "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
        "gcp:artifactregistry/repositoryIamBinding:RepositoryIamBinding",
    ),
    remediation="Grant roles/artifactregistry.reader to the node and CI service accounts only.",
    references=("CKV_GCP_101",),
)
def disallow_public_members(resource, ctx):
    for member in iam_members(resource.props):
        if member in ("allUsers", "allAuthenticatedUsers"):
            yield f"member {member!r} makes the repository public; expected specific principals"
