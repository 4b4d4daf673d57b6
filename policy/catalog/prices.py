"""The price catalogue (prices.yaml), loaded through strict typed models."""

from __future__ import annotations

import functools
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from policy.catalog import HERE
from serving.errors import LlmFleetError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Source(_Strict):
    url: str = Field(pattern=r"^https://")
    retrieved: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    note: str | None = None


class InstancePrice(_Strict):
    cloud: Literal["aws", "gcp"]
    region: str
    type: str
    gpu: str
    gpus: int = Field(ge=1)
    on_demand: float = Field(alias="onDemand", gt=0)
    spot_low: float | None = Field(alias="spotLow", default=None)
    spot_high: float | None = Field(alias="spotHigh", default=None)
    source: str

    @model_validator(mode="after")
    def _spot_range(self) -> InstancePrice:
        if (self.spot_low is None) != (self.spot_high is None):
            raise ValueError(f"{self.type}: give both spotLow and spotHigh or neither")
        if self.spot_low is not None and self.spot_high is not None and not (0 < self.spot_low <= self.spot_high):
            raise ValueError(f"{self.type}: spotLow must be > 0 and <= spotHigh")
        return self

    def hourly(self, capacity: str, point: Literal["low", "mid", "high"] = "mid") -> float:
        """Hourly price of one instance: on-demand, or spot at the low/mid/high end of its range.

        A spot price the catalogue does not know is taken at on-demand (an upper bound).
        """
        if capacity != "spot" or self.spot_low is None or self.spot_high is None:
            return self.on_demand
        return {"low": self.spot_low, "high": self.spot_high, "mid": (self.spot_low + self.spot_high) / 2}[point]


class NodePrice(_Strict):
    """A CPU (system) node type: on-demand price per instance-hour."""

    cloud: Literal["aws", "gcp"]
    region: str
    type: str
    on_demand: float = Field(alias="onDemand", gt=0)
    source: str


class PlatformPrice(_Strict):
    cloud: Literal["aws", "gcp"]
    unit: Literal["hour", "cluster-hour", "month"]
    price: float = Field(ge=0)
    usage: str | None = None
    note: str | None = None
    source: str

    @property
    def hourly(self) -> float:
        return self.price if self.unit.endswith("hour") else self.price / HOURS_PER_MONTH


class PriceCatalogue(_Strict):
    currency: Literal["USD"]
    hours_per_month: int = Field(alias="hoursPerMonth")
    sources: dict[str, Source]
    instances: list[InstancePrice]
    nodes: list[NodePrice] = Field(default_factory=list)
    platform: dict[str, PlatformPrice]

    @model_validator(mode="after")
    def _sources_resolve(self) -> PriceCatalogue:
        for row in [*self.instances, *self.nodes, *self.platform.values()]:
            if row.source not in self.sources:
                name = getattr(row, "type", None) or next(k for k, v in self.platform.items() if v is row)
                raise ValueError(f"{name}: source {row.source!r} is not in sources")
        return self

    def cite(self, source: str) -> str:
        entry = self.sources[source]
        return f"{entry.url} (retrieved {entry.retrieved})"


HOURS_PER_MONTH = 730


@functools.cache
def catalogue() -> PriceCatalogue:
    with open(HERE / "prices.yaml", encoding="utf-8") as f:
        return PriceCatalogue.model_validate(yaml.safe_load(f))


def instance_price(cloud: str, instance_type: str, region: str | None = None) -> InstancePrice | None:
    """The catalogue row of an instance type (in ``region`` when given and present)."""
    rows = [r for r in catalogue().instances if r.cloud == cloud and r.type == instance_type]
    if region:
        exact = [r for r in rows if r.region == region]
        rows = exact or rows
    return rows[0] if rows else None


def node_price(cloud: str, instance_type: str, region: str | None = None) -> NodePrice | None:
    """The catalogue row of a CPU (system) node type (in ``region`` when given and present)."""
    rows = [r for r in catalogue().nodes if r.cloud == cloud and r.type == instance_type]
    if region:
        rows = [r for r in rows if r.region == region] or rows
    return rows[0] if rows else None


def platform_price(key: str) -> PlatformPrice:
    try:
        return catalogue().platform[key]
    except KeyError:
        raise LlmFleetError(
            f"price catalogue: no platform price {key!r}; expected one of {sorted(catalogue().platform)}"
        ) from None


def is_gpu_instance(cloud: str, instance_type: str) -> bool:
    """Whether an instance type carries GPUs: the catalogue, else the GPU instance families."""
    if instance_price(cloud, instance_type):
        return True
    import re

    if cloud == "aws":
        return bool(re.match(r"^(g[3-9][a-z]*|p[2-9][a-z]*|gr6)\.", instance_type))
    if cloud == "gcp":
        return bool(re.match(r"^(a2|a3|a4|g2|g4)-", instance_type))
    return False
