"""What an AWS load balancer is, one answer for every rule that asks (not a rule: modules
starting with '_' are skipped). The AWS provider declares the same resource under two tokens."""

from __future__ import annotations

from typing import Any

from policy.props import get

AWS_LOAD_BALANCER_TYPES = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
"""``aws.lb.LoadBalancer`` and its alias ``aws.alb.LoadBalancer``."""


def is_internal(props: Any) -> bool:
    """``internal`` true; the provider also takes the string "true" for a bool."""
    return get(props, "internal") in (True, "true")


def is_application(props: Any) -> bool:
    """An application load balancer: ``loadBalancerType`` "application", or unset/empty (the default)."""
    return (get(props, "loadBalancerType") or "application") == "application"
