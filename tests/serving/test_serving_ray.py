"""The launcher's Ray calls against a real Ray (the version the image pins), on loopback, without GPUs.

A head and a worker on this machine, started with the launcher's own argv (other ports, a private
temp dir): the flags parse, the worker joins, the node count the leader waits on sees both
nodes, and the raylet listens on the fixed port the worker pods' probes check.

Needs a virtualenv with ``ray==RAY_VERSION``; skipped unless LLMFLEET_RAY_PYTHON names its python:

    python3 -m venv /tmp/ray-venv && /tmp/ray-venv/bin/pip install "ray==2.48.0"
    LLMFLEET_RAY_PYTHON=/tmp/ray-venv/bin/python .venv/bin/python -m pytest tests/serving/test_serving_ray.py
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from serving.launch import FORCED_ENV, RayControl, ray_head_argv, ray_worker_argv, wait_for_head, wait_for_nodes
from serving.versions import RAY_VERSION

pytestmark = [pytest.mark.server, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pids_using(marker: str) -> list[int]:
    """Processes whose command line names ``marker`` (this test's private temp dir)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            pids.append(int(entry.name))
    return pids


@pytest.fixture
def ray_python() -> str:
    python = os.environ.get("LLMFLEET_RAY_PYTHON")
    if not python or not Path(python).exists():
        pytest.skip(f"set LLMFLEET_RAY_PYTHON to the python of a virtualenv with ray=={RAY_VERSION}")
    return python


@pytest.fixture
def temp_dir() -> Iterator[str]:
    # Short: Ray's unix sockets live below it (108-byte path limit).
    path = tempfile.mkdtemp(prefix="lfray", dir="/tmp")
    try:
        yield path
    finally:
        for pid in _pids_using(path):  # only the processes this test started
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(path, ignore_errors=True)


def test_head_and_worker_form_one_cluster_with_the_launchers_argv(ray_python, temp_dir):
    ray_bin = str(Path(ray_python).with_name("ray"))
    control = RayControl(python=ray_python, ray=ray_bin)
    version = subprocess.run([ray_bin, "--version"], capture_output=True, text=True, check=True, timeout=60).stdout
    assert RAY_VERSION in version
    port, head_raylet, worker_raylet = _free_port(), _free_port(), _free_port()
    env = {**os.environ, **FORCED_ENV, "RAY_TMPDIR": temp_dir}
    env.pop("RAY_ADDRESS", None)
    head = ray_head_argv(0, port=port, node_manager_port=head_raylet)
    control.start_head([*head, "--num-cpus=1", f"--temp-dir={temp_dir}"], env)
    log: list[str] = []
    assert control.reachable("127.0.0.1", port)
    wait_for_head(control, "127.0.0.1", 30, log.append, port=port)  # the worker's wait, on the real port
    worker = ray_worker_argv("127.0.0.1", 0, port=port, node_manager_port=worker_raylet)
    proc = subprocess.Popen(  # the worker pod's PID 1 (the launcher execs it)
        [ray_bin, *worker[1:], "--num-cpus=1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_nodes(control, 2, 120, env, log.append)
        assert log[-1] == "group: 2 of 2 nodes joined the Ray head"
        assert control.alive_nodes(env) == 2
        assert control.reachable("127.0.0.1", worker_raylet), "the worker's raylet listens on the probed port"
        time.sleep(1)
        assert proc.poll() is None, "ray start --block keeps running as the worker's main process"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
