"""The server's environment: writable caches, offline and no-telemetry settings, the API key.

HOME and every cache variable point at writable directories under ``$LLMFLEET_CACHE_ROOT``
(default /var/cache/llm-fleet, an emptyDir or PVC); the API key, read from ``apiKeyFile`` (or
``apiKeyEnv``), reaches vLLM as ``VLLM_API_KEY`` in its environment only (never argv or a log
line); a ``VLLM_PORT`` injected by Kubernetes service links is dropped (vllm#34199).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from serving.errors import LlmFleetError
from serving.spec import ServingSpec
from serving.versions import CACHE_ROOT

CACHE_ROOT_ENV = "LLMFLEET_CACHE_ROOT"
CACHE_DIRS: dict[str, str] = {
    "HOME": "home",
    "XDG_CACHE_HOME": "cache",
    "XDG_CONFIG_HOME": "config",
    "HF_HOME": "huggingface",
    "VLLM_CACHE_ROOT": "vllm",
    "TRITON_CACHE_DIR": "triton",
    "TORCHINDUCTOR_CACHE_DIR": "torchinductor",
    "TORCH_HOME": "torch",
    "CUDA_CACHE_PATH": "nv",
    "NUMBA_CACHE_DIR": "numba",
    "OUTLINES_CACHE_DIR": "outlines",
}
"""Variable -> sub-directory of the cache root. An existing value that is a writable directory is kept."""

FORCED_ENV: dict[str, str] = {
    "VLLM_NO_USAGE_STATS": "1",
    "DO_NOT_TRACK": "1",
    "VLLM_DO_NOT_TRACK": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "RAY_USAGE_STATS_ENABLED": "0",
    "PYTHONUNBUFFERED": "1",
}


def prepare_environment(
    spec: ServingSpec, environ: Mapping[str, str], log: Callable[[str], None], *, api_key: bool = True
) -> dict[str, str]:
    """The environment vLLM (or a group worker's Ray) runs with: writable caches, offline hub,
    no telemetry, and the API key as VLLM_API_KEY (``api_key=False``: no key at all)."""
    env = dict(environ)
    root = _writable_root(env.get(CACHE_ROOT_ENV, CACHE_ROOT), log)
    for var, sub in CACHE_DIRS.items():
        current = env.get(var)
        if current and Path(current).is_dir() and os.access(current, os.W_OK | os.X_OK):
            continue
        path = root / sub
        path.mkdir(parents=True, exist_ok=True)
        env[var] = str(path)
    env.update(FORCED_ENV)
    offline = "1" if spec.hf_hub_offline else "0"
    env["HF_HUB_OFFLINE"] = offline
    env["TRANSFORMERS_OFFLINE"] = offline
    port = env.get("VLLM_PORT")
    if port is not None and not port.isdigit():
        log("launch: dropping VLLM_PORT injected by a Kubernetes service link (set enableServiceLinks: false)")
        del env["VLLM_PORT"]
    if not api_key:
        env.pop("VLLM_API_KEY", None)
        if spec.api_key_env:
            env.pop(spec.api_key_env, None)
        return env
    if spec.api_key_file:
        env["VLLM_API_KEY"] = read_api_key(spec.api_key_file)
    elif spec.api_key_env:
        key = env.get(spec.api_key_env, "")
        if not key:
            raise LlmFleetError(
                f"apiKeyEnv: environment variable {spec.api_key_env} is empty or unset; mount the API key Secret "
                f"as {spec.api_key_env} or drop apiKeyEnv"
            )
        env["VLLM_API_KEY"] = key
        if spec.api_key_env != "VLLM_API_KEY":
            del env[spec.api_key_env]
    return env


def read_api_key(path: str) -> str:
    """The key in ``path`` without its trailing newline; errors name the path, never the content."""
    try:
        key = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except FileNotFoundError:
        raise LlmFleetError(
            f"apiKeyFile: {path} does not exist; mount the API key Secret there (a secret volume, readOnly) or "
            "drop apiKeyFile"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise LlmFleetError(
            f"apiKeyFile: cannot read {path} ({reason}); the Secret volume must be readable by the server's "
            "group (defaultMode 0440 with fsGroup 0)"
        ) from None
    if not key.strip():
        raise LlmFleetError(f"apiKeyFile: {path} is empty; the API key Secret has no value under this key")
    return key


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def _writable_root(wanted: str, log: Callable[[str], None]) -> Path:
    root = Path(wanted)
    if _writable(root):
        return root
    fallback = Path(tempfile.gettempdir()) / "llm-fleet"
    log(f"launch: {root} is not writable; caches go to {fallback} (mount an emptyDir or PVC at {root})")
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback
