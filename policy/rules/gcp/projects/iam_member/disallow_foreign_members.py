"""IAM-14: GCP grants name no service accounts or workload identities of projects outside the stack's."""

import re

from policy.rules._policy_documents import gcp_grants, is_gcp_iam
from policy.rules.base import resource_rule

PROJECT_SA = re.compile(r"^serviceAccount:([^@]+)@([a-z][-a-z0-9]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$")
SERVICE_AGENT = re.compile(r"^(service-(org-)?\d+|\d+)$")
"""Google-managed service agents (service-<project number>@<service>.iam...): named by the project's number."""
WORKLOAD_POOL = re.compile(r"^serviceAccount:([a-z][-a-z0-9]{4,28}[a-z0-9])\.svc\.id\.goog\[")


def stack_projects(ctx) -> set[str]:
    """The GCP projects the stack's targets declare (the reviewed config)."""
    return {str(t.get("project")) for t in ctx.settings.targets if t.get("kind") == "gcp" and t.get("project")}


@resource_rule(
    id="IAM-14",
    title="GCP grants name no service accounts or workload identities of projects outside the stack's",
    severity="high",
    category="security",
    types=("gcp:projects/iAMMember:IAMMember", "gcp:*"),
    remediation="Grant roles to the stack's own service accounts and Workload Identity principals; access from another "
    "project is a reviewed change to the stack config (a target of that project), not a grant.",
    references=("custom",),
)
def disallow_foreign_members(resource, ctx):
    if not is_gcp_iam(resource.type):
        return
    projects = stack_projects(ctx)
    if not projects:
        return
    for role, member in gcp_grants(resource):
        account = PROJECT_SA.match(member)
        if account and not SERVICE_AGENT.match(account.group(1)):
            project = account.group(2)
        elif pool := WORKLOAD_POOL.match(member):
            project = pool.group(1)
        else:
            continue
        if project not in projects:
            yield f"{role} is granted to {member!r} of project {project!r}; expected the stack's projects {sorted(projects)}"
