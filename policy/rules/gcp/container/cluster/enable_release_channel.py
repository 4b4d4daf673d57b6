"""GKE-11: GKE clusters are enrolled in a release channel."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("releaseChannel.channel", one_of=("RAPID", "REGULAR", "STABLE", "EXTENDED"), insecure="UNSPECIFIED"),
    id="GKE-11",
    title="GKE clusters are enrolled in a release channel",
    severity="medium",
    category="security",
    types=("gcp:container/cluster:Cluster",),
    remediation="Set releaseChannel.channel (stack key releaseChannel: RAPID, REGULAR or STABLE).",
    references=("CIS GKE 1.6 5.5.4", "CKV_GCP_70"),
)
