"""The launcher's drain proxy and shutdown, end to end on loopback, with a stand-in vLLM.

The real launcher process (``python -m serving.launch`` with the CPU test switch) runs
tests/serving/fake_vllm.py as its ``vllm``: fast enough for every ``make test``. The same
properties are checked against the real vLLM 0.32.0 server in tests/serving/vllm_server.
"""

from __future__ import annotations

import concurrent.futures
import os
import socket
import sys
import time
from pathlib import Path

import pytest

from serving.drain_proxy import OPEN_PATHS
from serving.spec import ServingSpec
from serving.supervisor import BACKEND_STOP_S, CLOSE_BUDGET_S, CUT_GRACE_S, backend_argv, stop_budget_s
from tests.serving.launcher_harness import call, free_port, launcher, stream

pytestmark = [pytest.mark.server, pytest.mark.slow]

KEY = "sk-drain-test-0123456789"
SHUTDOWN_TIMEOUT = 3
FAKE = Path(__file__).with_name("fake_vllm.py")


@pytest.fixture
def fake_vllm_dir(tmp_path: Path) -> str:
    """A directory whose ``vllm`` runs the stand-in with this interpreter."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "vllm"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    return str(bin_dir)


def _spec(tmp_path: Path, **fields) -> ServingSpec:
    model = tmp_path / "model"
    model.mkdir(exist_ok=True)
    base = {
        "model": str(model),
        "served_model_name": "tiny",
        "host": "127.0.0.1",
        "port": free_port(),
        "shutdown_timeout": SHUTDOWN_TIMEOUT,
        "api_key_env": "LLMFLEET_TEST_API_KEY",
        "require_manifest": False,
    }
    return ServingSpec(**{**base, **fields})


def _run(tmp_path, fake_vllm_dir, **fields):
    return launcher(_spec(tmp_path, **fields), tmp_path / "run", python=sys.executable, path_dirs=[fake_vllm_dir], key=KEY)


def test_backend_argv_moves_vllm_behind_the_proxy():
    spec = ServingSpec(model="/models/x", served_model_name="x", shutdown_timeout=45)
    argv = backend_argv(spec.to_vllm_argv(), port=8001)
    assert argv[argv.index("--host") + 1] == "127.0.0.1" and argv[argv.index("--port") + 1] == "8001"
    assert argv[argv.index("--shutdown-timeout") + 1] == "0", "the proxy drains; vLLM must not cut on its own"
    assert len(argv) == len(spec.to_vllm_argv())
    assert stop_budget_s(45) == 45 + CUT_GRACE_S + BACKEND_STOP_S + CLOSE_BUDGET_S


def test_requests_pass_through_and_the_key_is_checked_on_every_path(tmp_path, fake_vllm_dir):
    with _run(tmp_path, fake_vllm_dir) as server:
        port = server.port
        done = call(port, "POST", "/v1/completions", {"chunks": 2, "interval": 0.01}, key=KEY)
        assert done.status == 200 and done.json()["choices"][0]["finish_reason"] == "length"
        streamed = stream(port, "/v1/completions", {"chunks": 3, "interval": 0.01}, key=KEY)
        assert streamed.status == 200 and streamed.done and streamed.finish_reasons == ["length"]
        assert [p["choices"][0]["text"] for p in streamed.payloads] == ["0", "1", "2", ""]
        for path in ("/v1/models", "/tokenize", "/invocations", "/scale_elastic_ep", "/health/../tokenize", "//health"):
            for key in (None, "wrong-key"):
                reply = call(port, "POST", path, {}, key=key)
                assert reply.status == 401 and reply.json() == {"error": "Unauthorized"}, (path, key)
        assert call(port, "POST", "/tokenize?x=1", {}, key=KEY).json() == {"method": "POST", "path": "/tokenize?x=1"}
        for path in sorted(OPEN_PATHS):
            assert call(port, "GET", path).status == 200, path


def test_sigterm_drains_what_fits_and_ends_the_rest_with_an_error(tmp_path, fake_vllm_dir):
    with _run(tmp_path, fake_vllm_dir) as server:
        port = server.port
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            short_stream = pool.submit(stream, port, "/v1/completions", {"chunks": 10, "interval": 0.15}, key=KEY)
            long_stream = pool.submit(
                stream, port, "/v1/completions", {"chunks": 100, "interval": 0.1, "split": True}, key=KEY
            )
            short_call = pool.submit(call, port, "POST", "/v1/completions", {"chunks": 10, "interval": 0.15}, key=KEY)
            long_call = pool.submit(call, port, "POST", "/v1/completions", {"chunks": 100, "interval": 0.1}, key=KEY)
            time.sleep(0.5)  # all four are in flight
            sent = server.sigterm()
            time.sleep(0.3)
            during = call(port, "POST", "/v1/completions", {"chunks": 1, "interval": 0.01}, key=KEY)
            health = call(port, "GET", "/health")
            metrics = call(port, "GET", "/metrics")
            server.proc.wait(timeout=stop_budget_s(SHUTDOWN_TIMEOUT) + 5)
            exited = time.monotonic() - sent
            results = [f.result(timeout=10) for f in (short_stream, long_stream, short_call, long_call)]
    short_stream, long_stream, short_call, long_call = results
    log = server.log()
    # What fits the drain window completes.
    assert short_stream.status == 200 and short_stream.done and short_stream.finish_reasons == ["length"], log
    assert short_call.status == 200 and short_call.json()["choices"][0]["finish_reason"] == "length"
    # What does not ends with an error, never silently.
    assert long_stream.status == 200 and long_stream.done and long_stream.error is None
    assert long_stream.finish_reasons == [] and len(long_stream.error_events) == 1, long_stream.events[-3:]
    assert len(long_stream.payloads) > 10  # every event parses: the error never lands inside a half-sent one
    assert long_stream.error_events[0]["code"] == 503 and "shut down" in long_stream.error_events[0]["message"]
    assert SHUTDOWN_TIMEOUT <= long_stream.ended - sent <= SHUTDOWN_TIMEOUT + CUT_GRACE_S + 1
    assert long_call.status == 503 and long_call.headers["retry-after"] == "1"
    assert long_call.json()["error"]["code"] == 503
    # New requests during the drain: 503 with Retry-After; /health 503 too; /metrics still answered.
    assert during.status == 503 and during.headers["retry-after"] == "1" and during.headers.get("connection") == "close"
    assert health.status == 503 and metrics.status == 200
    # The process exits in its budget, with status 0.
    assert server.proc.returncode == 0, log
    assert exited <= stop_budget_s(SHUTDOWN_TIMEOUT), log
    assert "drain: 2 request(s) still running" in log and "drain: stopped" in log


def test_an_idle_server_stops_at_once(tmp_path, fake_vllm_dir):
    with _run(tmp_path, fake_vllm_dir, shutdown_timeout=30) as server:
        sent = server.sigterm()
        server.proc.wait(timeout=20)
        assert time.monotonic() - sent < 5 and server.proc.returncode == 0
        assert "every request finished" in server.log()


def test_a_stream_the_engine_drops_ends_with_an_error_event(tmp_path, fake_vllm_dir):
    with _run(tmp_path, fake_vllm_dir) as server:
        cut = stream(server.port, "/v1/completions", {"chunks": 2, "interval": 0.01, "end": "cut"}, key=KEY)
        assert cut.status == 200 and cut.done and cut.finish_reasons == [] and len(cut.error_events) == 1
        assert "mid-answer" in cut.error_events[0]["message"] or "without [DONE]" in cut.error_events[0]["message"]


def test_vllm_exiting_stops_the_launcher_with_its_status(tmp_path, fake_vllm_dir):
    with _run(tmp_path, fake_vllm_dir) as server:
        reply = call(server.port, "POST", "/crash", {}, key=KEY)
        assert reply.status == 503 and reply.headers["retry-after"] == "1"
        server.proc.wait(timeout=20)
        assert server.proc.returncode == 3 and "vLLM exited with status 3" in server.log()


def test_the_test_switch_is_refused_inside_kubernetes(tmp_path, fake_vllm_dir):
    import subprocess

    from tests.serving.launcher_harness import ROOT, write_spec

    spec_path = write_spec(tmp_path, _spec(tmp_path))
    env = {
        "PATH": f"{fake_vllm_dir}:/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "LLMFLEET_TEST_ON_CPU": "1",
        "KUBERNETES_SERVICE_HOST": "10.96.0.1",
        "LLMFLEET_TEST_API_KEY": KEY,
        "LLMFLEET_CACHE_ROOT": str(tmp_path / "cache"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "serving.launch", "--spec", str(spec_path)],
        env=env, capture_output=True, text=True, timeout=60, check=False, cwd=str(ROOT),
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "LLMFLEET_TEST_ON_CPU: the CPU test switch is set inside Kubernetes" in lines[0]
    assert KEY not in done.stderr and os.environ.get("LLMFLEET_TEST_ON_CPU") is None


def _server_pods(plan):
    """(name, pod template spec, ServingSpec) of every model server pod that runs vLLM."""
    specs = {}
    for resource in plan.resources:
        meta = resource.props.get("metadata", {})
        if resource.type == "kubernetes:core/v1:ConfigMap" and "spec.json" in (resource.props.get("data") or {}):
            specs[(resource.provider, meta.get("namespace"), meta.get("name"))] = resource.props["data"]["spec.json"]
    for resource in plan.resources:
        props = resource.props
        if resource.type == "kubernetes:apps/v1:Deployment":
            templates = [props["spec"]["template"]]
        elif resource.type.endswith(":LeaderWorkerSet"):
            templates = [props["spec"]["leaderWorkerTemplate"]["leaderTemplate"]]
        else:
            continue
        for template in templates:
            pod = template["spec"]
            config_maps = [v["configMap"]["name"] for v in pod.get("volumes", []) if "configMap" in v]
            key = (resource.provider, props["metadata"]["namespace"], config_maps[0] if config_maps else None)
            if key in specs:
                yield resource.name, pod, ServingSpec.from_json(specs[key])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_server_pod_gives_the_launcher_its_whole_stop_budget(stack, request):
    """preStop, then SIGTERM; the launcher needs stop_budget_s(shutdownTimeout) after it."""
    plan = request.getfixturevalue(f"{stack}_plan")
    pods = list(_server_pods(plan))
    assert pods, "no model server in the plan"
    for name, pod, spec in pods:
        (container,) = [c for c in pod["containers"] if c["name"] == "server"]
        pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert spec.shutdown_timeout > 0, name
        assert pre_stop + stop_budget_s(spec.shutdown_timeout) <= pod["terminationGracePeriodSeconds"], name
        assert not any(e["name"] == "LLMFLEET_TEST_ON_CPU" for e in container.get("env", [])), name


def _stuck_client(port: int, case: str) -> socket.socket:
    """A request whose client holds the connection at the drain deadline; returns once the proxy
    is handling it.

    ``body``: the client sends half its body and stops (the proxy's handler waits for the rest;
    ``Expect: 100-continue`` tells when it runs). ``reader``: a stream whose client never reads
    (a receive buffer of a few KB), 400 x 32 KB, more than the socket buffers between hold; once
    its answer starts to arrive it is in flight.
    """
    import json

    body = {"chunks": 400, "interval": 0.001, "pad": 32768, "stream": True}
    payload = json.dumps(body).encode()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(30)
    sock.connect(("127.0.0.1", port))
    head = (
        "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {KEY}\r\nContent-Length: {len(payload)}\r\n"
    )
    if case == "body":
        sock.sendall(f"{head}Expect: 100-continue\r\n\r\n".encode())
        assert sock.recv(64).startswith(b"HTTP/1.1 100"), "the proxy did not take the request"
        sock.sendall(payload[: len(payload) // 2])
        return sock
    sock.sendall(f"{head}\r\n".encode() + payload)
    deadline = time.monotonic() + 30
    while not _pending_bytes(sock):
        assert time.monotonic() < deadline, "the answer never started"
        time.sleep(0.05)
    return sock


def _pending_bytes(sock: socket.socket) -> int:
    import array
    import fcntl
    import termios

    count = array.array("i", [0])
    fcntl.ioctl(sock.fileno(), termios.FIONREAD, count)
    return count[0]


@pytest.mark.parametrize("case", ["body", "reader"])
def test_a_client_stuck_at_the_deadline_cannot_hold_the_stop_past_its_budget(tmp_path, fake_vllm_dir, case):
    """A client that never sends the rest of its body, or never reads its answer, at the deadline:
    the proxy ends its request (503, or the error event it cannot deliver) and, if even that does
    not finish, drops the connection. aiohttp alone waits 60 s per such handler when it closes."""
    with _run(tmp_path, fake_vllm_dir) as server:
        sock = _stuck_client(server.port, case)
        try:
            sent = server.sigterm()
            server.proc.wait(timeout=stop_budget_s(SHUTDOWN_TIMEOUT) + 150)
            exited = time.monotonic() - sent
        finally:
            sock.close()
    log = server.log()
    assert "1 in flight" in log and "drain: 1 request(s) still running" in log, log
    assert server.proc.returncode == 0, log
    assert SHUTDOWN_TIMEOUT <= exited <= stop_budget_s(SHUTDOWN_TIMEOUT), (exited, log)


def test_the_cut_drops_a_request_it_could_not_end_and_close_stays_in_its_budget():
    """The backstop behind the cut: a handler still running after the grace (here one stuck where
    the cut cannot reach it) is cancelled, its connection dropped, and close() is quick."""
    import asyncio

    from serving.drain_proxy import CLOSE_BUDGET_S, DrainProxy

    async def scenario() -> tuple[tuple[int, int], bytes, float]:
        proxy = DrainProxy("127.0.0.1", free_port(), api_keys=[KEY])

        async def stuck(request, flight):
            await asyncio.Event().wait()  # not through DrainProxy._read: the cut cannot end it

        proxy._forward = stuck
        port = free_port()
        await proxy.start("127.0.0.1", port)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n\r\n".encode())
        await writer.drain()
        while not proxy.in_flight:
            await asyncio.sleep(0.01)
        proxy.drain()
        counts = await proxy.cut(0.2)
        answer = await asyncio.wait_for(reader.read(), 5)  # b"": dropped without an answer
        started = time.monotonic()
        await proxy.close()
        writer.close()
        return counts, answer, time.monotonic() - started

    counts, answer, closing = asyncio.run(scenario())
    assert counts == (1, 1) and answer == b""
    assert closing <= CLOSE_BUDGET_S
