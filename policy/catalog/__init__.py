"""Data the policy pack reads: the Kubernetes version calendar and the price catalogue."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent


@functools.cache
def _versions() -> dict[str, Any]:
    with open(HERE / "kubernetes_versions.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)


@dataclass(frozen=True)
class SupportStatus:
    version: str
    state: str
    """'standard', 'extended', 'unsupported' or 'unknown'."""
    until: dt.date | None
    standard_versions: list[str]

    def describe(self) -> str:
        if self.state == "extended":
            return f"in extended support (standard support ended {self.until_text}; 6x the control-plane price)"
        if self.state == "unsupported":
            return "past the end of extended support"
        if self.state == "unknown":
            return "not in the version calendar"
        return f"in standard support until {self.until_text}"

    @property
    def until_text(self) -> str:
        return self.until.isoformat() if self.until else "?"


def kubernetes_support(platform: str, version: str, today: dt.date) -> SupportStatus:
    """Support state of a managed Kubernetes minor version on ``today``."""
    rows = _versions().get(platform) or []
    standard = [
        str(r["version"])
        for r in rows
        if dt.date.fromisoformat(str(r["endOfStandard"])) >= today
        and dt.date.fromisoformat(str(r["released"])) <= today
    ]
    for row in rows:
        if str(row["version"]) != version:
            continue
        end_standard = dt.date.fromisoformat(str(row["endOfStandard"]))
        end_extended = dt.date.fromisoformat(str(row["endOfExtended"]))
        if today <= end_standard:
            return SupportStatus(version, "standard", end_standard, standard)
        if today <= end_extended:
            return SupportStatus(version, "extended", end_standard, standard)
        return SupportStatus(version, "unsupported", end_extended, standard)
    return SupportStatus(version, "unknown", None, standard)
