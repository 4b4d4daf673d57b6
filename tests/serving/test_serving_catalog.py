"""Catalogue integrity: every row sourced, every reference resolves, values agree with the reference."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from serving import catalog
from serving._wire import first_errors
from serving.catalog import get_gpu, get_instance, get_model, list_gpus, list_instances, list_models
from serving.errors import LlmFleetError

DATA = Path(catalog.__file__).parent

# reference/vllm.md "Architectures (HF configs)": params (billions), KV bytes per token in bf16, context.
REFERENCE = {
    "llama-3.1-8b": (8.03, 128 * 1024, 131072),
    "llama-3.1-70b": (70.6, 320 * 1024, 131072),
    "llama-3.1-405b": (405, 504 * 1024, 131072),
    "qwen2.5-7b": (7.6, 56 * 1024, 32768),
    "qwen2.5-32b": (32.8, 256 * 1024, 32768),
    "qwen2.5-72b": (72.7, 320 * 1024, 32768),
    "qwen3-8b": (8.2, 144 * 1024, 40960),
    "mistral-7b-v0.3": (7.25, 128 * 1024, 32768),
    "mixtral-8x7b": (46.7, 128 * 1024, 32768),
    "gemma-2-9b": (9.24, None, 8192),
}
REQUIRED_GPUS = ("A10G", "L4", "L40S", "A100-40GB", "A100-80GB", "H100-80GB", "H200")
# Instance types the stack files name (Pulumi.dev.yaml, Pulumi.prod.yaml) and prices.md lists.
STACK_INSTANCES = [
    ("aws", "g6.xlarge"),
    ("aws", "g6.2xlarge"),
    ("aws", "g5.xlarge"),
    ("aws", "g5.12xlarge"),
    ("aws", "g6e.xlarge"),
    ("aws", "g6e.12xlarge"),
    ("aws", "p4d.24xlarge"),
    ("aws", "p5.4xlarge"),
    ("aws", "p5.48xlarge"),
    ("gcp", "g2-standard-8"),
    ("gcp", "a2-highgpu-1g"),
    ("gcp", "a2-ultragpu-1g"),
    ("gcp", "a3-highgpu-8g"),
]


def test_every_model_of_the_reference_is_catalogued():
    assert set(REFERENCE) <= {m.id for m in list_models()}


@pytest.mark.parametrize("model_id", sorted(REFERENCE))
def test_model_matches_the_reference_table(model_id):
    params_b, kv_bytes, context = REFERENCE[model_id]
    model = get_model(model_id)
    assert model.params / 1e9 == pytest.approx(params_b, rel=0.01)
    assert model.native_context == context
    if kv_bytes is not None:
        assert 2 * model.layers * model.kv_heads * model.head_dim * 2 == kv_bytes


def test_every_row_has_a_source_and_a_date():
    rows = [*list_models(), *list_gpus(include_calibration=True), *list_instances()]
    for row in rows:
        assert row.source.startswith("https://"), row
        assert dt.date(2025, 1, 1) <= row.retrieved <= dt.date.today() + dt.timedelta(days=1), row


def test_every_gpu_an_instance_names_exists_and_is_not_calibration_only():
    for inst in list_instances():
        gpu = get_gpu(inst.gpu)
        assert not gpu.calibration_only, inst


def test_required_gpus_are_present_with_usable_memory_below_nominal():
    for gpu_id in REQUIRED_GPUS:
        gpu = get_gpu(gpu_id)
        assert 0.85 * gpu.memory_gb * 1e9 < gpu.usable_memory_gib * 2**30 <= gpu.memory_gb * 1e9 * 1.08
        assert gpu.bandwidth_gbps > 0 and gpu.bf16_tflops > 0


@pytest.mark.parametrize(("cloud", "instance_type"), STACK_INSTANCES)
def test_instances_the_stacks_use_resolve(cloud, instance_type):
    inst = get_instance(cloud, instance_type)
    assert inst.gpu_count >= 1


def test_ids_are_unique_in_the_data_files():
    for name, key in (("models.json", "models"), ("gpus.json", "gpus")):
        ids = [row["id"] for row in json.loads((DATA / name).read_text())[key]]
        assert len(ids) == len(set(ids)), name
    rows = json.loads((DATA / "instances.json").read_text())["instances"]
    pairs = [(r["cloud"], r["type"]) for r in rows]
    assert len(pairs) == len(set(pairs))


def test_unknown_ids_suggest_the_closest():
    with pytest.raises(LlmFleetError, match=r"gpu: unknown GPU type 'H100'; did you mean 'H100-80GB'"):
        get_gpu("H100")
    with pytest.raises(
        LlmFleetError, match=r"model: unknown model architecture 'llama-3-8b'; did you mean 'llama-3.1-8b'"
    ):
        get_model("llama-3-8b")
    with pytest.raises(
        LlmFleetError, match=r"'g6e.xlarg' is not a GPU instance type of aws.*did you mean 'g6e.xlarge'"
    ):
        get_instance("aws", "g6e.xlarg")
    with pytest.raises(LlmFleetError, match=r"cloud: unknown cloud 'azure' \(allowed: aws, gcp\)"):
        get_instance("azure", "nd96")


def test_lookups_ignore_case():
    assert get_gpu("h100-80gb").id == "H100-80GB"
    assert get_model("Qwen3-8B").id == "qwen3-8b"


def test_strict_loading_refuses_unknown_keys(monkeypatch, tmp_path):
    bad = json.loads((DATA / "gpus.json").read_text())
    bad["gpus"][0]["memoryGb"] = 24  # a misspelt key must not pass silently
    monkeypatch.setattr(catalog, "_load", _loader_for({"gpus.json": bad}))
    catalog._gpus.cache_clear()
    try:
        with pytest.raises(LlmFleetError, match=r"gpus.json: invalid catalogue data: gpus\.0\.memoryGb: Extra inputs"):
            catalog._gpus()
    finally:
        monkeypatch.undo()
        catalog._gpus.cache_clear()


def _loader_for(overrides):
    original = catalog._load

    def load(filename, schema):
        if filename not in overrides:
            return original(filename, schema)
        try:
            return schema.model_validate(overrides[filename])
        except ValidationError as exc:
            raise LlmFleetError(f"serving/catalog/{filename}: invalid catalogue data: {first_errors(exc)}") from None

    return load
