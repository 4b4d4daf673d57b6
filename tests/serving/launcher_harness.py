"""Run the real launcher (``python -m serving.launch``) as a process on loopback, and talk HTTP to it.

Shared by the drain tests against a stand-in vLLM (tests/serving/fake_vllm.py, fast, in every
``make test``) and the tests against the real vLLM 0.32.0 CPU server (tests/serving/vllm_server).
The client is the standard library's http.client: what a test sees is what went over the wire.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from serving.spec import ServingSpec
from serving.versions import BACKEND_PORT_ENV, CPU_TEST_ENV

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


def call(
    port: int,
    method: str,
    path: str,
    body: object | None = None,
    *,
    key: str | None = None,
    timeout: float = 120,
) -> Reply:
    """One request on a fresh connection; the whole answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        resp = conn.getresponse()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


@dataclass
class Stream:
    """What a streaming client saw: status, every ``data:`` payload, and how the body ended."""

    status: int
    headers: dict[str, str]
    events: list[str] = field(default_factory=list)
    error: str | None = None
    """The transport error that ended the body, if any (a silent cut shows as none here)."""
    started: float = 0.0
    ended: float = 0.0

    @property
    def done(self) -> bool:
        return bool(self.events) and self.events[-1] == "[DONE]"

    @property
    def payloads(self) -> list[dict]:
        return [json.loads(e) for e in self.events if e != "[DONE]"]

    @property
    def finish_reasons(self) -> list[str]:
        return [c.get("finish_reason") for p in self.payloads for c in p.get("choices", []) if c.get("finish_reason")]

    @property
    def error_events(self) -> list[dict]:
        return [p["error"] for p in self.payloads if "error" in p]


def stream(port: int, path: str, body: dict, *, key: str | None = None, timeout: float = 120) -> Stream:
    """POST with ``"stream": true`` and read the SSE body line by line until it ends."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    started = time.monotonic()
    try:
        conn.request("POST", path, body=json.dumps({**body, "stream": True}), headers=headers)
        resp = conn.getresponse()
        out = Stream(resp.status, {k.lower(): v for k, v in resp.getheaders()}, started=started)
        if resp.status != 200 or not out.headers.get("content-type", "").startswith("text/event-stream"):
            out.events.append(resp.read().decode(errors="replace"))
        else:
            try:
                for raw in resp:
                    line = raw.decode().rstrip("\r\n")
                    if line.startswith("data: "):
                        out.events.append(line[len("data: ") :])
            except (OSError, http.client.HTTPException) as exc:
                out.error = f"{type(exc).__name__}: {exc}"
        out.ended = time.monotonic()
        return out
    finally:
        conn.close()


@dataclass
class Launcher:
    """A running launcher: its process, its public port and the API key it serves with."""

    proc: subprocess.Popen
    port: int
    backend_port: int
    key: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def sigterm(self) -> float:
        """Send SIGTERM to the launcher (PID 1 in the pod); the monotonic time it was sent."""
        sent = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        return sent


def write_spec(directory: Path, spec: ServingSpec) -> Path:
    path = directory / "spec.json"
    path.write_text(spec.to_json(), encoding="utf-8")
    return path


@contextlib.contextmanager
def launcher(
    spec: ServingSpec,
    workdir: Path,
    *,
    python: str,
    path_dirs: list[str],
    key: str,
    extra_env: Mapping[str, str] | None = None,
    ready_timeout: float = 60,
) -> Iterator[Launcher]:
    """``python -m serving.launch --spec ...`` with the CPU test switch, until /health answers 200.

    The environment is built from scratch (no KUBERNETES_SERVICE_HOST, no proxies); the key
    reaches the launcher as ``apiKeyEnv`` LLMFLEET_TEST_API_KEY. Stops it (SIGTERM, then its
    process group) on exit.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    spec_path = write_spec(workdir, spec)
    backend_port = free_port()
    env = {
        "PATH": os.pathsep.join([*path_dirs, "/usr/bin", "/bin"]),
        "PYTHONPATH": str(ROOT),
        "LLMFLEET_CACHE_ROOT": str(workdir / "cache"),
        "LLMFLEET_TEST_API_KEY": key,
        CPU_TEST_ENV: "1",
        BACKEND_PORT_ENV: str(backend_port),
        "LANG": "C.UTF-8",
        **(extra_env or {}),
    }
    log_path = workdir / "launcher.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [python, "-m", "serving.launch", "--spec", str(spec_path)],
            env=env,
            cwd=str(ROOT),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Launcher(proc, spec.port, backend_port, key, log_path)
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"the launcher exited with {proc.returncode}:\n{running.log()[-4000:]}")
            with contextlib.suppress(OSError):
                if call(spec.port, "GET", "/health", timeout=5).status == 200:
                    break
            if time.monotonic() > deadline:
                raise AssertionError(f"/health did not answer 200 within {ready_timeout:g} s:\n{running.log()[-4000:]}")
            time.sleep(0.5)
        yield running
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=90)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # the launcher's session: vLLM has its own, tied by PDEATHSIG
        proc.wait(timeout=30)
