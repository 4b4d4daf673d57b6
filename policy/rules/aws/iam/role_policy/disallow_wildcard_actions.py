"""IAM-03: identity policies grant no '*' or 'service:*' actions on every resource."""

import re

from policy.rules._policy_documents import IDENTITY_POLICIES, documents
from policy.rules.base import resource_rule

WILDCARD_ACTION = re.compile(r"^(\*|[a-z0-9-]+:\*)$", re.IGNORECASE)


@resource_rule(
    id="IAM-03",
    title="Identity policies grant no '*' or 'service:*' actions on every resource",
    severity="high",
    category="security",
    types=tuple(IDENTITY_POLICIES),
    remediation="List the actions the workload calls and the ARNs it calls them on; an Allow with NotAction on '*' "
    "grants every other action and is as broad.",
    references=("CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_286", "CKV_AWS_355", "CIS AWS 3.0 1.16"),
)
def disallow_wildcard_actions(resource, ctx):
    for path, statements in documents(resource, IDENTITY_POLICIES):
        for st in statements:
            if not st.allows or not st.every_resource:
                continue
            if st.not_action:
                yield f"{path}: {st.label} allows NotAction {list(st.actions)} on '*' (every other action); expected named actions"
                continue
            broad = [a for a in st.actions if WILDCARD_ACTION.match(a)]
            if broad:
                on = "NotResource (everything else)" if st.not_resource else "Resource '*'"
                yield f"{path}: {st.label} allows {broad} on {on}; expected named actions on named resources"
