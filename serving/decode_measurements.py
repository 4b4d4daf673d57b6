"""The sourced measurement table (catalog/decode_measurements.json) and the model's prediction for a row."""

from __future__ import annotations

import datetime as dt
import functools
import json
from importlib import resources
from typing import Literal

from pydantic import Field, ValidationError, field_validator

from serving._wire import WireModel, first_errors
from serving.catalog import get_gpu, get_model
from serving.decode import DecodeFit, Server, Workload, estimate, output_tokens_per_second
from serving.errors import LlmFleetError

Metric = Literal["tpotMs", "streamTokensPerSecond", "outputTokensPerSecond"]


class Measurement(WireModel):
    id: str = Field(..., pattern=r"^[a-z0-9][a-z0-9.-]*$")
    source: str = Field(..., description="URL of the page the figure was read from.")
    vllm_version: str | None = Field(..., description="vLLM version the run used (null: not stated).")
    model: str
    gpu: str
    tp: int = Field(..., ge=1)
    weight_dtype: Literal["bfloat16", "fp8"]
    kv_cache_dtype: Literal["auto", "fp8"]
    prompt_tokens: int = Field(..., ge=1)
    output_tokens: int = Field(..., ge=1)
    lengths_stated: bool = Field(..., description="False: the lengths are an assumption explained in note.")
    concurrency: int = Field(..., ge=1)
    metric: Metric
    value: float = Field(..., gt=0)
    use: Literal["fit", "holdout", "excluded"]
    trustworthy: bool
    retrieved: dt.date
    note: str

    @field_validator("source")
    @classmethod
    def _https(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError(f"source must be an https:// URL, got {value!r}")
        return value


class _File(WireModel):
    about: str = Field(alias="_about")
    measurements: list[Measurement]


@functools.cache
def measurements() -> tuple[Measurement, ...]:
    text = resources.files("serving.catalog").joinpath("decode_measurements.json").read_text(encoding="utf-8")
    try:
        return tuple(_File.model_validate(json.loads(text)).measurements)
    except (ValidationError, json.JSONDecodeError) as exc:
        raise LlmFleetError(f"serving/catalog/decode_measurements.json: invalid data: {first_errors(exc)}") from None


def server_for(row: Measurement) -> Server:
    return _server(row.model, row.gpu, row.tp, row.weight_dtype, row.kv_cache_dtype)


@functools.cache
def _server(model: str, gpu: str, tp: int, weight_dtype: str, kv_cache_dtype: str) -> Server:
    from serving.capacity import KV_DTYPE_BYTES, weight_bytes

    arch = get_model(model)
    card = get_gpu(gpu)
    quantization = "fp8_per_tensor" if weight_dtype == "fp8" and arch.weight_dtype != "fp8" else None
    total, dtype = weight_bytes(arch, quantization)
    per_token = 2 * arch.layers * max(1, arch.kv_heads // tp) * arch.head_dim * KV_DTYPE_BYTES[kv_cache_dtype]
    return Server(arch, card, tp, 1, dtype, total, per_token)


def predict(row: Measurement, fit: DecodeFit | None = None) -> float:
    """The model's figure for ``row``, in the row's metric."""
    server = server_for(row)
    work = Workload(row.prompt_tokens, row.output_tokens)
    if row.metric == "outputTokensPerSecond":
        return output_tokens_per_second(server, row.concurrency, work, fit)
    e = estimate(server, row.concurrency, work, fit)
    if row.metric == "tpotMs":
        return e.tpot_s * 1000
    return e.stream_tokens_per_second
