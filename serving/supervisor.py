"""The launcher as PID 1: vLLM as a child on loopback, the drain proxy on the server's port.

    SIGTERM (after the pod's preStop sleep)
      -> the proxy answers new requests 503 + Retry-After (and /health 503)
      -> requests in flight run on, up to the spec's shutdownTimeout
      -> at the deadline, what still runs is ended with an error (serving.drain_proxy), within
         CUT_GRACE_S; a request whose client takes not even that is dropped
      -> vLLM gets SIGTERM (it runs with --shutdown-timeout 0: nothing is left to drain), and
         SIGKILL for its whole process group after BACKEND_STOP_S
      -> the proxy closes (it answers 503 until then, so nothing is refused while the launcher
         still runs), within CLOSE_BUDGET_S
      -> exit 0.

So the pod stops within ``preStop + shutdownTimeout + CUT_GRACE_S + BACKEND_STOP_S +
CLOSE_BUDGET_S`` (plus the interpreter's exit), which :func:`stop_budget_s` states and the
workloads' grace period covers; each step is logged with its time since the signal. If vLLM
exits by itself, the proxy stops and the launcher exits with vLLM's status, so the kubelet
restarts the container as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from serving.versions import BACKEND_HOST

CUT_GRACE_S = 2.0
"""Seconds the proxy gives the requests it cut to send their error event or 503."""
BACKEND_STOP_S = 5.0
"""Seconds vLLM gets to exit after SIGTERM before its process group is killed."""
CLOSE_BUDGET_S = 1.0
"""Seconds the proxy's close may take (serving.drain_proxy: it waits for a handler still running,
cancels it, waits again; half of this each time). Nothing should be running by then."""
_PR_SET_PDEATHSIG = 1


def stop_budget_s(shutdown_timeout_s: float) -> float:
    """Longest time from SIGTERM to the launcher's exit."""
    return shutdown_timeout_s + CUT_GRACE_S + BACKEND_STOP_S + CLOSE_BUDGET_S


def backend_argv(argv: Sequence[str], *, port: int) -> list[str]:
    """The spec's ``vllm serve`` argv, moved behind the proxy: loopback, ``port``, no drain of its own.

    The spec renders ``--host``, ``--port`` and ``--shutdown-timeout`` itself (extraFlags cannot
    set them), so replacing their values is exact. The proxy owns the drain; when vLLM gets
    SIGTERM nothing is in flight, and ``--shutdown-timeout 0`` makes it exit at once.
    """
    out = list(argv)
    for flag, value in (("--host", BACKEND_HOST), ("--port", str(port)), ("--shutdown-timeout", "0")):
        if flag not in out:
            out += [flag, value]
            continue
        out[out.index(flag) + 1] = value
    return out


@dataclass(frozen=True)
class Serving:
    """What the supervisor needs from the spec."""

    listen_host: str
    listen_port: int
    backend_port: int
    shutdown_timeout_s: float
    api_keys: tuple[str, ...]


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when the launcher dies, so vLLM never outlives it."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


async def supervise(
    argv: Sequence[str], env: Mapping[str, str], serving: Serving, log: Callable[[str], None]
) -> int:
    from serving.drain_proxy import DrainProxy  # aiohttp: in the image (a vLLM dependency)

    proc = await asyncio.create_subprocess_exec(
        *argv, env=dict(env), start_new_session=True, preexec_fn=_die_with_parent
    )
    proxy = DrainProxy(
        BACKEND_HOST, serving.backend_port, api_keys=serving.api_keys, log=log, close_budget_s=CLOSE_BUDGET_S
    )
    try:
        await proxy.start(serving.listen_host, serving.listen_port)
    except OSError as exc:
        log(f"error: launch: cannot listen on {serving.listen_host}:{serving.listen_port}: {exc.strerror or exc}")
        await _stop_backend(proc, log)
        return 1
    log(
        f"launch: serving on {serving.listen_host}:{serving.listen_port} through the drain proxy; vLLM (pid "
        f"{proc.pid}) on {BACKEND_HOST}:{serving.backend_port}"
    )
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    received: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda s=sig: (received.append(s), stop.set()))
    exited = asyncio.ensure_future(proc.wait())
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if exited.done():
        stopping.cancel()
        log(f"launch: vLLM exited with status {proc.returncode}; stopping")
        await proxy.close()
        code = proc.returncode or 0
        return 128 - code if code < 0 else code
    started = time.monotonic()
    name = signal.Signals(received[0]).name
    log(
        f"drain: {name}: new requests get 503; {proxy.in_flight} in flight get up to "
        f"{serving.shutdown_timeout_s:g} s (shutdownTimeout)"
    )
    proxy.drain()
    drained = asyncio.ensure_future(proxy.wait_idle(serving.shutdown_timeout_s))
    await asyncio.wait({drained, exited}, return_when=asyncio.FIRST_COMPLETED)
    if not drained.done():
        drained.cancel()
    if proxy.in_flight:
        deadline = time.monotonic() - started
        count, dropped = await proxy.cut(CUT_GRACE_S)
        log(
            f"drain: {count} request(s) still running after {deadline:.1f} s were ended with an error by "
            f"{time.monotonic() - started:.1f} s"
            + (f"; {dropped} took no answer within {CUT_GRACE_S:g} s and were dropped" if dropped else "")
        )
    else:
        log(f"drain: every request finished within {time.monotonic() - started:.1f} s")
    # vLLM first, the proxy last: it answers 503 until the launcher is about to exit.
    await _stop_backend(proc, log)
    await proxy.close()
    log(f"drain: stopped {time.monotonic() - started:.1f} s after {name}")
    return 0


async def _stop_backend(proc: asyncio.subprocess.Process, log: Callable[[str], None]) -> None:
    if proc.returncode is None:
        signalled = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), BACKEND_STOP_S)
            log(f"drain: vLLM exited {time.monotonic() - signalled:.1f} s after its SIGTERM (status {proc.returncode})")
        except TimeoutError:
            log(f"drain: vLLM did not exit within {BACKEND_STOP_S:g} s of SIGTERM; killing its process group")
    # Its engine and worker processes share its process group (start_new_session).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.returncode is None:
        await proc.wait()


def run(argv: Sequence[str], env: Mapping[str, str], serving: Serving, log: Callable[[str], None]) -> int:
    return asyncio.run(supervise(argv, env, serving, log))
