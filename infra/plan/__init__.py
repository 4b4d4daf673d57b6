"""Offline evaluation of the Pulumi program under the SDK's mock runtime -> a Plan.

`evaluate_stack(stack)` is the one entry point; see runner.py.
"""

from infra.plan.model import SECRET, Plan, PlanResource
from infra.plan.runner import evaluate_config, evaluate_stack

__all__ = ["SECRET", "Plan", "PlanResource", "evaluate_config", "evaluate_stack"]
