"""IAM-13: model servers' cloud identities only read (no writing weights, keys or policies)."""

import re

from policy.props import as_list, get
from policy.rules._helpers import workload_pods
from policy.rules._network import model_server_pods
from policy.rules._policy_documents import gcp_grants, role_grants, role_name
from policy.rules.base import resource_rule

POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
GSA_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
GSA_BINDING = "gcp:serviceaccount/iAMBinding:IAMBinding"
AWS_WRITES = (
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectAcl",
    "s3:PutBucketPolicy",
    "s3:DeleteBucket",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:ScheduleKeyDeletion",
    "kms:PutKeyPolicy",
    "ecr:PutImage",
    "iam:PutRolePolicy",
)
"""Actions that change weights, images, keys or policies: a model server only reads its weights."""
GCP_WRITE_ROLE = re.compile(
    r"^roles/(storage\.(objectAdmin|objectCreator|objectUser|admin|legacyBucketWriter|legacyBucketOwner)"
    r"|artifactregistry\.(writer|repoAdmin|admin)|cloudkms\.(admin|cryptoKeyEncrypter)|owner|editor)$"
)
KSA_MEMBER = re.compile(r"^serviceAccount:[^\[]+\[([^/\]]+)/([^\]]+)\]$")


def _server_accounts(ctx) -> set[tuple[str, str]]:
    """(namespace, service account) the model-server pods run as."""

    def build() -> set[tuple[str, str]]:
        namespaces = {ns for _, ns, _ in model_server_pods(ctx)}
        out = set()
        for resource in ctx.resources:
            namespace = get(resource.props, "metadata.namespace")
            if namespace not in namespaces:
                continue
            for _, spec in workload_pods(resource):
                if any(
                    get(c, ("resources", "limits", "nvidia.com/gpu"))
                    or get(c, ("resources", "requests", "nvidia.com/gpu"))
                    for c in as_list(get(spec, "containers"))
                ):
                    out.add((str(namespace), str(get(spec, "serviceAccountName") or "default")))
        return out

    return ctx.memo("iam:model-server-accounts", build)


def _gsa_grants(ctx, email: str) -> list[tuple[str, str]]:
    """(resource name, role) of every write role granted to a Google service account (indexed once)."""

    def build() -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for r in ctx.resources:
            if not r.type.startswith("gcp:") or "IAM" not in r.type.upper() or r.type in (GSA_MEMBER, GSA_BINDING):
                continue
            for role, member in gcp_grants(r):
                if GCP_WRITE_ROLE.match(role):
                    out.setdefault(member, []).append((r.name, role))
        return out

    return ctx.memo("iam:gsa-write-grants", build).get(f"serviceAccount:{email}", [])


@resource_rule(
    id="IAM-13",
    title="Model servers' cloud identities only read (no writing weights, keys or policies)",
    severity="high",
    category="security",
    types=(POD_IDENTITY, GSA_MEMBER, GSA_BINDING),
    remediation="Bind the model server's service account to a role / Google service account that only reads its "
    "weights (s3:GetObject, roles/storage.objectViewer); writing is the staging Job's identity alone.",
    references=("custom",),
)
def disallow_model_server_writes(resource, ctx):
    servers = _server_accounts(ctx)
    props = resource.props
    if resource.type == POD_IDENTITY:
        if (str(get(props, "namespace")), str(get(props, "serviceAccount"))) not in servers:
            return
        role = str(get(props, "roleArn") or "")
        writes = role_grants(ctx, role, AWS_WRITES)
        if writes:
            yield f"model server {get(props, 'namespace')}/{get(props, 'serviceAccount')} gets role {role_name(role)!r}, which may {writes[:3]}; expected read-only"
        return
    if get(props, "role") != "roles/iam.workloadIdentityUser":
        return
    email = str(get(props, "serviceAccountId") or "").rsplit("/", 1)[-1]
    for _, member in gcp_grants(resource):
        match = KSA_MEMBER.match(member)
        if not match or (match.group(1), match.group(2)) not in servers:
            continue
        writes = _gsa_grants(ctx, email)
        if writes:
            yield f"model server {match.group(1)}/{match.group(2)} acts as {email!r}, which holds {writes[0][1]} ({writes[0][0]}); expected read-only"
