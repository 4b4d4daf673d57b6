"""The whole red-team catalogue, with the gaps the pack has not closed yet.

``GAPS`` maps a mutation id to the missing rule; those run as ``xfail(strict=True)``, so a rule
that starts blocking one flips its test and the entry must go. Regenerate GAPS.md with
``python -m tests.policy.redteam.gaps``.
"""

from __future__ import annotations

from dataclasses import replace

from tests.policy.redteam.catalogue_config import CONFIG_MUTATIONS
from tests.policy.redteam.catalogue_plan import PLAN_MUTATIONS
from tests.policy.redteam.catalogue_plan_more import PLAN_MUTATIONS_MORE
from tests.policy.redteam.catalogue_safe import SAFE_CONFIG, SAFE_PLAN
from tests.policy.redteam.edits import Mutation

GAPS: dict[str, str] = {
    # identity
    "ID-33": "KMS grants (aws:kms/grant) to principals outside the stack's accounts",
    "ID-34": "service principals in resource policies without aws:SourceArn/aws:SourceAccount (confused deputy)",
    "GID-14": "Workload Identity bindings for a namespace's default KSA (or the default namespace)",
    "GID-15": "user-managed service account keys (gcp:serviceaccount/key)",
    # network
    "NET-35": "NetworkPolicy egress that reaches the instance metadata range (169.254.169.254)",
    "NET-36": "Services exposed through Helm values (service.type LoadBalancer/NodePort in chart values)",
    "NET-39": "private route tables routing 0.0.0.0/0 to an internet gateway",
    # edge
    "EDGE-33": "Cloud Armor advancedOptionsConfig.jsonParsing DISABLED (WAF blind to JSON bodies)",
    "EDGE-34": "WAF logging filters that drop records",
    "EDGE-36": "ALB xffHeaderProcessingMode preserve (client-supplied X-Forwarded-For trusted)",
    # secrets
    "S-13": "WAF logging must redact the Authorization and x-api-key headers",
    "S-14": "webhook URLs with tokens in Helm values (Slack, ...)",
    "S-16": "Grafana anonymous access (auth.anonymous) in Helm values",
    # workloads and RBAC
    "K-31": "long-lived service-account token Secrets (kubernetes.io/service-account-token)",
    # cost
    "C-14": "GCP budgets must notify someone (channels or default IAM recipients)",
    "S-12": "credentials in Helm repository URLs (userinfo)",
}
FALSE_POSITIVES: dict[str, str] = {}


def _with_gaps(items: list[Mutation], gaps: dict[str, str]) -> list[Mutation]:
    return [replace(m, gap=gaps.get(m.id)) for m in items]


PLAN = _with_gaps([*PLAN_MUTATIONS, *PLAN_MUTATIONS_MORE], GAPS)
CONFIG = _with_gaps(CONFIG_MUTATIONS, GAPS)
SAFE_PLAN_VARIANTS = _with_gaps(SAFE_PLAN, FALSE_POSITIVES)
SAFE_CONFIG_VARIANTS = _with_gaps(SAFE_CONFIG, FALSE_POSITIVES)
ALL = [*PLAN, *CONFIG, *SAFE_PLAN_VARIANTS, *SAFE_CONFIG_VARIANTS]
