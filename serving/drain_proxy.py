"""A drain-aware reverse proxy in front of vLLM, run by the launcher (serving.supervisor).

Why it exists: measured against the real vLLM 0.32.0 server, its own ``--shutdown-timeout``
drain keeps accepting requests and answers them 500, cuts the streams still running at the
deadline silently (no finish reason, no error, after HTTP 200), and leaves non-streaming
requests hanging past the pod's grace period. vLLM offers no hook to change that, so the
server's port is this proxy and vLLM listens on loopback behind it.

What it does, per request:

* passes method, path, query, headers and body through unchanged, and the response back
  (status, headers, body; ``text/event-stream`` bodies chunk by chunk, as they come);
* checks the API key (``Authorization: Bearer``) on every path but :data:`OPEN_PATHS`: vLLM
  itself checks only /v1, /v2, /inference and /cohere (vllm/entrypoints/serve/middleware/
  authenticate.py) and leaves /tokenize, /detokenize, /invocations, /pooling-style routes,
  /scale_elastic_ep ... open; the answer is vLLM's own (401 ``{"error": "Unauthorized"}``);
* answers 503 with ``Retry-After`` while vLLM does not answer (still loading, or gone).

And on shutdown (:meth:`DrainProxy.drain`, then :meth:`DrainProxy.cut` at the deadline):

* new requests get 503 with ``Retry-After`` and ``Connection: close``; ``/health`` too, so
  probes and the global health check take the pod out; ``/metrics`` is still served;
* requests in flight run on; at the deadline a stream still running ends with an SSE error
  event (``data: {"error": {...}}``) and ``data: [DONE]``, a non-streaming request still
  waiting (for vLLM, or for its own body from the client) is answered 503 with
  ``Retry-After``. A stream that vLLM ends without ``[DONE]`` (it crashed) gets the same error
  event. No response ends silently;
* a request that has not finished even its error answer after the cut's grace (a client that
  reads nothing) is cancelled and its connection dropped, so no client holds the stop: aiohttp
  alone would wait 60 s per such handler when the proxy closes. The proxy keeps listening
  (answering 503) until :meth:`DrainProxy.close`, which the launcher calls last.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

OPEN_PATHS = frozenset({"/health", "/metrics"})
"""Answered without a key (kubelet probes, Prometheus). Exact paths: ``/health/..`` is not one."""
DRAIN_OPEN_PATHS = frozenset({"/metrics"})
"""Still passed to vLLM while draining (scrapes see the drain); everything else gets 503."""
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
"""Headers that describe one connection, not the message (RFC 9110 section 7.6.1), plus the ones
aiohttp sets itself."""
CLOSE_BUDGET_S = 1.0
"""The longest :meth:`DrainProxy.close` takes: aiohttp waits for a handler still running (only one
the cut cancelled should be), cancels it and waits again, half of this each time."""
RETRY_AFTER_S = 1
"""Seconds a client should wait before retrying a 503 (on another replica, through the gateway)."""
BACKEND_KEEPALIVE_S = 4.0
"""Below uvicorn's 5 s keep-alive in vLLM, so the proxy never reuses a connection vLLM is closing."""
DONE_EVENT = b"data: [DONE]"
MAX_PENDING_EVENT = 1 << 20
"""An event longer than this (no blank line yet) is passed on as it is."""
EVENT_STREAM = "text/event-stream"
UNAUTHORIZED = {"error": "Unauthorized"}


def error_body(message: str, code: int = 503) -> dict[str, object]:
    """vLLM's ErrorResponse shape, so OpenAI clients read it as an API error."""
    return {"error": {"message": message, "type": "ServiceUnavailableError", "param": None, "code": code}}


def error_event(message: str) -> bytes:
    """The SSE frames that end a stream the proxy has to stop: an error event, then [DONE]."""
    return b"data: " + json.dumps(error_body(message)).encode() + b"\n\n" + DONE_EVENT + b"\n\n"


