"""K8S-16: RBAC bindings give no workload admin, wildcard or escalation rights, and nothing to everyone."""

from policy.props import as_list, get
from policy.rules._rbac import (
    CLUSTER_ROLE,
    CLUSTER_ROLE_BINDING,
    ROLE,
    ROLE_BINDING,
    dangerous,
    role_of,
    rules_of,
    subject_label,
)
from policy.rules.base import Violation, stack_rule

BROAD_GROUPS = ("system:authenticated", "system:unauthenticated", "system:serviceaccounts")
"""Groups that hold every user, every anonymous caller or every service account."""
DISCOVERY_ROLES = ("system:discovery", "system:basic-user", "system:public-info-viewer")
"""What Kubernetes itself grants the broad groups."""
ADMIN_ROLES = {"cluster-admin", "admin", "edit"}
"""Built-in roles that give a ServiceAccount control of the cluster or of its namespace (edit
includes reading Secrets and exec into pods)."""


def _broad(subject) -> bool:
    name = str(get(subject, "name") or "")
    if get(subject, "kind") == "Group":
        return name in BROAD_GROUPS or name.startswith("system:serviceaccounts:")
    return get(subject, "kind") == "User" and name == "system:anonymous"


@stack_rule(
    id="K8S-16",
    title="RBAC bindings give no workload admin, wildcard or escalation rights, and nothing to everyone",
    severity="critical",
    category="security",
    types=(CLUSTER_ROLE_BINDING, ROLE_BINDING, CLUSTER_ROLE, ROLE),
    remediation="Bind ServiceAccounts to a Role listing the verbs and resources they need; never bind cluster-admin, "
    "admin or edit, nor a role with '*' verbs, bind/escalate/impersonate, pods/exec or serviceaccounts/token, to a "
    "ServiceAccount; bind nothing to system:authenticated, system:unauthenticated, system:serviceaccounts[:ns] or "
    "system:anonymous.",
    references=("CIS Kubernetes 1.8 5.1.1", "CIS Kubernetes 1.8 5.1.3", "CKV_K8S_49"),
    doc="https://kubernetes.io/docs/concepts/security/rbac-good-practices/",
)
def disallow_broad_bindings(ctx):
    for binding in ctx.of_type(CLUSTER_ROLE_BINDING, ROLE_BINDING):
        role_name = str(get(binding.props, "roleRef.name") or "")
        reasons = sorted({r for rule in rules_of(role_of(ctx, binding)) if (r := dangerous(rule))})
        for subject in as_list(get(binding.props, "subjects")):
            who = subject_label(subject)
            if _broad(subject) and role_name not in DISCOVERY_ROLES:
                yield Violation(f"binds {role_name!r} to {who} (everyone in it); expected specific subjects", binding.urn)
            elif get(subject, "kind") == "ServiceAccount" and role_name in ADMIN_ROLES:
                yield Violation(f"binds {role_name!r} to {who}; expected a least-privilege Role", binding.urn)
            elif get(subject, "kind") == "ServiceAccount" and reasons:
                yield Violation(
                    f"binds {role_name!r}, which allows {'; '.join(reasons)}, to {who}; expected a least-privilege Role",
                    binding.urn,
                )
