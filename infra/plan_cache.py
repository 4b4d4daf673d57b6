"""The evaluation cache: the Plan of an unchanged stack is reused by the next command.

A Plan is a pure function of its inputs, so it is stored under a SHA-256 of all of them:
the stack name and file bytes, Pulumi.yaml, every file of the program's own packages
(infra/, policy/, serving/ as imported, data files included), requirements/main.txt, the
installed distributions (name and version, from their ``*.dist-info`` folder names), the
Python version and the environment variables the program or the Pulumi SDK may read. Any
byte that differs gives another key, so a stored Plan can only be served for the inputs it
was made from. Environment values enter the hash only; the cache file holds nothing but
the Plan, which is redacted ("[secret]") before it is stored.

Where: ``$LLMFLEET_CACHE_DIR``, else ``$XDG_CACHE_HOME/llmfleet``, else ``~/.cache/llmfleet``
(outside the project, so no command leaves files in it). Files are written atomically and
the oldest beyond ``KEEP`` are removed. This module imports neither Pulumi nor the program:
a hit costs hashing ~1 MB and reading one JSON file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from infra.plan.model import Plan
from serving.errors import LlmFleetError

FORMAT = "llmfleet-plan-cache-1"  # bump when the Plan or the key changes meaning
KEEP = 32
CACHE_DIR_ENV = "LLMFLEET_CACHE_DIR"
PACKAGES = ("infra", "policy", "serving")
PROJECT_FILES = ("Pulumi.yaml",)
CODE_FILES = ("requirements/main.txt", "pyproject.toml")
# Variables the program, the Pulumi SDK or the provider SDKs read (credentials, regions,
# engine settings), plus the ones a stack's {env: NAME} secret references name.
ENV_PREFIXES = ("LLMFLEET_", "PULUMI_", "AWS_", "GOOGLE_", "GCP_", "CLOUDSDK_", "KUBE", "DOCKER_", "ARM_")
# Where the program's packages are imported from (not the --project-dir: that holds the stacks).
CODE_ROOT = Path(__file__).resolve().parent.parent
# Settings of the CLI itself, which do not change the Plan.
ENV_IGNORED = frozenset({"LLMFLEET_DEBUG", CACHE_DIR_ENV})


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "llmfleet"


def plan_key(stack: str, stack_path: Path, secret_env_names: set[str] | None = None) -> str:
    """The SHA-256 of every input of the evaluation of ``stack`` (see the module docstring)."""
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        # Length-prefixed, so no two different input lists hash alike.
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    add("format", FORMAT.encode())
    add("python", sys.version.encode())
    add("stack", stack.encode())
    add("stack-file", stack_path.read_bytes())
    project_dir = stack_path.parent
    for name in PROJECT_FILES:
        add(f"project:{name}", _read_or_absent(project_dir / name))
    code_root = CODE_ROOT
    add("code-root", str(code_root).encode())
    for name in CODE_FILES:
        add(f"code:{name}", _read_or_absent(code_root / name))
    for path in _package_files(code_root):
        add(f"source:{path.relative_to(code_root).as_posix()}", path.read_bytes())
    add("distributions", "\n".join(_distributions()).encode())
    for name in sorted(_env_names(secret_env_names or set())):
        add(f"env:{name}", os.environ[name].encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def secret_env_names(values: Any) -> set[str]:
    """Names of the environment variables a stack's ``{env: NAME}`` secret references read."""
    names: set[str] = set()
    if isinstance(values, dict):
        if set(values) == {"env"} and isinstance(values["env"], str):
            names.add(values["env"])
        for value in values.values():
            names |= secret_env_names(value)
    elif isinstance(values, list):
        for value in values:
            names |= secret_env_names(value)
    return names


def load(key: str) -> Plan | None:
    """The stored Plan for ``key``, or None (absent, unreadable or not a Plan: a miss)."""
    path = cache_dir() / f"{key}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("key") != key:
            return None
        plan = Plan.from_json(data["plan"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError, LlmFleetError):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # most recently used: pruned last
    return plan


def store(key: str, plan: Plan) -> None:
    """Store ``plan`` under ``key`` atomically; a cache that cannot be written is skipped."""
    directory = cache_dir()
    text = json.dumps({"format": FORMAT, "key": key, "plan": plan.to_json()}, sort_keys=True)
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp_name, directory / f"{key}.json")
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        _prune(directory)
    except OSError:
        return  # the cache only saves time; a read-only home must not fail the command


def _prune(directory: Path) -> None:
    entries = sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in entries[KEEP:]:
        stale.unlink(missing_ok=True)


def _read_or_absent(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b"\0absent"


def _package_files(code_root: Path) -> Iterator[Path]:
    for package in PACKAGES:
        for root, dirs, files in os.walk(code_root / package):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if not name.endswith((".pyc", ".pyo")):
                    yield Path(root) / name


def _distributions() -> list[str]:
    """Installed distributions as their ``name-version.dist-info`` folder names (a listdir, not metadata reads)."""
    found = set()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        found.update(f"{entry}/{n}" for n in names if n.endswith((".dist-info", ".egg-info", ".egg-link", ".pth")))
    return sorted(found)


def _env_names(secret_names: set[str]) -> set[str]:
    names = {n for n in os.environ if n.startswith(ENV_PREFIXES) and n not in ENV_IGNORED}
    return names | {n for n in secret_names if n in os.environ}


def plan_of_stack(stack: str, project_dir: Path | None = None, *, use_cache: bool = True) -> Plan:
    """The Plan of ``stack``: from the cache when every input is unchanged, else evaluated (and stored)."""
    from infra import progress
    from infra.stackfile import load_stack_file

    status = progress.current()
    status.phase(f"loading stack '{stack}'")
    stack_file = load_stack_file(stack, project_dir)
    env_names = secret_env_names(stack_file.values)
    key = plan_key(stack, stack_file.path, env_names) if use_cache else None
    if key is not None:
        plan = load(key)
        if plan is not None and plan.stack == stack:
            status.phase(f"stack '{stack}': unchanged, Plan reused from the cache")
            return plan
    status.phase(f"evaluating stack '{stack}' (importing the program)")
    from infra.plan import runner  # imports Pulumi and the provider SDKs

    timeout_s = runner.plan_timeout_s()
    config = stack_file.parse()
    status.evaluating([t.name for t in config.targets])
    plan = runner.evaluate_config(stack_file, config, None, timeout_s)
    # Stored only if no input changed while the program ran.
    if key is not None and plan_key(stack, stack_file.path, env_names) == key:
        store(key, plan)
    return plan
