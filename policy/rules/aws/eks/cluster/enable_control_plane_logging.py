"""EKS-03: EKS sends all five control-plane log types to CloudWatch."""

from policy.rules.base import Expect, value_rule

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")

rule = value_rule(
    Expect("enabledClusterLogTypes", contains_all=LOG_TYPES, insecure=["api"]),
    id="EKS-03",
    title="EKS sends all five control-plane log types to CloudWatch",
    severity="medium",
    category="security",
    types=("aws:eks/cluster:Cluster",),
    remediation="Set enabledClusterLogTypes to ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'].",
    references=("CIS EKS 1.7 2.1.1", "CKV_AWS_37"),
)
