"""Rendered argv against the pinned vLLM's own argument parser.

Needs the separate vLLM virtualenv (about 6 GB, see requirements/vllm.txt); skipped unless
LLMFLEET_VLLM_PYTHON names its interpreter:

    LLMFLEET_VLLM_PYTHON=.venv-vllm/bin/python .venv/bin/python -m pytest tests/serving -m vllm
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from serving.spec import REMOVED_FLAGS
from serving.versions import VLLM_VERSION
from tests.serving.serving_cases import cases

pytestmark = pytest.mark.vllm

# Runs inside the vLLM virtualenv: builds `vllm serve`'s parser once, parses every case.
PARSE = r"""
import contextlib, io, json, sys
import vllm
from vllm.utils.argparse_utils import FlexibleArgumentParser
from vllm.entrypoints.launchers.cli_args import make_arg_parser

request = json.load(sys.stdin)
parser = make_arg_parser(FlexibleArgumentParser())
out = {"version": vllm.__version__, "parsed": {}, "rejected": {}}
fields = ("model_tag", "served_model_name", "host", "port", "tensor_parallel_size", "pipeline_parallel_size",
          "max_model_len", "gpu_memory_utilization", "max_num_seqs", "max_num_batched_tokens",
          "max_num_queued_reqs", "kv_cache_dtype", "dtype", "quantization", "enable_prefix_caching",
          "enforce_eager", "load_format", "model_loader_extra_config", "shutdown_timeout", "revision",
          "enable_log_requests", "disable_uvicorn_access_log", "api_key", "distributed_executor_backend")
for name, args in request["cases"].items():
    ns = parser.parse_args(args)
    out["parsed"][name] = {f: getattr(ns, f, "<missing>") for f in fields}
for flag, args in request["removed"].items():
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            parser.parse_args(args)
        out["rejected"][flag] = None
    except SystemExit as exc:
        out["rejected"][flag] = [exc.code, err.getvalue().strip().splitlines()[-1:]]
print("RESULT " + json.dumps(out, default=str))
"""


@pytest.fixture(scope="module")
def vllm_parse():
    python = os.environ.get("LLMFLEET_VLLM_PYTHON")
    if not python or not Path(python).exists():
        pytest.skip("set LLMFLEET_VLLM_PYTHON to the python of a virtualenv with vllm==0.32.0 (requirements/vllm.txt)")
    request = {
        "cases": {name: spec.to_vllm_args() for name, spec in cases().items()},
        "removed": {r.flag: ["/models/x", r.flag, "1"] for r in REMOVED_FLAGS}
        | {f"{r.flag} (alone)": ["/models/x", r.flag] for r in REMOVED_FLAGS},
    }
    env = {**os.environ, "VLLM_TARGET_DEVICE": "cpu", "VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1"}
    done = subprocess.run(
        [python, "-c", PARSE],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1].removeprefix("RESULT "))


def test_the_virtualenv_has_the_pinned_vllm(vllm_parse):
    assert vllm_parse["version"].startswith(VLLM_VERSION)


@pytest.mark.parametrize("name", sorted(cases()))
def test_real_parser_reads_every_field_as_rendered(vllm_parse, name):
    spec = cases()[name]
    got = vllm_parse["parsed"][name]
    assert got["model_tag"] == spec.model
    assert got["served_model_name"] == [spec.served_model_name]
    assert got["port"] == spec.port and got["host"] == spec.host
    assert got["tensor_parallel_size"] == spec.tensor_parallel_size
    assert got["pipeline_parallel_size"] == spec.pipeline_parallel_size
    assert got["max_model_len"] == spec.max_model_len
    assert got["gpu_memory_utilization"] == spec.gpu_memory_utilization
    assert got["max_num_seqs"] == spec.max_num_seqs
    assert got["max_num_batched_tokens"] == spec.max_num_batched_tokens
    assert got["max_num_queued_reqs"] == spec.max_num_queued_requests
    assert got["kv_cache_dtype"] == spec.kv_cache_dtype
    assert got["quantization"] == spec.quantization
    assert got["enable_prefix_caching"] is spec.enable_prefix_caching
    assert got["enforce_eager"] is spec.enforce_eager
    assert got["load_format"] == spec.load_format
    extra = spec.model_loader_extra_config
    assert got["model_loader_extra_config"] == (extra.model_dump(exclude_none=True) if extra else {})
    assert got["shutdown_timeout"] == spec.shutdown_timeout
    assert got["api_key"] is None  # the key travels as VLLM_API_KEY, never in argv
    assert got["distributed_executor_backend"] == spec.distributed_executor_backend


def test_extra_flags_reach_the_parser(vllm_parse):
    got = vllm_parse["parsed"]["qwen3-8b-l40s-fp8"]
    assert got["enable_log_requests"] is True and got["disable_uvicorn_access_log"] is True


@pytest.mark.parametrize("flag", [r.flag for r in REMOVED_FLAGS])
def test_real_parser_rejects_the_removed_flags_too(vllm_parse, flag):
    for key in (flag, f"{flag} (alone)"):
        rejected = vllm_parse["rejected"][key]
        assert rejected is not None, f"vLLM {VLLM_VERSION} accepted {key}: drop it from REMOVED_FLAGS"
        message = rejected[1][0]
        assert rejected[0] == 2 and ("unrecognized arguments" in message or "ambiguous option" in message), message
