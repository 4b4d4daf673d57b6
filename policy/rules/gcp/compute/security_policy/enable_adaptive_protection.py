"""ARMOR-05: Cloud Armor policies outside dev have Adaptive Protection (layer 7 DDoS defense) on."""

from policy.props import get
from policy.rules._helpers import environment_is_dev
from policy.rules.base import resource_rule


@resource_rule(
    id="ARMOR-05",
    title="Cloud Armor policies outside dev have Adaptive Protection (layer 7 DDoS defense) on",
    severity="medium",
    category="security",
    types=("gcp:compute/securityPolicy:SecurityPolicy",),
    remediation="Set adaptiveProtectionConfig.layer7DdosDefenseConfig {enable: true, ruleVisibility: 'STANDARD'}.",
    references=("custom",),
    doc="https://cloud.google.com/armor/docs/adaptive-protection-overview",
)
def enable_adaptive_protection(resource, ctx):
    if environment_is_dev(ctx) or get(resource.props, "type", "CLOUD_ARMOR") != "CLOUD_ARMOR":
        return
    if get(resource.props, "adaptiveProtectionConfig.layer7DdosDefenseConfig.enable") is not True:
        yield "adaptiveProtectionConfig.layer7DdosDefenseConfig.enable is not true; expected true"
