"""Run the real Pulumi program under the SDK's mock runtime and collect a Plan.

Each evaluation runs in a fresh ``contextvars.Context`` and event loop, because the SDK
keeps its settings and root stack in context variables: two stacks evaluated in one
process never see each other's resources.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import json
import logging
import os
import traceback
from collections.abc import Iterator
from pathlib import Path

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_in_stack

from infra import secrets
from infra.config import PROJECT, StackConfig
from infra.plan import lazy_sdk
from infra.plan.mocks import FleetMocks
from infra.plan.model import SECRET, Plan
from infra.plan.monitor import RecordingMonitor
from infra.stackfile import StackFile, load_stack_file
from serving.errors import LlmFleetError

DEFAULT_TIMEOUT_S = 300.0
TIMEOUT_ENV = "LLMFLEET_PLAN_TIMEOUT"


def plan_timeout_s() -> float:
    """The evaluation time limit: ``LLMFLEET_PLAN_TIMEOUT`` seconds, else 300 (read when used, checked)."""
    raw = os.environ.get(TIMEOUT_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 1 <= value <= 86_400:  # also false for nan
        raise LlmFleetError(
            f"{TIMEOUT_ENV}: {raw!r} is not allowed; expected seconds, 1 <= value <= 86,400 (default 300)"
        )
    return value


class PlanError(LlmFleetError):
    """The program failed while being evaluated offline."""


def evaluate_stack(
    stack: str,
    project_dir: Path | None = None,
    secret_values: dict[str, str] | None = None,
) -> Plan:
    """Validate ``Pulumi.<stack>.yaml`` and evaluate the program for it offline."""
    timeout_s = plan_timeout_s()  # a bad setting is reported before anything is read
    stack_file = load_stack_file(stack, project_dir)
    config = stack_file.parse()
    return evaluate_config(stack_file, config, secret_values, timeout_s)


def evaluate_config(
    stack_file: StackFile,
    config: StackConfig,
    secret_values: dict[str, str] | None = None,
    timeout_s: float | None = None,
) -> Plan:
    """Evaluate an already validated config.

    ``secret_values`` stands in for the engine decrypting ``secure:`` keys (tests plant
    values here to prove they never reach the Plan); keys without a value are planned as
    the placeholder "[secret]".
    """
    context = contextvars.Context()
    limit = plan_timeout_s() if timeout_s is None else timeout_s
    with _collector_paused():
        return context.run(_evaluate, stack_file, config, dict(secret_values or {}), limit)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the program runs.

    Importing the provider SDKs and registering hundreds of resources allocates over a million
    long-lived objects, so the collector's generational passes re-scan them again and again:
    measured on prod, 40% of the evaluation's time, for about 3% more peak memory without it
    (bench/cold.py). Reference counting still frees everything acyclic; cycles wait for the
    collector's next pass after the evaluation.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _evaluate(stack_file: StackFile, config: StackConfig, secret_values: dict[str, str], timeout_s: float) -> Plan:
    # Imported late: it imports the provider SDKs (their subpackages on demand). The offline
    # plan runs the same entry point as `pulumi up`, config read back from the engine settings included.
    lazy_sdk.install()
    from infra.program import main as program_main

    mocks = FleetMocks()
    monitor = RecordingMonitor(mocks)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        _configure(stack_file, monitor)
        pulumi.runtime.set_all_config(*_engine_config(stack_file, secret_values))
        secrets.OFFLINE.set(True)
        pulumi_logger = logging.getLogger("pulumi")
        pulumi_logger.setLevel(logging.ERROR)

        async def program() -> None:
            program_main()
            await _settle_outputs()

        async def run() -> None:
            await asyncio.wait_for(run_in_stack(program), timeout=timeout_s)

        try:
            loop.run_until_complete(run())
        except TimeoutError:
            raise PlanError(
                f"stack '{stack_file.stack}': the program did not finish within {timeout_s:.0f} s "
                f"(last registered: {monitor.last_registered or 'nothing'})"
            ) from None
        except LlmFleetError:
            raise
        except Exception as exc:  # noqa: BLE001 - any program failure becomes one clear error
            raise PlanError(
                f"stack '{stack_file.stack}': {_describe_failure(exc)} "
                f"(last registered: {monitor.last_registered or 'nothing'})"
            ) from None
    finally:
        asyncio.set_event_loop(None)
        loop.close()

    stack_urn = monitor.stack_urn
    resources = []
    for resource in monitor.registrations:
        if resource.parent == stack_urn:
            resource.parent = None
        resources.append(resource)
    resources.sort(key=lambda r: r.urn)
    return Plan(
        stack=stack_file.stack,
        project=PROJECT,
        config=config.model_dump(mode="json", by_alias=True, exclude_none=True),
        resources=resources,
        outputs=monitor.stack_outputs,
    )


async def _settle_outputs() -> None:
    """Wait for every Output the program made, in rounds, before the SDK's own wait.

    The SDK's ``wait_for_rpcs`` waits on its outstanding Outputs with FIRST_COMPLETED, one
    completion per round, so a program with thousands of Outputs costs O(n^2) callbacks (a
    third of prod's evaluation). Waiting for all of them at once is O(n) a round; the SDK's
    wait then finds them done and re-raises any failure exactly as before.
    """
    while True:
        with pulumi_settings.SETTINGS.lock:
            pending = [task for task in pulumi_settings.SETTINGS.outputs if not task.done()]
        if not pending:
            return
        await asyncio.wait(pending)


def _configure(stack_file: StackFile, monitor: RecordingMonitor) -> None:
    features = set(monitor.GetDeploymentInfo(None).supportedFeatures)
    settings = pulumi_mocks.MockSettings(
        monitor=monitor,
        monitor_features=features,
        engine=pulumi_mocks.MockEngine(logging.getLogger("pulumi")),
        project=PROJECT,
        stack=stack_file.stack,
        dry_run=False,  # outputs resolve, so apply() runs: see reference/pulumi.md
        organization="organization",
        callbacks=None,
    )
    pulumi_settings.configure(settings)
    pulumi_settings.ROOT.set(None)
    # MockSettings does not reset the set of outstanding Output tasks, and its default is shared
    # by every context: a failed evaluation would leave tasks of its closed loop there for the
    # next one to await ("Event loop is closed"). Give each evaluation its own.
    pulumi_settings.SETTINGS.outputs = set()


def _engine_config(stack_file: StackFile, secret_values: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Config as the engine passes it: strings, objects JSON-encoded, secrets flagged."""
    values: dict[str, str] = {}
    for key, value in stack_file.values.items():
        values[f"{PROJECT}:{key}"] = value if isinstance(value, str) else json.dumps(value)
    for key, value in stack_file.provider_config.items():
        values[key] = value if isinstance(value, str) else json.dumps(value)
    secret_keys = []
    for key in sorted(stack_file.secure_keys | set(secret_values)):
        values[f"{PROJECT}:{key}"] = secret_values.get(key, SECRET)
        secret_keys.append(f"{PROJECT}:{key}")
    return values, secret_keys


def _describe_failure(exc: BaseException) -> str:
    """Name the component or resource being built when the program failed."""
    where = None
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        owner = frame.f_locals.get("self")
        if isinstance(owner, pulumi.Resource):
            name = getattr(owner, "_name", None) or frame.f_locals.get("name")
            where = f"{type(owner).__name__} '{name}'"
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    prefix = f"while building {where}: " if where else ""
    return f"{prefix}{type(exc).__name__}: {message}"
