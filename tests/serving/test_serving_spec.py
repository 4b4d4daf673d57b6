"""ServingSpec: argv golden files, removed/renamed flags, JSON round trip, error messages.

Regenerate the golden files after an intended change with:
    LLMFLEET_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/serving/test_serving_spec.py -k golden
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from serving.errors import LlmFleetError
from serving.spec import REMOVED_FLAGS, ServingSpec
from serving.versions import VLLM_VERSION
from tests.serving.serving_cases import cases

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("LLMFLEET_REGEN_GOLDEN") == "1"
BASE = {"model": "/models/llama-3.1-8b", "served_model_name": "llama"}


@pytest.mark.parametrize("name", sorted(cases()))
def test_argv_matches_golden_file(name):
    spec = cases()[name]
    rendered = {"vllmVersion": VLLM_VERSION, "argv": spec.to_vllm_argv()}
    path = GOLDEN / f"{name}.argv.json"
    text = json.dumps(rendered, indent=2) + "\n"
    if REGEN:
        path.write_text(text)
    assert path.exists(), f"missing {path}; run with LLMFLEET_REGEN_GOLDEN=1"
    assert path.read_text() == text, f"{path} is stale; rerun with LLMFLEET_REGEN_GOLDEN=1 if the change is intended"


def test_golden_spec_json_round_trips():
    for name, spec in cases().items():
        again = ServingSpec.from_json(spec.to_json())
        assert again == spec, name
        assert json.loads(spec.to_json())["servedModelName"] == spec.served_model_name


def test_argv_shape():
    argv = cases()["prod-llama-70b-h100-tp4"].to_vllm_argv()
    assert argv[:3] == ["vllm", "serve", "s3://llm-weights/llama-70b/1605565b47bb9346c5515c34102e054115b4f98b"]
    assert argv[argv.index("--tensor-parallel-size") + 1] == "4"
    assert json.loads(argv[argv.index("--model-loader-extra-config") + 1]) == {"concurrency": 16, "distributed": True}
    assert "--api-key" not in argv and "--model" not in argv
    assert "--no-enable-prefix-caching" in cases()["qwen3-8b-l40s-fp8"].to_vllm_argv()


@pytest.mark.parametrize("removed", REMOVED_FLAGS, ids=lambda r: r.flag)
def test_removed_flags_are_refused_with_their_replacement(removed):
    with pytest.raises(LlmFleetError) as err:
        ServingSpec(**BASE, extra_flags=[removed.flag, "1"])
    message = str(err.value)
    assert f"'{removed.flag}' was removed from vLLM in {removed.removed_in}" in message
    assert removed.replacement in message


def test_removed_flag_in_equals_form_is_refused():
    with pytest.raises(LlmFleetError, match=r"extraFlags: '--swap-space' was removed from vLLM in 0.18"):
        ServingSpec(**BASE, extra_flags=["--swap-space=4"])


@pytest.mark.parametrize(
    "spec",
    [
        {"quantization": "fp8"},
        {"extra_flags": ["--quantization", "fp8"]},
        {"extra_flags": ["-q=fp8"]},
    ],
)
def test_online_fp8_was_renamed(spec):
    with pytest.raises(LlmFleetError, match=r"fp8.* was renamed in vLLM 0.31: use fp8_per_tensor"):
        ServingSpec(**BASE, **spec)


@pytest.mark.parametrize(
    ("extra", "pattern"),
    [
        (["--tensor-parallel-size", "2"], r"'--tensor-parallel-size' is set by the spec field tensorParallelSize"),
        (["--api-key", "abc"], r"'--api-key' is set by the spec field apiKeyFile or apiKeyEnv"),
        (["--distributed-executor-backend=ray"], r"set by the spec field distributedExecutorBackend"),
        (["--hf-token=abc"], r"'--hf-token' would put a secret in argv"),
        (["--tensor-parallel", "2"], r"'--tensor-parallel' abbreviates --tensor-parallel-size"),
        (["--api-k=abc"], r"'--api-k' abbreviates --api-key"),
    ],
)
def test_extra_flags_cannot_fight_fields_or_carry_secrets(extra, pattern):
    with pytest.raises(LlmFleetError, match=pattern):
        ServingSpec(**BASE, extra_flags=extra)


@pytest.mark.parametrize(
    ("fields", "pattern"),
    [
        ({"model": "s3://bucket/llama"}, r"is a bucket URI: loadFormat must be runai_streamer \(got 'auto'\)"),
        ({"model_loader_extra_config": {"concurrency": 4}}, r"modelLoaderExtraConfig is only read by loadFormat"),
        ({"model": "s3://key:secret@bucket/x", "load_format": "runai_streamer"}, r"must not carry credentials"),
        ({"gpu_memory_utilization": 0.99}, r"gpuMemoryUtilization: Input should be less than or equal to 0.98"),
        ({"kv_cache_dtype": "int8"}, r"kvCacheDtype: Input should be 'auto', 'bfloat16'"),
        ({"quantization": "bitsandbytes"}, r"quantization: 'bitsandbytes' is not allowed \(allowed: fp8_per_tensor"),
        ({"api_key_env": "my-key"}, r"apiKeyEnv: String should match pattern"),
        ({"api_key_file": "secrets/api-key"}, r"apiKeyFile: String should match pattern"),
        ({"api_key_file": "/var/run/secrets/api-key/"}, r"apiKeyFile: String should match pattern"),
        (
            {"api_key_env": "LLMFLEET_API_KEY", "api_key_file": "/var/run/secrets/llm-fleet/api-key/api-key"},
            r"apiKeyEnv \(LLMFLEET_API_KEY\) and apiKeyFile \(/var/run/secrets/llm-fleet/api-key/api-key\) are "
            r"mutually exclusive",
        ),
        ({"distributed_executor_backend": "uni"}, r"distributedExecutorBackend: Input should be 'mp' or 'ray'"),
        ({"group_join_timeout": 5}, r"groupJoinTimeout: Input should be greater than or equal to 30"),
        ({"revision": "main"}, r"revision: String should match pattern"),
        ({"max_num_seqs": 64, "max_num_batched_tokens": 32}, r"maxNumBatchedTokens 32 is below maxNumSeqs 64"),
        (
            {"max_num_seqs": 64, "max_num_queued_requests": 32},
            r"maxNumQueuedRequests 32 is below maxNumSeqs 64: vLLM counts running requests against it too",
        ),
        ({"swap_space": 4}, r"swapSpace: Extra inputs are not permitted"),
    ],
)
def test_bad_specs_name_the_key_and_what_is_allowed(fields, pattern):
    with pytest.raises(LlmFleetError, match=pattern):
        ServingSpec(**{**BASE, **fields})


def test_from_json_reports_camel_case_keys_and_the_file(tmp_path):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({"model": "/m", "servedModelName": "m", "tensorParallelSize": 0}))
    with pytest.raises(LlmFleetError, match=rf"{path}: tensorParallelSize: Input should be greater than or equal to 1"):
        ServingSpec.from_file(path)
    path.write_text("{not json")
    with pytest.raises(LlmFleetError, match=r"not valid JSON"):
        ServingSpec.from_file(path)
    with pytest.raises(LlmFleetError, match=r"cannot read"):
        ServingSpec.from_file(tmp_path / "missing.json")


def test_hub_ids_render_their_revision():
    spec = ServingSpec(
        model="meta-llama/Llama-3.1-8B-Instruct",
        served_model_name="llama",
        revision="0e9e39f249a16976918f6564b8830bc894c89659",
        hf_hub_offline=False,
    )
    argv = spec.to_vllm_argv()
    assert argv[argv.index("--revision") + 1] == "0e9e39f249a16976918f6564b8830bc894c89659"


def test_ray_backend_renders_once_and_only_when_set():
    ray = cases()["lwsvariant-llama-70b-2x2-ray"].to_vllm_argv()
    assert ray[ray.index("--distributed-executor-backend") + 1] == "ray"
    assert ray.count("--distributed-executor-backend") == 1
    assert ray[ray.index("--tensor-parallel-size") + 1] == "4"
    assert "--distributed-executor-backend" not in cases()["prod-llama-70b-h100-tp4"].to_vllm_argv()


def test_api_key_file_never_reaches_argv():
    spec = ServingSpec(**BASE, api_key_file="/var/run/secrets/llm-fleet/api-key/api-key")
    assert not any("api-key" in arg or "api_key" in arg for arg in spec.to_vllm_argv())
    assert json.loads(spec.to_json())["apiKeyFile"] == "/var/run/secrets/llm-fleet/api-key/api-key"
