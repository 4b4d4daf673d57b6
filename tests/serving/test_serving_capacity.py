"""The capacity planner: calibration against published vLLM logs, fit errors, recommendations."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serving.capacity import (
    BLOCK_SIZE,
    CALIBRATION,
    CROSS_CHECKS,
    GIB,
    plan_capacity,
    recommend_tp,
    valid_tp_sizes,
)
from serving.catalog import get_model, list_gpus, list_models
from serving.errors import LlmFleetError
from serving.recommend import recommend_instance


@pytest.mark.parametrize("case", CALIBRATION, ids=lambda c: c["model"])
def test_reproduces_the_published_startup_logs_within_5_percent(case):
    plan = plan_capacity(case["model"], case["gpu"], **case["kwargs"])
    assert plan.kv_tokens == pytest.approx(case["kv_tokens"], rel=0.05)
    assert plan.kv_cache_gib_per_gpu == pytest.approx(case["kv_cache_gib"], rel=0.05)


@pytest.mark.parametrize("case", CROSS_CHECKS, ids=lambda c: c["model"])
def test_multi_gpu_cross_checks_within_5_percent(case):
    plan = plan_capacity(case["model"], case["gpu"], **case["kwargs"])
    assert plan.kv_tokens == pytest.approx(case["kv_tokens"], rel=0.05)


def test_rtx3090_log_details():
    # vllm#10517: weights 14.99 GiB, 1,952 blocks, "Maximum concurrency for 20000 tokens per request: 1.56x".
    plan = plan_capacity(
        "llama-3.1-8b",
        "RTX-3090",
        max_model_len=20000,
        max_num_batched_tokens=20000,
        max_num_seqs=256,
        count_cuda_graphs=False,
    )
    assert plan.weights_gib_per_gpu == pytest.approx(14.99, rel=0.01)
    assert plan.kv_blocks == pytest.approx(1952, rel=0.05)
    assert plan.max_concurrency == pytest.approx(1.56, rel=0.05)
    assert plan.activation_gib_per_gpu == pytest.approx(17.06 - 14.99, rel=0.02)


def test_activation_scales_with_batched_tokens_like_the_29k_log():
    # Same issue, --max-model-len 29000: peak_torch_memory 17.98 GiB -> activation 2.99 GiB.
    plan = plan_capacity(
        "llama-3.1-8b",
        "RTX-3090",
        max_model_len=23000,
        max_num_batched_tokens=29000,
        max_num_seqs=256,
        count_cuda_graphs=False,
    )
    assert plan.activation_gib_per_gpu == pytest.approx(17.98 - 14.99, rel=0.02)


def test_json_has_the_documented_keys():
    data = json.loads(plan_capacity("llama-3.1-8b", "L40S", max_model_len=16384).to_json())
    for key in (
        "weightsGiBPerGpu",
        "kvCacheGiBPerGpu",
        "kvTokens",
        "maxConcurrency",
        "fits",
        "overheadGiBPerGpu",
        "activationGiBPerGpu",
        "decodeTokensPerSecond",
        "tp",
        "maxModelLen",
        "kvCacheDtype",
        "vllmVersion",
    ):
        assert key in data, key
    assert data["fits"] is True and data["tp"] == 1 and data["maxModelLen"] == 16384


def test_text_output_names_the_parts():
    text = plan_capacity("qwen3-8b", "H100-80GB").to_text()
    assert "KV cache" in text and "max concurrency" in text and "fits" in text


def test_model_too_big_for_one_gpu_names_the_numbers_and_what_fits():
    with pytest.raises(LlmFleetError) as err:
        plan_capacity("llama-3.1-70b", "L40S", tp=1, max_model_len=32768)
    message = str(err.value)
    assert message.startswith("capacity: llama-3.1-70b on 1x L40S (tp=1")
    assert "weights 131.42 GiB" in message and "exceed the budget 40.23 GiB (44.70 GiB x 0.9)" in message
    assert "would fit with tp=4 (4x L40S" in message


def test_max_model_len_the_kv_cache_cannot_hold_names_the_longest_that_fits():
    with pytest.raises(LlmFleetError) as err:
        plan_capacity("llama-3.1-8b", "L4", tp=1, max_model_len=131072)
    message = str(err.value)
    plan = plan_capacity("llama-3.1-8b", "L4", tp=1, max_model_len=8192)
    assert f"holds {plan.kv_tokens:,} tokens, fewer than one sequence of max_model_len 131,072" in message
    assert f"max_model_len <= {plan.kv_tokens:,}" in message
    assert "kv_cache_dtype=fp8" in message or "tp=2" in message


def test_max_model_len_beyond_native_context_is_refused():
    with pytest.raises(LlmFleetError, match=r"maxModelLen: 65,536 exceeds qwen2.5-7b's native context 32,768"):
        plan_capacity("qwen2.5-7b", "H100-80GB", max_model_len=65536)


def test_nothing_fits_suggests_fp8_weights():
    with pytest.raises(LlmFleetError, match=r"would fit with quantization=fp8_per_tensor at tp=8"):
        plan_capacity("llama-3.1-405b", "H100-80GB", max_model_len=32768)


def test_non_strict_plan_reports_instead_of_raising():
    plan = plan_capacity("llama-3.1-70b", "L4", tp=1, strict=False)
    assert not plan.fits and plan.problems and plan.kv_tokens == 0 and plan.max_running_seqs == 0


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"tp": 3}, r"tp: 3 is not a valid tensor-parallel size for llama-3.1-8b .*allowed: 1, 2, 4, 8"),
        ({"kv_cache_dtype": "int4"}, r"kvCacheDtype: 'int4' is not allowed \(allowed: auto, bfloat16"),
        ({"gpu_memory_utilization": 1.0}, r"gpuMemoryUtilization: 1.0 is out of range \(allowed: 0.1 to 0.98\)"),
        ({"quantization": "awq"}, r"quantization: 'awq' is not sized by the planner"),
    ],
)
def test_bad_inputs_name_the_key_and_what_is_allowed(kwargs, pattern):
    with pytest.raises(LlmFleetError, match=pattern):
        plan_capacity("llama-3.1-8b", "H100-80GB", **kwargs)


def test_tp_recommendation():
    assert plan_capacity("llama-3.1-8b", "L4", max_model_len=8192).tp == 1
    assert plan_capacity("llama-3.1-70b", "H100-80GB", max_model_len=32768).tp == 4
    assert recommend_tp("llama-3.1-70b", "H100-80GB", max_model_len=32768, quantization="fp8_per_tensor") == 2
    assert recommend_tp("llama-3.1-8b", "L4", max_model_len=8192, target_concurrency=6) == 2
    assert valid_tp_sizes(get_model("qwen2.5-7b")) == [1, 2, 4]  # 28 heads: 8 does not divide them


def test_fp8_kv_cache_doubles_the_tokens():
    auto = plan_capacity("llama-3.1-8b", "L40S", max_model_len=8192)
    fp8 = plan_capacity("llama-3.1-8b", "L40S", max_model_len=8192, kv_cache_dtype="fp8")
    assert fp8.kv_bytes_per_token_per_gpu * 2 == auto.kv_bytes_per_token_per_gpu
    assert fp8.kv_tokens == pytest.approx(2 * auto.kv_tokens, rel=0.01)


def test_sliding_window_layers_are_capped_per_sequence():
    plan = plan_capacity("gemma-2-9b", "L40S", max_model_len=8192)
    assert plan.max_concurrency > plan.kv_tokens / plan.max_model_len


def test_moe_reads_only_active_experts_at_batch_one():
    mixtral = plan_capacity("mixtral-8x7b", "H100-80GB", tp=2, max_model_len=8192)
    dense = plan_capacity("llama-3.1-70b", "H100-80GB", tp=4, max_model_len=8192)
    assert mixtral.weights_gib_per_gpu * 2 == pytest.approx(46.70e9 * 2 / GIB, rel=0.01)
    assert mixtral.decode_tokens_per_second > dense.decode_tokens_per_second


def test_measured_memory_overrides_the_catalogue():
    catalogue = plan_capacity("qwen3-8b", "H100-80GB")
    measured = plan_capacity("qwen3-8b", "H100-80GB", usable_memory_gib=70.0)
    assert measured.kv_tokens < catalogue.kv_tokens


PRICES = [  # reference/prices.md, on-demand, USD per hour
    ("aws", "g5.xlarge", 1.006),
    ("aws", "g6.xlarge", 0.8048),
    ("aws", "g6e.xlarge", 1.861),
    ("aws", "g6e.12xlarge", 10.49264),
    ("aws", "p5.48xlarge", 55.04),
    ("gcp", "g2-standard-8", 0.854),
    ("gcp", "a3-highgpu-8g", 43.07),
]


def test_recommend_instance_picks_the_cheapest_that_serves_the_target():
    rec = recommend_instance("llama-3.1-8b", PRICES, target_concurrency=20, max_model_len=8192)
    choice = rec.choice
    assert choice.fits and choice.total_hourly == min(o.total_hourly for o in rec.options if o.fits)
    assert choice.instances * choice.replicas_per_instance * choice.concurrency_per_replica >= 20
    totals = [o.total_hourly for o in rec.options if o.fits]
    assert totals == sorted(totals)
    assert json.loads(rec.to_json())["choice"]["instanceType"] == choice.instance_type


def test_recommend_instance_explains_what_does_not_fit():
    rec = recommend_instance("llama-3.1-70b", PRICES, target_concurrency=4, max_model_len=16384)
    assert rec.choice.gpu in ("H100-80GB", "L40S")
    small = next(o for o in rec.options if o.instance_type == "g6.xlarge")
    assert not small.fits and "exceed the budget" in small.reason
    with pytest.raises(
        LlmFleetError, match=r"no candidate instance fits llama-3.1-405b: aws g5.xlarge: tp=1: weights 755.96 GiB"
    ):
        recommend_instance("llama-3.1-405b", PRICES[:2], target_concurrency=1, max_model_len=8192)
    with pytest.raises(LlmFleetError, match=r"'p5.48xl' is not a GPU instance type of aws"):
        recommend_instance("llama-3.1-8b", [("aws", "p5.48xl", 1.0)], target_concurrency=1)


def test_cli_prints_json_and_errors_in_one_line():
    ok = subprocess.run(
        [sys.executable, "-m", "serving.capacity", "--model", "qwen3-8b", "--gpu", "H100-80GB", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["kvTokens"] > 0
    bad = subprocess.run(
        [sys.executable, "-m", "serving.capacity", "--model", "llama-3.1-70b", "--gpu", "L4", "--tp", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error: capacity: llama-3.1-70b on 1x L4")
    assert len(bad.stderr.strip().splitlines()) == 1


MODELS = [m.id for m in list_models()]
GPUS = [g.id for g in list_gpus()]


@settings(max_examples=150, deadline=None)
@given(
    model=st.sampled_from(MODELS),
    gpu=st.sampled_from(GPUS),
    tp=st.sampled_from([1, 2, 4, 8]),
    length=st.integers(min_value=256, max_value=131072),
    kv=st.sampled_from(["auto", "fp8"]),
    util=st.floats(min_value=0.5, max_value=0.98),
)
def test_plan_invariants(model, gpu, tp, length, kv, util):
    arch = get_model(model)
    if tp not in valid_tp_sizes(arch) or length > arch.native_context:
        return
    plan = plan_capacity(
        model, gpu, tp=tp, max_model_len=length, kv_cache_dtype=kv, gpu_memory_utilization=util, strict=False
    )
    assert plan.kv_tokens % BLOCK_SIZE == 0
    assert plan.kv_tokens * plan.kv_bytes_per_token_per_gpu <= plan.kv_cache_gib_per_gpu * GIB + GIB / 1000
    assert plan.fits == (plan.kv_cache_gib_per_gpu > 0 and plan.max_concurrency >= 1)
    if plan.fits:
        parts = (
            plan.weights_gib_per_gpu
            + plan.activation_gib_per_gpu
            + plan.overhead_gib_per_gpu
            + plan.kv_cache_gib_per_gpu
        )
        assert parts == pytest.approx(plan.budget_gib_per_gpu, abs=0.01)
        assert plan.max_running_seqs == min(plan.max_num_seqs, math.floor(plan.max_concurrency))
        assert plan.decode_tokens_per_second > 0 and plan.aggregate_decode_tokens_per_second > 0


def test_qwen3_32b_at_native_context_cannot_fit_one_h100_whatever_the_activation_model():
    """CONTRADICTIONS[0]: weights + one 40,960-token sequence + the smallest logged non-torch overhead
    already exceed the 0.9 budget, so the refusal does not hinge on the activation estimate."""
    from serving.capacity import CONTRADICTIONS, NON_TORCH_GIB

    plan = plan_capacity("qwen3-32b", "H100-80GB", tp=1, max_model_len=40960, strict=False)
    one_sequence = 40960 * plan.kv_bytes_per_token_per_gpu / GIB
    assert one_sequence == pytest.approx(10.0)
    assert plan.weights_gib_per_gpu + one_sequence + NON_TORCH_GIB > plan.budget_gib_per_gpu
    assert not plan.fits and "10.00 GiB" in CONTRADICTIONS[0]["finding"]
    # What the finding names as ways it does fit: fp8 KV cache halves the sequence, two GPUs halve the weights.
    assert plan_capacity("qwen3-32b", "H100-80GB", tp=2, max_model_len=40960).fits
    assert plan_capacity(
        "qwen3-32b", "H100-80GB", tp=1, max_model_len=40960, quantization="fp8_per_tensor", kv_cache_dtype="fp8"
    ).fits
