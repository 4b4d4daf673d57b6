"""ServingSpec: one model server's settings, and the ``vllm serve`` argv they render to.

The spec is the contract between the infra (which writes it into a ConfigMap as
``spec.json``) and the launcher in the image (which reads it, preflights the GPUs and
execs vLLM). Its argv is rendered for the vLLM the image pins (``serving.versions``);
flags that version removed or renamed are refused with the replacement, whether they
come from a field or from ``extra_flags``.

Secrets never enter the spec: it names the file that holds the API key (``apiKeyFile``, a
mounted Secret) or the environment variable (``apiKeyEnv``), and the launcher hands the key to
vLLM as ``VLLM_API_KEY`` in vLLM's environment only.

A server wider than one node runs as a LeaderWorkerSet group with
``distributedExecutorBackend: ray``: the launcher forms one Ray cluster per group (serving.launch).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal, NamedTuple, get_args, get_origin

from pydantic import Field, ValidationError, field_validator, model_validator

from serving._wire import WireModel, first_errors
from serving.errors import LlmFleetError
from serving.versions import VLLM_VERSION


class RemovedFlag(NamedTuple):
    flag: str
    removed_in: str
    replacement: str


REMOVED_FLAGS: tuple[RemovedFlag, ...] = (
    RemovedFlag(
        "--disable-log-requests", "0.12", "request logging is off by default; --enable-log-requests turns it on"
    ),
    RemovedFlag(
        "--swap-space", "0.18", "CPU swap went with the V0 engine; --kv-offloading-size GIB offloads KV to CPU"
    ),
    RemovedFlag("--task", "0.13 (deprecated; gone by 0.32)", "use --runner generate|pooling and --convert"),
    RemovedFlag("--enable-reasoning", "0.10", "--reasoning-parser NAME alone enables reasoning output"),
    RemovedFlag("--guided-decoding-backend", "before 0.32", '--structured-outputs-config \'{"backend": "..."}\''),
    RemovedFlag(
        "--num-scheduler-steps", "0.10 (V0 multi-step scheduling)", "nothing: the V1 engine schedules every step"
    ),
    RemovedFlag("--use-v2-block-manager", "before 0.32", "nothing: there is one block manager"),
    RemovedFlag("--preemption-mode", "0.18 (with swap)", "nothing: V1 preempts by recomputation"),
    RemovedFlag("--disable-frontend-multiprocessing", "before 0.32", "nothing: the V1 engine runs in its own process"),
    RemovedFlag("--max-seq-len-to-capture", "before 0.32", "--max-cudagraph-capture-size"),
    RemovedFlag("--device", "before 0.32", "nothing: the platform is detected"),
)
"""Flags ``vllm serve`` no longer accepts (checked against vLLM 0.32.0's own parser in
tests/serving/test_vllm_argv.py), with the release that removed them and what replaces them."""


class RenamedValue(NamedTuple):
    flag: str
    value: str
    renamed_in: str
    replacement: str


RENAMED_VALUES: tuple[RenamedValue, ...] = (
    RenamedValue(
        "--quantization",
        "fp8",
        "0.31",
        "fp8_per_tensor for online quantization of a bf16 checkpoint; leave quantization unset for an fp8 "
        "checkpoint (vLLM detects it)",
    ),
)
"""Values the pinned vLLM renamed: its parser still accepts them, but they no longer mean the same."""

KV_CACHE_DTYPES = ("auto", "bfloat16", "float16", "fp8", "fp8_e4m3", "fp8_e5m2")
QUANTIZATIONS = (
    "fp8_per_tensor",
    "fp8_per_block",
    "fp8_per_channel",
    "mxfp8",
    "awq",
    "awq_marlin",
    "gptq",
    "gptq_marlin",
    "compressed-tensors",
    "modelopt",
    "modelopt_fp4",
)
"""Quantization methods a spec may name (vLLM 0.32 accepts more; these are the ones this project uses)."""
LOAD_FORMATS = ("auto", "safetensors", "runai_streamer", "runai_streamer_sharded", "fastsafetensors", "dummy")
RUNAI_FORMATS = ("runai_streamer", "runai_streamer_sharded")

_ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"
_ABSOLUTE_PATH = r"^/[^\s]*[^/\s]$"
_SHA = r"^[0-9a-f]{40}$"


class RunaiStreamerConfig(WireModel):
    """``--model-loader-extra-config`` of the Run:ai streamer (the keys vLLM 0.32 accepts)."""

    concurrency: int | None = Field(None, ge=1, le=256, description="Parallel reads from the bucket.")
    distributed: bool | None = Field(None, description="Each TP rank streams its own share, then they exchange.")
    memory_limit: int | None = Field(None, ge=-1, description="CPU buffer limit in bytes (-1: unlimited).")

    def to_vllm(self) -> str:
        return json.dumps(self.model_dump(exclude_none=True), separators=(",", ":"), sort_keys=True)


class ServingSpec(WireModel):
    """One vLLM server. JSON keys are camelCase (``servedModelName``); Python uses snake_case."""

    model: str = Field(
        ...,
        min_length=1,
        description="Weights: a local path (/models/...), a staged bucket prefix (s3://bucket/prefix, "
        "gs://bucket/prefix; needs loadFormat runai_streamer) or a Hugging Face repo id (org/name).",
    )
    served_model_name: str = Field(..., pattern=r"^[\w./-]+$", description="Name clients send in requests.")
    revision: str | None = Field(
        None, pattern=_SHA, description="40-hex revision of the weights; checked against the staged manifest."
    )
    manifest_sha256: str | None = Field(
        None, pattern=r"^[0-9a-f]{64}$", description="sha256 of the staged manifest.json, when promotion pinned it."
    )
    architecture: str | None = Field(
        None, description="Catalogue architecture id (llama-3.1-8b, ...): lets the launcher check capacity."
    )
    gpu: str | None = Field(None, description="Catalogue GPU type the server is planned for (L40S, H100-80GB, ...).")
    tensor_parallel_size: int = Field(1, ge=1, le=16, description="GPUs per pipeline stage.")
    pipeline_parallel_size: int = Field(1, ge=1, le=16, description="Pipeline stages.")
    distributed_executor_backend: Literal["mp", "ray"] | None = Field(
        None,
        description="vLLM's executor across GPUs: ray for a server that spans nodes (the launcher forms one Ray "
        "cluster per LeaderWorkerSet group); unset: vLLM picks (mp within one node).",
    )
    group_join_timeout: int = Field(
        600,
        ge=30,
        le=7200,
        description="Seconds the leader of a multi-node group waits for every pod to join its Ray head, and a "
        "worker for the head to answer; unused by a one-pod server.",
    )
    max_model_len: int | None = Field(None, ge=16, description="Longest sequence, tokens (default: the model's).")
    gpu_memory_utilization: float = Field(
        0.9, ge=0.1, le=0.98, description="Share of each GPU's memory vLLM may use (vLLM 0.32's own default is 0.92)."
    )
    max_num_seqs: int | None = Field(None, ge=1, le=4096, description="Concurrent sequences (default: 256 or 1024).")
    max_num_batched_tokens: int | None = Field(None, ge=16, description="Tokens per scheduler step.")
    max_num_queued_requests: int | None = Field(
        None,
        ge=1,
        description="Admission control (--max-num-queued-reqs): cap on unfinished requests, waiting AND running "
        "(vLLM 0.32 check_admission; a request with n > 1 takes n slots); above it vLLM answers 503. Set it to "
        "maxNumSeqs plus the queue you accept, never below maxNumSeqs.",
    )
    kv_cache_dtype: Literal["auto", "bfloat16", "float16", "fp8", "fp8_e4m3", "fp8_e5m2"] = Field(
        "auto", description="KV cache element type; fp8 variants halve the KV bytes per token."
    )
    quantization: str | None = Field(None, description=f"One of {', '.join(QUANTIZATIONS)}; unset: auto-detected.")
    dtype: Literal["auto", "bfloat16", "float16"] = Field("auto", description="Activation/weight dtype.")
    enable_prefix_caching: bool = Field(True, description="Reuse KV blocks of shared prompt prefixes.")
    enforce_eager: bool = Field(False, description="Skip CUDA graphs (slower decode, faster start).")
    load_format: Literal[
        "auto", "safetensors", "runai_streamer", "runai_streamer_sharded", "fastsafetensors", "dummy"
    ] = Field("auto", description="Weight loader; runai_streamer streams straight from s3:// or gs://.")
    model_loader_extra_config: RunaiStreamerConfig | None = Field(
        None, description="Run:ai streamer settings; only with loadFormat runai_streamer."
    )
    shutdown_timeout: int = Field(
        45,
        ge=0,
        le=3600,
        description="Seconds in-flight requests may run on after SIGTERM (the launcher's drain proxy answers new "
        "ones 503 + Retry-After meanwhile); then a stream still running ends with an SSE error event and a waiting "
        "request with 503 (0: at once). The launcher exits within this + 7 s.",
    )
    host: str = Field("0.0.0.0", description="Listen address (the pod IP; a NetworkPolicy fronts it).")  # noqa: S104
    port: int = Field(8000, ge=1024, le=65535, description="HTTP port of the OpenAI API, /health and /metrics.")
    api_key_env: str | None = Field(
        None, pattern=_ENV_NAME, description="Name of the environment variable holding the API key (never the key)."
    )
    api_key_file: str | None = Field(
        None,
        pattern=_ABSOLUTE_PATH,
        description="Absolute path of the file holding the API key (a mounted Secret; never the key). Preferred "
        "over apiKeyEnv; set at most one.",
    )
    hf_hub_offline: bool = Field(True, description="Never reach the Hugging Face Hub at run time.")
    require_manifest: bool = Field(
        True, description="Refuse to start unless the staged sha256 manifest is present and matches."
    )
    extra_flags: list[str] = Field(
        default_factory=list, description="More `vllm serve` flags, checked against the pin."
    )

    def __init__(self, **data: object) -> None:
        """Keyword construction raises LlmFleetError (one line per the project's error contract)."""
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise LlmFleetError(f"spec: {first_errors(exc)}") from None

    @field_validator("quantization")
    @classmethod
    def _quantization(cls, value: str | None) -> str | None:
        if value is None:
            return value
        for renamed in RENAMED_VALUES:
            if renamed.flag == "--quantization" and value == renamed.value:
                raise ValueError(f"'{value}' was renamed in vLLM {renamed.renamed_in}: use {renamed.replacement}")
        if value not in QUANTIZATIONS:
            raise ValueError(f"'{value}' is not allowed (allowed: {', '.join(QUANTIZATIONS)})")
        return value

    @field_validator("extra_flags")
    @classmethod
    def _extra_flags(cls, flags: list[str]) -> list[str]:
        check_extra_flags(flags)
        return flags

    @model_validator(mode="after")
    def _consistent(self) -> ServingSpec:
        bucket = self.model.startswith(("s3://", "gs://"))
        if bucket and self.load_format not in RUNAI_FORMATS:
            raise ValueError(
                f"model {self.model!r} is a bucket URI: loadFormat must be runai_streamer (got {self.load_format!r})"
            )
        if self.model_loader_extra_config is not None and self.load_format not in RUNAI_FORMATS:
            raise ValueError("modelLoaderExtraConfig is only read by loadFormat runai_streamer")
        if re.search(r"://[^/]*@|[?#]", self.model):
            raise ValueError("model must not carry credentials, a query or a fragment")
        if self.api_key_env is not None and self.api_key_file is not None:
            raise ValueError(
                f"apiKeyEnv ({self.api_key_env}) and apiKeyFile ({self.api_key_file}) are mutually exclusive: set "
                "apiKeyFile (the mounted Secret) or apiKeyEnv, not both"
            )
        if self.max_num_queued_requests and self.max_num_seqs and self.max_num_queued_requests < self.max_num_seqs:
            raise ValueError(
                f"maxNumQueuedRequests {self.max_num_queued_requests} is below maxNumSeqs {self.max_num_seqs}: vLLM "
                "counts running requests against it too, so the batch could never fill; set at least maxNumSeqs"
            )
        if self.max_num_batched_tokens and self.max_num_seqs and self.max_num_batched_tokens < self.max_num_seqs:
            raise ValueError(
                f"maxNumBatchedTokens {self.max_num_batched_tokens} is below maxNumSeqs {self.max_num_seqs}"
            )
        return self

    # -- rendering ---------------------------------------------------------------------

    @property
    def is_hub_id(self) -> bool:
        return "://" not in self.model and not self.model.startswith(("/", ".")) and self.model.count("/") == 1

    @property
    def gpus(self) -> int:
        return self.tensor_parallel_size * self.pipeline_parallel_size

    def to_vllm_args(self) -> list[str]:
        """Arguments after ``vllm serve`` (the upstream image's ENTRYPOINT), in a fixed order."""
        args = [
            self.model,
            "--served-model-name",
            self.served_model_name,
            "--host",
            self.host,
            "--port",
            str(self.port),
        ]
        if self.is_hub_id and self.revision:
            args += ["--revision", self.revision]
        args += ["--tensor-parallel-size", str(self.tensor_parallel_size)]
        if self.pipeline_parallel_size > 1:
            args += ["--pipeline-parallel-size", str(self.pipeline_parallel_size)]
        if self.distributed_executor_backend is not None:
            args += ["--distributed-executor-backend", self.distributed_executor_backend]
        if self.max_model_len is not None:
            args += ["--max-model-len", str(self.max_model_len)]
        args += ["--gpu-memory-utilization", f"{self.gpu_memory_utilization:g}"]
        for flag, value in (
            ("--max-num-seqs", self.max_num_seqs),
            ("--max-num-batched-tokens", self.max_num_batched_tokens),
            ("--max-num-queued-reqs", self.max_num_queued_requests),
        ):
            if value is not None:
                args += [flag, str(value)]
        args += ["--kv-cache-dtype", self.kv_cache_dtype]
        if self.dtype != "auto":
            args += ["--dtype", self.dtype]
        if self.quantization is not None:
            args += ["--quantization", self.quantization]
        args.append("--enable-prefix-caching" if self.enable_prefix_caching else "--no-enable-prefix-caching")
        if self.enforce_eager:
            args.append("--enforce-eager")
        args += ["--load-format", self.load_format]
        if self.model_loader_extra_config is not None:
            args += ["--model-loader-extra-config", self.model_loader_extra_config.to_vllm()]
        args += ["--shutdown-timeout", str(self.shutdown_timeout)]
        return args + list(self.extra_flags)

    def to_vllm_argv(self) -> list[str]:
        """The full command the launcher execs: ``["vllm", "serve", ...]``."""
        return ["vllm", "serve", *self.to_vllm_args()]

    # -- files ---------------------------------------------------------------------------

    def to_json(self, *, indent: int | None = 2) -> str:
        """The ConfigMap's ``spec.json`` (camelCase keys, every field written)."""
        return json.dumps(self.model_dump(mode="json", by_alias=True), indent=indent, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str, *, origin: str = "spec") -> ServingSpec:
        """Parse and validate; errors are one LlmFleetError naming the key, the value and what is allowed."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LlmFleetError(f"{origin}: not valid JSON: {exc}") from None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise LlmFleetError(f"{origin}: {first_errors(exc)}") from None
        except LlmFleetError as exc:  # raised by __init__, which model_validate runs
            raise LlmFleetError(f"{origin}: {str(exc).removeprefix('spec: ')}") from None

    @classmethod
    def from_file(cls, path: str | Path) -> ServingSpec:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise LlmFleetError(f"spec: cannot read {path}: {exc.strerror or exc}") from None
        return cls.from_json(text, origin=str(path))


# Flags a field renders: setting them through extra_flags would fight the field.
OWNED_FLAGS: dict[str, str] = {
    "--model": "model (rendered as the positional argument)",
    "--served-model-name": "servedModelName",
    "--revision": "revision",
    "--host": "host",
    "--port": "port",
    "--tensor-parallel-size": "tensorParallelSize",
    "-tp": "tensorParallelSize",
    "--pipeline-parallel-size": "pipelineParallelSize",
    "-pp": "pipelineParallelSize",
    "--distributed-executor-backend": "distributedExecutorBackend",
    "--max-model-len": "maxModelLen",
    "--gpu-memory-utilization": "gpuMemoryUtilization",
    "--max-num-seqs": "maxNumSeqs",
    "--max-num-batched-tokens": "maxNumBatchedTokens",
    "--max-num-queued-reqs": "maxNumQueuedRequests",
    "--kv-cache-dtype": "kvCacheDtype",
    "--dtype": "dtype",
    "--quantization": "quantization",
    "-q": "quantization",
    "--enable-prefix-caching": "enablePrefixCaching",
    "--no-enable-prefix-caching": "enablePrefixCaching",
    "--enforce-eager": "enforceEager",
    "--load-format": "loadFormat",
    "--model-loader-extra-config": "modelLoaderExtraConfig",
    "--shutdown-timeout": "shutdownTimeout",
    "--api-key": "apiKeyFile or apiKeyEnv (the key stays out of argv: the launcher passes it as VLLM_API_KEY)",
}


def check_extra_flags(flags: list[str]) -> None:
    """Refuse removed, renamed and field-owned flags, and anything that looks like a secret."""
    removed = {r.flag: r for r in REMOVED_FLAGS}
    for i, token in enumerate(flags):
        if not token.startswith("-"):
            continue
        name = token.split("=", 1)[0]
        if name.startswith("--") and name not in OWNED_FLAGS and name not in removed:
            # vLLM's parser accepts unambiguous prefixes: "--tensor-parallel" means --tensor-parallel-size.
            longer = sorted(f for f in OWNED_FLAGS if f.startswith(name))
            if longer:
                raise ValueError(
                    f"'{name}' abbreviates {longer[0]}, which the spec field {OWNED_FLAGS[longer[0]]} sets"
                )
        if name in removed:
            r = removed[name]
            raise ValueError(
                f"'{name}' was removed from vLLM in {r.removed_in} and vLLM {VLLM_VERSION} refuses it: {r.replacement}"
            )
        if name in OWNED_FLAGS:
            value = token.split("=", 1)[1] if "=" in token else (flags[i + 1] if i + 1 < len(flags) else "")
            for renamed in RENAMED_VALUES:
                if name in (renamed.flag, "-q") and value == renamed.value:
                    raise ValueError(
                        f"'{name} {value}' was renamed in vLLM {renamed.renamed_in}: use {renamed.replacement}"
                    )
            raise ValueError(f"'{name}' is set by the spec field {OWNED_FLAGS[name]}, not by extraFlags")
        if re.search(r"(token|secret|password|api-key)", name):
            raise ValueError(f"'{name}' would put a secret in argv; pass secrets through the environment")


def reference_table() -> str:
    """Markdown table of the spec's JSON keys (serving/README.md embeds it; a test keeps it current)."""
    rows = ["| key | type | default | description |", "| --- | --- | --- | --- |"]
    for name, info in ServingSpec.model_fields.items():
        kind = _type_name(info.annotation)
        default = "required" if info.is_required() else json.dumps(info.get_default(call_default_factory=True))
        if isinstance(info.get_default(call_default_factory=True), RunaiStreamerConfig):
            default = "null"
        text = (info.description or "").replace("|", "\\|")
        rows.append(f"| `{info.alias or name}` | {kind} | `{default}` | {text} |")
    return "\n".join(rows)


def _type_name(annotation: object) -> str:
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in get_args(annotation))
    if args and get_origin(annotation) is not list:
        inner = " or ".join(_type_name(a) for a in args)
        return f"{inner} or null" if type(None) in get_args(annotation) else inner
    if get_origin(annotation) is list:
        return f"list of {_type_name(args[0])}"
    if annotation is RunaiStreamerConfig:
        return "object (`concurrency`, `distributed`, `memoryLimit`)"
    return f"`{getattr(annotation, '__name__', annotation)}`"