@dataclass(eq=False)
class _Flight:
    """One request in flight: the task reading from vLLM that :meth:`DrainProxy.cut` cancels."""

    path: str
    handler: asyncio.Task[object] | None = None
    """The task answering this request (aiohttp's handler), cancelled when even the cut's grace
    is not enough."""
    reading: asyncio.Future[object] | None = None
    cut: bool = field(default=False)


class DrainProxy:
    """``start`` it, then ``drain()`` on SIGTERM, ``wait_idle(timeout)``, ``cut()``, ``close()``."""

    def __init__(
        self,
        backend_host: str,
        backend_port: int,
        *,
        api_keys: Sequence[str] = (),
        log: Callable[[str], None] = lambda line: None,
        retry_after_s: int = RETRY_AFTER_S,
        close_budget_s: float = CLOSE_BUDGET_S,
    ) -> None:
        self._backend = f"http://{backend_host}:{backend_port}"
        self._tokens = [hashlib.sha256(key.encode()).digest() for key in api_keys if key]
        self._log = log
        self._retry_after = str(retry_after_s)
        self._close_budget_s = close_budget_s
        self._flights: set[_Flight] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self.draining = False
        self.cut_count = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self, host: str, port: int) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=BACKEND_KEEPALIVE_S),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=5),
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        app = web.Application(client_max_size=64 * 2**20)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # handler_cancellation: a client that goes away cancels its handler, which closes the
        # connection to vLLM, so vLLM aborts the request instead of computing it for nobody.
        # shutdown_timeout: close() must not wait aiohttp's default 60 s (twice) on a handler.
        self._runner = web.AppRunner(
            app,
            handle_signals=False,
            access_log=None,
            handler_cancellation=True,
            shutdown_timeout=self._close_budget_s / 2,
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port, backlog=1024, reuse_address=True).start()

    def drain(self) -> None:
        """From now on: 503 for new requests; those in flight run on."""
        self.draining = True

    @property
    def in_flight(self) -> int:
        return len(self._flights)

    async def wait_idle(self, timeout: float) -> bool:
        """True once nothing is in flight; False after ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def cut(self, grace: float) -> tuple[int, int]:
        """Stop every request still in flight with an error; wait up to ``grace`` s for the answers.

        Returns (requests cut, requests dropped): a request whose answer is still not written
        after ``grace`` (its client reads nothing) is cancelled, which closes its connection; it
        ends at its next await, at the latest when :meth:`close` waits for it.
        """
        flights = list(self._flights)
        for flight in flights:
            flight.cut = True
            if flight.reading is not None and not flight.reading.done():
                flight.reading.cancel()
        self.cut_count += len(flights)
        if await self.wait_idle(grace):
            return len(flights), 0
        stuck = [f for f in self._flights if f.handler is not None and not f.handler.done()]
        for flight in stuck:
            flight.handler.cancel()
        return len(flights), len(stuck)

    async def close(self) -> None:
        """Stop listening and close every connection, within ``close_budget_s``."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    # -- requests -------------------------------------------------------------------------

    def _authorized(self, header: str | None) -> bool:
        if not self._tokens:
            return True
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        digest = hashlib.sha256(token.encode()).digest()
        return any(secrets.compare_digest(digest, known) for known in self._tokens)

    def _unavailable(self, message: str, *, close: bool = False) -> web.Response:
        response = web.json_response(error_body(message), status=503, headers={"Retry-After": self._retry_after})
        if close or self.draining:
            response.force_close()
        return response

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if self.draining and path not in DRAIN_OPEN_PATHS:
            return self._unavailable("the server is shutting down; retry on another replica", close=True)
        if path not in OPEN_PATHS and not self._authorized(request.headers.get("Authorization")):
            return web.json_response(UNAUTHORIZED, status=401)
        flight = _Flight(path, handler=asyncio.current_task())
        self._flights.add(flight)
        self._idle.clear()
        try:
            return await self._forward(request, flight)
        finally:
            if flight.reading is not None and not flight.reading.done():
                flight.reading.cancel()
            self._flights.discard(flight)
            if not self._flights:
                self._idle.set()

    async def _read(self, flight: _Flight, awaitable) -> object:
        """Await ``awaitable`` as a task :meth:`cut` can cancel; raises _CutError when it did."""
        flight.reading = asyncio.ensure_future(awaitable)
        try:
            return await flight.reading
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if flight.cut and not (current is not None and current.cancelling()):
                raise _CutError from None
            raise

    async def _forward(self, request: web.Request, flight: _Flight) -> web.StreamResponse:
        assert self._session is not None
        try:  # cancellable too: a client still sending its body at the deadline must not hold the stop
            body = await self._read(flight, request.read())
        except _CutError:
            return self._unavailable("the server shut down before the request was received; retry", close=True)
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        try:
            upstream = await self._read(
                flight,
                self._session.request(
                    request.method, self._backend + request.raw_path, headers=headers, data=body, allow_redirects=False
                ),
            )
        except _CutError:
            return self._unavailable("the server shut down before the model answered; retry", close=True)
        except (aiohttp.ClientError, OSError) as exc:
            return self._unavailable(f"the model server is not answering ({type(exc).__name__}); retry")
        assert isinstance(upstream, aiohttp.ClientResponse)
        try:
            out_headers = [(k, v) for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP]
            if upstream.content_type == EVENT_STREAM:
                return await self._stream(request, upstream, out_headers, flight)
            try:
                payload = await self._read(flight, upstream.read())
            except _CutError:
                return self._unavailable("the server shut down before the model answered; retry", close=True)
            except (aiohttp.ClientError, OSError) as exc:
                return self._unavailable(f"the model server failed mid-answer ({type(exc).__name__}); retry")
            response = web.Response(status=upstream.status, body=payload, headers=out_headers)
            if self.draining:
                response.force_close()
            return response
        finally:
            upstream.close()

    async def _stream(
        self, request: web.Request, upstream: aiohttp.ClientResponse, headers: list[tuple[str, str]], flight: _Flight
    ) -> web.StreamResponse:
        response = web.StreamResponse(status=upstream.status, headers=headers)
        if self.draining:
            response.force_close()
        await response.prepare(request)
        try:
            ended = await self._read(flight, _pump(upstream, response))
        except _CutError:
            ended = "the server shut down before this answer finished; retry"
        except (aiohttp.ClientError, OSError) as exc:
            ended = f"the model server failed mid-answer ({type(exc).__name__}); retry"
        if ended == _CLIENT_GONE:
            return response
        if ended != _COMPLETE:
            self._log(f"drain-proxy: {flight.path}: stream ended with an error event: {ended}")
            try:
                await response.write(error_event(str(ended)))
            except (ConnectionError, aiohttp.ClientError):
                return response
        await response.write_eof()
        return response


class _CutError(Exception):
    """The drain deadline stopped this request (raised by DrainProxy._read)."""


_COMPLETE = "complete"
_CLIENT_GONE = "client-gone"


async def _pump(upstream: aiohttp.ClientResponse, response: web.StreamResponse) -> str:
    """Copy an SSE body event by event; _COMPLETE when it ended with ``[DONE]``.

    Only whole events (up to a blank line) are passed on, so an error event the proxy appends
    after a cut never lands in the middle of a half-sent one.
    """
    pending = b""
    tail = b""
    async for chunk in upstream.content.iter_any():
        pending += chunk
        end = pending.rfind(b"\n\n")
        if end < 0 and len(pending) < MAX_PENDING_EVENT:
            continue
        out, pending = (pending[: end + 2], pending[end + 2 :]) if end >= 0 else (pending, b"")
        try:
            await response.write(out)
        except (ConnectionError, aiohttp.ClientError):
            return _CLIENT_GONE
        tail = (tail + out)[-64:]
    if DONE_EVENT in tail and not pending.strip():
        return _COMPLETE
    return "the model server ended the stream without [DONE]; retry"
