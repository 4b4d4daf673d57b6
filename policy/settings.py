"""The stack configuration as the policy pack reads it.

The Plan carries the validated config (camelCase, defaults filled in); a CrossGuard run
reads the raw ``llm-fleet:*`` keys from the engine, where defaults are absent. This view
answers both the same way: every default below equals the one in ``infra/config.py``
(a test checks that), because policy must not import infra.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_ALLOWED_MODEL_SOURCES = ("hf://meta-llama/", "hf://Qwen/", "hf://mistralai/", "hf://google/")
DEFAULT_COST_CENTER = "llm-platform"
ENFORCEMENTS = ("advisory", "mandatory", "disabled")


@dataclass(frozen=True)
class Suppression:
    rule: str
    resource: str
    justification: str
    owner: str
    expires: dt.date
    index: int

    def expired(self, today: dt.date) -> bool:
        return today > self.expires


def _seq(value: Any) -> list[Any]:
    if value is None or isinstance(value, str | bytes):
        return []
    if isinstance(value, Sequence):
        return list(value)
    return []


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


class StackSettings:
    """Read-only accessors over the camelCase stack config dict."""

    def __init__(self, config: Mapping[str, Any] | None, stack: str = "stack"):
        self.raw: Mapping[str, Any] = config or {}
        self.stack = stack

    # -- identity -----------------------------------------------------------------
    @property
    def environment(self) -> str:
        return str(self.raw.get("environment") or ("prod" if self.stack == "prod" else "dev"))

    @property
    def owner(self) -> str | None:
        return self.raw.get("owner")

    @property
    def cost_center(self) -> str:
        return str(self.raw.get("costCenter") or DEFAULT_COST_CENTER)

    # -- policy settings ------------------------------------------------------------
    @property
    def _policy(self) -> Mapping[str, Any]:
        return _map(self.raw.get("policy"))

    @property
    def enforcement(self) -> str:
        """Default enforcement: ``policy.enforcement``, else mandatory in prod, advisory elsewhere."""
        value = self._policy.get("enforcement")
        if value in ENFORCEMENTS:
            return str(value)
        return "mandatory" if self.environment == "prod" else "advisory"

    @property
    def overrides(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in _map(self._policy.get("overrides")).items() if v in ENFORCEMENTS}

    def enforcement_for(self, rule_id: str) -> str:
        return self.overrides.get(rule_id, self.enforcement)

    @property
    def allowed_instance_types(self) -> list[str]:
        return [str(t) for t in _seq(self._policy.get("allowedInstanceTypes"))]

    @property
    def allowed_model_sources(self) -> list[str]:
        if "allowedModelSources" in self._policy:
            return [str(s) for s in _seq(self._policy.get("allowedModelSources"))]
        return list(DEFAULT_ALLOWED_MODEL_SOURCES)

    @property
    def suppressions(self) -> list[Suppression]:
        out = []
        for index, item in enumerate(_seq(self._policy.get("suppressions"))):
            item = _map(item)
            expires = item.get("expires")
            if isinstance(expires, str):
                try:
                    expires = dt.date.fromisoformat(expires)
                except ValueError:
                    expires = dt.date.min
            if not isinstance(expires, dt.date):
                expires = dt.date.min
            out.append(
                Suppression(
                    rule=str(item.get("rule", "")),
                    resource=str(item.get("resource", "")),
                    justification=str(item.get("justification", "")),
                    owner=str(item.get("owner", "")),
                    expires=expires,
                    index=index,
                )
            )
        return out

    # -- budget -------------------------------------------------------------------------
    @property
    def budget_usd(self) -> float | None:
        value = _map(self.raw.get("budget")).get("monthlyUsd")
        return float(value) if isinstance(value, int | float) else None

    # -- targets, pools, models ----------------------------------------------------------
    @property
    def targets(self) -> list[Mapping[str, Any]]:
        return [_map(t) for t in _seq(self.raw.get("targets"))]

    def target(self, name: str | None) -> Mapping[str, Any] | None:
        return next((t for t in self.targets if t.get("name") == name), None)

    def target_kind(self, name: str | None) -> str | None:
        target = self.target(name)
        return str(target.get("kind")) if target else None

    def pools(self, target: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        return [_map(p) for p in _seq(target.get("gpuPools"))]

    @property
    def models(self) -> list[Mapping[str, Any]]:
        return [_map(m) for m in _seq(self.raw.get("models"))]

    def placements(self) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
        return [(m, _map(p)) for m in self.models for p in _seq(m.get("placements"))]

    @property
    def target_names(self) -> list[str]:
        return [str(t.get("name")) for t in self.targets if t.get("name")]
