"""AR-01: Artifact Registry Docker repositories have immutable tags."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("dockerConfig.immutableTags", equals=True, insecure=False),
    id="AR-01",
    title="Artifact Registry Docker repositories have immutable tags",
    severity="medium",
    category="security",
    types=("gcp:artifactregistry/repository:Repository",),
    remediation="Set dockerConfig.immutableTags true.",
    references=("custom",),
)
