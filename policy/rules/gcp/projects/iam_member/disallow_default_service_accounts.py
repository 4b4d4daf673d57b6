"""IAM-12: GCP default service accounts get no project roles."""

import re

from policy.rules._policy_documents import GCP_HIGH_LEVEL_IAM, gcp_grants
from policy.rules.base import resource_rule

DEFAULT_ACCOUNT = re.compile(
    r"^serviceAccount:(\d+-compute@developer\.gserviceaccount\.com|[a-z0-9-]+@appspot\.gserviceaccount\.com)$"
)


@resource_rule(
    id="IAM-12",
    title="GCP default service accounts get no project roles",
    severity="high",
    category="security",
    types=GCP_HIGH_LEVEL_IAM,
    remediation="Create a dedicated service account for the job and grant the role to it; every VM that runs as the "
    "Compute Engine default account inherits what it is granted.",
    references=("CIS GCP 2.0 4.1", "CKV_GCP_46"),
)
def disallow_default_service_accounts(resource, ctx):
    for role, member in gcp_grants(resource):
        if DEFAULT_ACCOUNT.match(member):
            yield f"{role} is granted to the default service account {member.split(':', 1)[1]!r}; expected a dedicated one"
