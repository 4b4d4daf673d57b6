"""The decode model (serving/decode.py) against the sourced measurement table and its own invariants."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from serving.capacity import plan_capacity, server_of
from serving.catalog import get_gpu, list_gpus
from serving.decode import Workload, estimate, load_fit
from serving.decode_measurements import measurements, predict
from serving.traffic import Traffic, size_for_traffic

HOLDOUT = [r for r in measurements() if r.use == "holdout" and r.trustworthy]


def test_the_table_keeps_rows_out_of_the_fit():
    assert len(HOLDOUT) >= 3
    fit_rows = json.loads(resources.files("serving.catalog").joinpath("decode_fit.json").read_text())["fitRows"]
    # The checked-in fit was made from exactly the table's fit rows: no holdout row leaked into it.
    assert sorted(fit_rows) == sorted(r.id for r in measurements() if r.use == "fit")
    assert not {r.id for r in HOLDOUT} & set(fit_rows)


@pytest.mark.parametrize("row", HOLDOUT, ids=lambda r: r.id)
def test_every_trustworthy_holdout_row_within_20_percent(row):
    assert predict(row) == pytest.approx(row.value, rel=0.20)


@pytest.mark.parametrize("row", [r for r in measurements() if r.use == "fit"], ids=lambda r: r.id)
def test_fit_rows_within_20_percent(row):
    assert predict(row) == pytest.approx(row.value, rel=0.20)


def test_every_row_names_its_source_and_says_when_lengths_are_assumed():
    for row in measurements():
        assert row.source.startswith("https://")
        assert row.trustworthy or row.use == "excluded", f"{row.id}: an untrusted row cannot be fitted or tested"
        assert row.lengths_stated or "not stated" in row.note or "unstated" in row.note, row.id


def test_a_gpu_without_measurements_borrows_its_memory_kinds_mean():
    fit = load_fit()
    efficiency, source = fit.bandwidth_efficiency(get_gpu("L4"))
    assert "L4" not in fit.efficiency
    assert efficiency == fit.class_efficiency["gddr"] and "GDDR" in source
    assert fit.bandwidth_efficiency(get_gpu("H100-80GB"))[1].startswith("fitted")


def test_fp8_weights_use_the_fp8_peak_and_read_half_the_bytes():
    bf16 = plan_capacity("llama-3.1-8b", "L40S", tp=1, max_model_len=8192)
    fp8 = plan_capacity("llama-3.1-8b", "L40S", tp=1, max_model_len=8192, quantization="fp8_per_tensor")
    assert get_gpu("L40S").peak_tflops("fp8") > 1.9 * get_gpu("L40S").peak_tflops("bfloat16")
    assert 1.5 < fp8.decode_tokens_per_second / bf16.decode_tokens_per_second < 2.0
    assert get_gpu("A100-80GB").peak_tflops("fp8") == get_gpu("A100-80GB").bf16_tflops  # no fp8 tensor cores


def test_kv_reads_slow_one_stream_at_long_context():
    short = plan_capacity("llama-3.1-8b", "H100-80GB", max_model_len=65536, prompt_tokens=512, output_tokens=256)
    long = plan_capacity("llama-3.1-8b", "H100-80GB", max_model_len=65536, prompt_tokens=32768, output_tokens=256)
    # 32k tokens of bf16 KV (4 GiB) read next to 15 GiB of weights every step.
    assert 1.2 < short.decode_tokens_per_second / long.decode_tokens_per_second < 1.4


def test_prefill_of_new_arrivals_raises_the_time_per_token():
    plan = plan_capacity("llama-3.1-8b", "H100-80GB", tp=1, max_model_len=8192)
    server = server_of(plan)
    chat = Workload(1024, 128)
    assert estimate(server, 16, chat).tpot_s > 1.3 * estimate(server, 1, chat).tpot_s
    cached = Workload(1024, 128, cached_prompt_share=0.9)
    assert estimate(server, 16, cached).tpot_s < estimate(server, 16, chat).tpot_s


@pytest.mark.parametrize("gpu", [g.id for g in list_gpus()])
@pytest.mark.parametrize("model", ["llama-3.1-8b", "qwen3-8b", "mixtral-8x7b"])
def test_aggregate_is_never_below_one_stream(model, gpu):
    """Both figures share one context, so batching can only help (issue: 8B on 2x L4 printed less)."""
    for tp in (1, 2):
        for length in (4096, 16384):
            plan = plan_capacity(model, gpu, tp=tp, max_model_len=length, strict=False)
            if plan.fits and plan.traffic_running_seqs:
                assert plan.aggregate_decode_tokens_per_second >= plan.decode_tokens_per_second


def test_traffic_sizing_respects_the_itl_slo_and_littles_law():
    plan = plan_capacity("llama-3.1-8b", "L40S", tp=1, max_model_len=16384)
    traffic = Traffic(prompt_tokens=1500, output_tokens=300, peak_requests_per_second=20)
    sizing = size_for_traffic(
        server_of(plan),
        traffic,
        batch_limit=plan.traffic_running_seqs,
        batch_limit_reason="kv cache",
        itl_slo_ms=80,
        ttft_slo_ms=1500,
    )
    assert sizing.meets_slo and sizing.tpot_ms <= 80 and sizing.ttft_ms <= 1500
    latency = sizing.ttft_ms / 1000 + 299 * sizing.tpot_ms / 1000
    assert sizing.concurrency_at_peak == pytest.approx(20 * latency)
    assert sizing.replicas_needed == -(-20 // sizing.requests_per_second_per_replica)
    tight = size_for_traffic(
        server_of(plan),
        traffic,
        batch_limit=plan.traffic_running_seqs,
        batch_limit_reason="kv cache",
        itl_slo_ms=40,
        ttft_slo_ms=1500,
    )
    assert tight.batch < sizing.batch and tight.replicas_needed > sizing.replicas_needed


def test_concurrency_sets_the_aggregate_batch_and_matches_the_published_16_stream_slowdown():
    """Issue 19: at 16 streams on an H100 the measured time per token rose from 6.6 to 10.9 ms (chat lengths)."""
    one = plan_capacity("llama-3.1-8b", "H100-80GB", max_model_len=8192, prompt_tokens=1024, output_tokens=128)
    sixteen = plan_capacity(
        "llama-3.1-8b", "H100-80GB", max_model_len=8192, prompt_tokens=1024, output_tokens=128, concurrency=16
    )
    assert sixteen.traffic_running_seqs == 16 and one.traffic_running_seqs > 16
    assert sixteen.aggregate_tpot_ms == pytest.approx(10.9, rel=0.2)
    assert 1000 / one.decode_tokens_per_second == pytest.approx(6.6, rel=0.2)
    assert sixteen.aggregate_decode_tokens_per_second == pytest.approx(16 * 1000 / sixteen.aggregate_tpot_ms, rel=0.01)


def test_the_checked_in_fit_is_what_the_fit_script_computes(capsys):
    """`python -m tools.fit_decode` reproduces catalog/decode_fit.json from the table (they cannot drift apart)."""
    from tools.fit_decode import fit, main, to_json

    rows = [r for r in measurements() if r.use == "fit"]
    checked_in = json.loads(resources.files("serving.catalog").joinpath("decode_fit.json").read_text())
    assert to_json(fit(rows), rows) == checked_in
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "per-step overhead" in out and all(r.id in out for r in measurements())
