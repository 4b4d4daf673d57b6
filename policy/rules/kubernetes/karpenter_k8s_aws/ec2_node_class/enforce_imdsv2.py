"""EKS-08: Karpenter EC2NodeClasses require IMDSv2 with a hop limit of 1."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    # Karpenter's defaults are secure (required, hop limit 1): only an explicit weaker value fails.
    Expect("spec.metadataOptions.httpTokens", equals="required", default="required", insecure="optional"),
    Expect("spec.metadataOptions.httpPutResponseHopLimit", equals=1, default=1, insecure=2),
    id="EKS-08",
    title="Karpenter EC2NodeClasses require IMDSv2 with a hop limit of 1",
    severity="high",
    category="security",
    types=("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",),
    remediation="Set spec.metadataOptions.httpTokens 'required' and httpPutResponseHopLimit 1 (or leave both unset).",
    references=("CKV_AWS_79", "CKV_AWS_341"),
    doc="https://karpenter.sh/docs/concepts/nodeclasses/#specmetadataoptions",
)
