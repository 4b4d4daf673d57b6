"""Offline evaluation of the Pulumi program under the SDK's mock runtime -> a Plan.

`evaluate_stack(stack)` is the one entry point; see runner.py. It is imported lazily:
reading a Plan (a Plan JSON file, the evaluation cache) must not import Pulumi.
"""

from typing import Any

from infra.plan.model import SECRET, Plan, PlanResource

__all__ = ["SECRET", "Plan", "PlanResource", "evaluate_config", "evaluate_stack"]


def __getattr__(name: str) -> Any:
    if name in ("evaluate_config", "evaluate_stack"):
        from infra.plan import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'infra.plan' has no attribute {name!r}")
