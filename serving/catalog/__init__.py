"""Catalogues the capacity planner reads: model architectures, GPU types, GPU instance types.

The data lives in the JSON files beside this module (one row per item, each with its
``source`` URL and ``retrieved`` date) and is loaded through strict pydantic models
(``extra="forbid"``): a misspelt key in a data file is an error, not a silent default.

Lookups raise :class:`~serving.errors.LlmFleetError` for unknown ids, naming the closest
known ids::

    >>> get_gpu("H100").id
    Traceback (most recent call last):
    ...
    serving.errors.LlmFleetError: gpu: unknown GPU type 'H100'; did you mean 'H100-80GB'? ...
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import json
from importlib import resources
from typing import Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from serving._wire import WireModel, first_errors
from serving.errors import LlmFleetError

Cloud = Literal["aws", "gcp"]
WeightDtype = Literal["bfloat16", "float16", "fp8"]
_T = TypeVar("_T", bound=BaseModel)
_K = TypeVar("_K")
_V = TypeVar("_V")

__all__ = [
    "GpuType",
    "InstanceType",
    "ModelArch",
    "MoeSpec",
    "SlidingWindowSpec",
    "get_gpu",
    "get_instance",
    "get_model",
    "list_gpus",
    "list_instances",
    "list_models",
]


class _Row(WireModel):
    pass


class _Sourced(_Row):
    source: str = Field(..., description="URL the values were taken from.")
    retrieved: dt.date = Field(..., description="Date the values were transcribed.")
    note: str | None = Field(None, description="Why a value was corrected or derived by hand.")

    @field_validator("source")
    @classmethod
    def _https(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError(f"source must be an https:// URL, got {value!r}")
        return value


class MoeSpec(_Row):
    experts: int = Field(..., ge=2)
    experts_per_token: int = Field(..., ge=1)
    active_params: int = Field(..., gt=0, description="Parameters read per token (shared + routed experts).")


class SlidingWindowSpec(_Row):
    window: int = Field(..., gt=0, description="Tokens a sliding-window layer attends to.")
    layers: int = Field(..., gt=0, description="How many of the layers use the sliding window.")


class ModelArch(_Sourced):
    """One model architecture, as its Hugging Face ``config.json`` describes it."""

    id: str = Field(..., pattern=r"^[a-z0-9][a-z0-9.-]*$")
    hf_repo: str = Field(..., pattern=r"^[\w.-]+/[\w.-]+$")
    params: int = Field(..., gt=0)
    layers: int = Field(..., gt=0)
    attention_heads: int = Field(..., gt=0)
    kv_heads: int = Field(..., gt=0)
    head_dim: int = Field(..., gt=0)
    hidden_size: int = Field(..., gt=0)
    intermediate_size: int = Field(..., gt=0)
    vocab_size: int = Field(..., gt=0)
    tie_word_embeddings: bool
    native_context: int = Field(..., gt=0, description="max_position_embeddings: the longest context served.")
    weight_dtype: WeightDtype
    moe: MoeSpec | None
    sliding_window: SlidingWindowSpec | None

    @model_validator(mode="after")
    def _consistent(self) -> ModelArch:
        if self.attention_heads % self.kv_heads:
            raise ValueError(f"attentionHeads {self.attention_heads} is not a multiple of kvHeads {self.kv_heads}")
        if self.sliding_window is not None and self.sliding_window.layers >= self.layers:
            raise ValueError("slidingWindow.layers must leave at least one full-attention layer")
        return self

    @property
    def embedding_params(self) -> int:
        """Input embedding plus LM head (one matrix when tied): they stay bf16 under fp8 quantization."""
        return self.vocab_size * self.hidden_size * (1 if self.tie_word_embeddings else 2)

    @property
    def active_params(self) -> int:
        """Parameters read per decoded token (all of them for a dense model)."""
        return self.moe.active_params if self.moe else self.params


class GpuType(_Sourced):
    """One GPU type. ``usable_memory_gib`` is what vLLM multiplies by ``gpu_memory_utilization``."""

    id: str = Field(..., pattern=r"^[A-Z0-9][A-Za-z0-9-]*$")
    name: str
    architecture: Literal["ampere", "ada", "hopper", "blackwell"]
    memory_gb: float = Field(..., gt=0, description="Marketing size, GB.")
    usable_memory_gib: float = Field(..., gt=0, description="Total memory CUDA reports, GiB.")
    bandwidth_gbps: float = Field(..., gt=0, description="Memory bandwidth, GB/s.")
    memory_kind: Literal["hbm", "gddr"] = Field(..., description="HBM or GDDR: the decode model's fallback class.")
    bf16_tflops: float = Field(..., gt=0, description="Dense bf16 tensor throughput, TFLOPS.")
    fp8_tflops: float | None = Field(..., gt=0, description="Dense fp8 tensor throughput, TFLOPS (null: none).")
    fp8: bool = Field(..., description="Has fp8 tensor cores (Ada, Hopper and later).")
    product_label: str = Field(
        ..., description="Value of the nvidia.com/gpu.product node label (GPU feature discovery)."
    )
    memory_source: str = Field(..., description="Where usableMemoryGiB comes from.")
    calibration_only: bool = Field(False, description="Kept only to reproduce a published log; no instance uses it.")

    def peak_tflops(self, weight_dtype: str) -> float:
        """Dense tensor throughput for matmuls in ``weight_dtype`` (fp8 weights run fp8 GEMMs where the GPU has them)."""
        if weight_dtype == "fp8" and self.fp8_tflops:
            return self.fp8_tflops
        return self.bf16_tflops

    @model_validator(mode="after")
    def _usable_below_nominal(self) -> GpuType:
        if self.usable_memory_gib * 2**30 > self.memory_gb * 1e9 * 1.08:
            raise ValueError(f"usableMemoryGiB {self.usable_memory_gib} exceeds the nominal {self.memory_gb} GB")
        return self


class InstanceType(_Sourced):
    """A cloud instance / machine type and the GPUs it carries."""

    cloud: Cloud
    type: str = Field(..., pattern=r"^[a-z0-9][a-z0-9.-]*$")
    gpu: str = Field(..., description="GPU type id (gpus.json).")
    gpu_count: int = Field(..., ge=1, le=16)
    vcpus: int = Field(..., ge=1)
    memory_gib: float = Field(..., gt=0)


class _ModelsFile(_Row):
    about: str = Field(alias="_about")
    models: list[ModelArch]


class _GpusFile(_Row):
    about: str = Field(alias="_about")
    gpus: list[GpuType]


class _InstancesFile(_Row):
    about: str = Field(alias="_about")
    instances: list[InstanceType]


def _load(filename: str, schema: type[_T]) -> _T:
    text = resources.files(__name__).joinpath(filename).read_text(encoding="utf-8")
    try:
        return schema.model_validate(json.loads(text))
    except (ValidationError, json.JSONDecodeError) as exc:
        raise LlmFleetError(f"serving/catalog/{filename}: invalid catalogue data: {first_errors(exc)}") from None


@functools.cache
def _models() -> dict[str, ModelArch]:
    rows = _load("models.json", _ModelsFile).models
    return _unique("models.json", {r.id: r for r in rows}, len(rows))


@functools.cache
def _gpus() -> dict[str, GpuType]:
    rows = _load("gpus.json", _GpusFile).gpus
    return _unique("gpus.json", {r.id: r for r in rows}, len(rows))


@functools.cache
def _instances() -> dict[tuple[str, str], InstanceType]:
    rows = _load("instances.json", _InstancesFile).instances
    table = _unique("instances.json", {(r.cloud, r.type): r for r in rows}, len(rows))
    gpus = _gpus()
    for row in rows:
        if row.gpu not in gpus:
            raise LlmFleetError(
                f"serving/catalog/instances.json: {row.cloud} {row.type}: gpu '{row.gpu}' is not in gpus.json "
                f"(known: {', '.join(sorted(gpus))})"
            )
    return table


def _unique(filename: str, table: dict[_K, _V], count: int) -> dict[_K, _V]:
    if len(table) != count:
        raise LlmFleetError(f"serving/catalog/{filename}: duplicate ids ({count} rows, {len(table)} unique)")
    return table


def _lookup(kind: str, key: str, wanted: str, table: dict[str, _V]) -> _V:
    if wanted in table:
        return table[wanted]
    folded = {k.lower(): v for k, v in table.items()}
    if wanted.lower() in folded:
        return folded[wanted.lower()]
    raise LlmFleetError(f"{key}: unknown {kind} '{wanted}'{_suggest(wanted, list(table))}")


def _suggest(wanted: str, known: list[str]) -> str:
    by_lower = {k.lower(): k for k in known}
    close = [k for k in sorted(by_lower) if k.startswith(wanted.lower())]
    close += [k for k in difflib.get_close_matches(wanted.lower(), list(by_lower), n=3, cutoff=0.5) if k not in close]
    hint = f"; did you mean {' or '.join(repr(by_lower[c]) for c in close[:3])}?" if close else ""
    return f"{hint} (known: {', '.join(sorted(known))})"


def get_model(model_id: str) -> ModelArch:
    """The architecture ``model_id`` (e.g. ``llama-3.1-8b``)."""
    return _lookup("model architecture", "model", model_id, _models())


def get_gpu(gpu_id: str) -> GpuType:
    """The GPU type ``gpu_id`` (e.g. ``L40S``, ``H100-80GB``)."""
    return _lookup("GPU type", "gpu", gpu_id, _gpus())


def get_instance(cloud: str, instance_type: str) -> InstanceType:
    """The GPU instance ``instance_type`` of ``cloud`` (``aws`` or ``gcp``)."""
    table = _instances()
    clouds = sorted({c for c, _ in table})
    if cloud not in clouds:
        raise LlmFleetError(f"cloud: unknown cloud '{cloud}' (allowed: {', '.join(clouds)})")
    if (cloud, instance_type) in table:
        return table[(cloud, instance_type)]
    known = [t for c, t in table if c == cloud]
    raise LlmFleetError(
        f"instanceType: '{instance_type}' is not a GPU instance type of {cloud} in the catalogue"
        f"{_suggest(instance_type, known)}"
    )


def list_models() -> list[ModelArch]:
    return list(_models().values())


def list_gpus(*, include_calibration: bool = False) -> list[GpuType]:
    return [g for g in _gpus().values() if include_calibration or not g.calibration_only]


def list_instances(cloud: str | None = None) -> list[InstanceType]:
    return [i for i in _instances().values() if cloud is None or i.cloud == cloud]
