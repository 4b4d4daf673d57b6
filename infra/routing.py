"""Hybrid routing across targets: one public hostname per model set (operations issue)."""

from __future__ import annotations

from typing import Any

from infra.config import StackConfig


def build_routing(config: StackConfig, targets: dict[str, Any]) -> None:
    """Health-checked failover or weighted DNS across targets, per ``config.routing``."""
    return None
