"""The contract with the serving image (serving/): paths, variables and commands.

Everything here restates what ``serving.launch``, ``serving.stage`` and ``serving/Dockerfile``
define, importing their constants where they exist, so a change there shows up here.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from infra.config import ModelConfig
from infra.workloads.context import WeightStoreRef
from serving import versions

SPEC_PATH = versions.SPEC_PATH
SPEC_DIR = str(PurePosixPath(SPEC_PATH).parent)
SPEC_FILE = PurePosixPath(SPEC_PATH).name
SPEC_ENV = versions.SPEC_ENV
CACHE_ROOT = versions.CACHE_ROOT
CACHE_ROOT_ENV = "LLMFLEET_CACHE_ROOT"
"""serving.launch.CACHE_ROOT_ENV: HOME and every cache go below it."""
RUN_AS_USER = versions.SERVER_UID
RUN_AS_GROUP = 0
TMP_DIR = "/tmp"  # noqa: S108 - an emptyDir mounted over the read-only root filesystem
SHM_DIR = "/dev/shm"  # noqa: S108 - a Memory emptyDir (NCCL, PyTorch shared memory)
WEIGHTS_DIR = "/models"
SECRETS_DIR = "/var/run/secrets/llm-fleet"

API_KEY_DIR = f"{SECRETS_DIR}/api-key"
API_KEY_FILE = "api-key"
API_KEY_PATH = f"{API_KEY_DIR}/{API_KEY_FILE}"
"""The API key Secret, mounted read-only; the spec's ``apiKeyFile``. The launcher reads it and
hands the key to vLLM as VLLM_API_KEY in vLLM's environment only."""

GROUP_ROLE_ENV = versions.GROUP_ROLE_ENV
GROUP_SIZE_ENV = versions.GROUP_SIZE_ENV
"""serving.launch reads them in a LeaderWorkerSet group (``leader`` / ``worker``, pods per group)."""
RAY_PORT = versions.RAY_PORT
RAY_NODE_MANAGER_PORT = versions.RAY_NODE_MANAGER_PORT
"""The leader's Ray head port, and the raylet port of every pod of a group (the workers' probes)."""

LAUNCH = ["python3", "-m", "serving.launch"]
"""The image's ENTRYPOINT; ``stage`` runs serving.stage through it."""


def weights_location(store: WeightStoreRef, model: ModelConfig) -> str:
    """Where a model's staged copy lives: ``<bucket>/<model>/<revision>`` (serving.stage's layout),
    or ``/models/<model>/<revision>`` on the weights PVC."""
    if store.uri.startswith("pvc://"):
        return f"{WEIGHTS_DIR}/{model.name}/{model.source.revision}"
    return f"{store.uri.rstrip('/')}/{model.name}/{model.source.revision}"


def stage_args(
    model: ModelConfig,
    store: WeightStoreRef,
    allowed_sources: list[str],
    *,
    scratch_dir: str,
    verify_only: bool = False,
) -> list[str]:
    """Arguments of ``serving.launch stage`` for this model and store."""
    args = [
        "stage",
        "--source", model.source.uri,
        "--revision", model.source.revision,
        "--dest", weights_location(store, model),
    ]
    if store.endpoint:
        args += ["--dest-endpoint-url", store.endpoint]
    if verify_only:
        return [*args, "--verify-only"]
    for prefix in allowed_sources:
        args += ["--allow-source", prefix]
    return [*args, "--scratch-dir", scratch_dir, "--json"]


WAIT_SCRIPT = (
    'deadline=$(( $(date +%s) + $0 )); '
    'until python3 -m serving.launch "$@"; do '
    'if [ "$(date +%s)" -ge "$deadline" ]; then echo "weights not staged in time" >&2; exit 1; fi; '
    "sleep 20; done"
)
"""Init container: retry the staging check until the manifest matches or the budget is spent
(``$0`` is the budget in seconds, ``$@`` the ``stage --verify-only`` arguments)."""


def wait_for_weights_command(model: ModelConfig, store: WeightStoreRef, budget_s: int) -> list[str]:
    return ["sh", "-c", WAIT_SCRIPT, str(budget_s), *stage_args(model, store, [], scratch_dir="", verify_only=True)]
