"""ALB-05: load balancers write access logs to a bucket."""

from policy.rules._load_balancers import AWS_LOAD_BALANCER_TYPES
from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("accessLogs.enabled", equals=True, insecure=False),
    Expect("accessLogs.bucket", present=True, insecure=""),
    id="ALB-05",
    title="Load balancers write access logs to a bucket",
    severity="medium",
    category="security",
    types=AWS_LOAD_BALANCER_TYPES,
    remediation="Set accessLogs = {bucket: <log bucket>, enabled: true, prefix: ...} (the bucket uses SSE-S3 and a "
    "policy for the ELB log delivery service).",
    references=("CKV_AWS_91",),
)
