"""Representative ServingSpecs: dev's and prod's placements of the stack files, plus edge cases.

Shared by the golden-file test and the check against vLLM's own argument parser.
"""

from __future__ import annotations

from serving.spec import ServingSpec

LLAMA_8B_REV = "0e9e39f249a16976918f6564b8830bc894c89659"
LLAMA_70B_REV = "1605565b47bb9346c5515c34102e054115b4f98b"
API_KEY_FILE = "/var/run/secrets/llm-fleet/api-key/api-key"


def cases() -> dict[str, ServingSpec]:
    return {
        # dev: llama-3.1-8b on one L4 (g6.xlarge spot), weights streamed from S3.
        "dev-llama-8b-l4-spot": ServingSpec(
            model=f"s3://llm-weights-dev/llama-8b/{LLAMA_8B_REV}",
            served_model_name="llama-3.1-8b-instruct",
            revision=LLAMA_8B_REV,
            architecture="llama-3.1-8b",
            gpu="L4",
            max_model_len=8192,
            max_num_seqs=16,
            load_format="runai_streamer",
            model_loader_extra_config={"concurrency": 16},
            api_key_file=API_KEY_FILE,
        ),
        # prod: llama-3.1-70b on 4x H100 (p5.48xlarge / a3-highgpu-8g / dc1), distributed streaming.
        "prod-llama-70b-h100-tp4": ServingSpec(
            model=f"s3://llm-weights/llama-70b/{LLAMA_70B_REV}",
            served_model_name="llama-3.1-70b-instruct",
            revision=LLAMA_70B_REV,
            architecture="llama-3.1-70b",
            gpu="H100-80GB",
            tensor_parallel_size=4,
            max_model_len=32768,
            max_num_queued_requests=256,
            load_format="runai_streamer",
            model_loader_extra_config={"concurrency": 16, "distributed": True},
            shutdown_timeout=45,
            api_key_file=API_KEY_FILE,
        ),
        # lwsvariant: llama-3.1-70b at TP 4 over two 2-GPU nodes (a LeaderWorkerSet group on Ray),
        # weights on a PVC.
        "lwsvariant-llama-70b-2x2-ray": ServingSpec(
            model=f"/models/llama-70b/{LLAMA_70B_REV}",
            served_model_name="llama-3.1-70b-instruct",
            revision=LLAMA_70B_REV,
            architecture="llama-3.1-70b",
            gpu="H100-80GB",
            tensor_parallel_size=4,
            distributed_executor_backend="ray",
            group_join_timeout=900,
            max_model_len=32768,
            api_key_file=API_KEY_FILE,
        ),
        # a one-node server that keeps the API key in an environment variable (apiKeyEnv).
        "legacy-api-key-env": ServingSpec(
            model="/models/llama-3.1-8b",
            served_model_name="llama-3.1-8b-instruct",
            api_key_env="LLMFLEET_API_KEY",
        ),
        # fp8 KV cache and online fp8 weights on an L40S, from GCS, prefix caching off.
        "qwen3-8b-l40s-fp8": ServingSpec(
            model=f"gs://llm-weights-prod/qwen3-8b/{LLAMA_8B_REV}",
            served_model_name="qwen3-8b",
            architecture="qwen3-8b",
            gpu="L40S",
            max_model_len=40960,
            kv_cache_dtype="fp8",
            quantization="fp8_per_tensor",
            max_num_seqs=64,
            max_num_batched_tokens=4096,
            enable_prefix_caching=False,
            load_format="runai_streamer",
            extra_flags=["--enable-log-requests", "--disable-uvicorn-access-log"],
        ),
        # a local volume (NVMe cache / PVC), pipeline parallel, eager mode, custom port.
        "mixtral-local-pp2": ServingSpec(
            model="/models/mixtral-8x7b",
            served_model_name="mixtral-8x7b-instruct",
            architecture="mixtral-8x7b",
            gpu="A100-80GB",
            tensor_parallel_size=2,
            pipeline_parallel_size=2,
            max_model_len=16384,
            gpu_memory_utilization=0.92,
            enforce_eager=True,
            dtype="bfloat16",
            load_format="safetensors",
            port=8080,
            shutdown_timeout=0,
        ),
    }
