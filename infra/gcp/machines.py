"""GKE facts about GPU machines, loaded from ``machines.json`` (each row with its source).

The serving catalogue says which GPU a machine type carries and how many; this table adds
what GKE needs on top: the Compute Engine accelerator type of each GPU and the boot disk
type a machine family supports.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from serving.errors import LlmFleetError

DEFAULT_BOOT_DISK_TYPE = "pd-balanced"


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)

    source: str = Field(..., pattern=r"^https://", description="URL the value was taken from.")
    retrieved: dt.date
    note: str | None = None


class Accelerator(_Row):
    gpu: str = Field(..., description="GPU type id of serving/catalog/gpus.json.")
    accelerator_type: str = Field(..., pattern=r"^nvidia-[a-z0-9-]+$", description="Compute Engine accelerator type.")


class BootDisk(_Row):
    machine_prefix: str = Field(..., description="Machine type prefix, e.g. 'a3-highgpu-'.")
    disk_type: str = Field(..., pattern=r"^(pd|hyperdisk)-[a-z-]+$")


class _MachinesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    about: str = Field(alias="_about")
    accelerators: list[Accelerator]
    boot_disks: list[BootDisk] = Field(alias="bootDisks")


@functools.cache
def _table() -> _MachinesFile:
    text = resources.files(__package__).joinpath("machines.json").read_text(encoding="utf-8")
    try:
        return _MachinesFile.model_validate(json.loads(text))
    except (ValidationError, json.JSONDecodeError) as exc:
        raise LlmFleetError(f"infra/gcp/machines.json: invalid data: {exc}") from None


def accelerator_type(gpu: str, where: str) -> str:
    """Compute Engine accelerator type of the catalogue GPU ``gpu``; ``where`` names the config key."""
    table = {a.gpu: a.accelerator_type for a in _table().accelerators}
    if gpu not in table:
        raise LlmFleetError(
            f"{where}: GPU '{gpu}' has no GKE accelerator type in infra/gcp/machines.json "
            f"(known: {', '.join(sorted(table))})"
        )
    return table[gpu]


def boot_disk_type(machine_type: str) -> str:
    """Boot disk type for ``machine_type``: the longest matching prefix, else pd-balanced."""
    matches = [d for d in _table().boot_disks if machine_type.startswith(d.machine_prefix)]
    if not matches:
        return DEFAULT_BOOT_DISK_TYPE
    return max(matches, key=lambda d: len(d.machine_prefix)).disk_type
