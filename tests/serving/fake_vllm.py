"""A stand-in for ``vllm serve`` behind the launcher's drain proxy, for the fast drain tests.

    python tests/serving/fake_vllm.py serve MODEL --host H --port P [any other vllm flags]

Answers like vLLM's OpenAI server, on timings the request asks for, so a test can hold requests
in flight across a SIGTERM:

* ``GET /health`` 200;
* ``POST /v1/completions`` with JSON ``{"stream": bool, "chunks": N, "interval": S, "end": "done"|"cut",
  "split": bool, "pad": B}`` (``split``: every event in two writes, so a cut can fall inside one;
  ``pad``: B more bytes of text per chunk, to fill a client's socket buffers quickly):
  a stream of N SSE chunks S seconds apart, then a finish_reason chunk and ``data: [DONE]``
  (``end: "cut"``: the connection just closes, as when vLLM dies); without ``stream``, one JSON
  answer after N x S seconds;
* ``POST /crash``: exits the process at once with status 3;
* anything else: echoes the method and path (``{"path": ...}``); no API key is checked here.

vLLM's argv is accepted and ignored except ``--host`` and ``--port``; SIGTERM exits at once.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

from aiohttp import web


def _arg(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


async def completions(request: web.Request) -> web.StreamResponse:
    body = await request.json()
    chunks, interval = int(body.get("chunks", 3)), float(body.get("interval", 0.1))
    pad = "x" * int(body.get("pad", 0))
    if not body.get("stream"):
        await asyncio.sleep(chunks * interval)
        return web.json_response({"object": "text_completion", "choices": [{"text": "x" * chunks, "finish_reason": "length"}]})
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8"})
    await response.prepare(request)
    for i in range(chunks):
        await asyncio.sleep(interval)
        chunk = {"object": "text_completion", "choices": [{"index": 0, "text": str(i) + pad, "finish_reason": None}]}
        event = f"data: {json.dumps(chunk)}\n\n".encode()
        if body.get("split"):  # each event in two writes, half an interval apart
            await response.write(event[:20])
            await asyncio.sleep(interval / 2)
            event = event[20:]
        await response.write(event)
    if body.get("end") == "cut":
        assert request.transport is not None
        request.transport.close()  # the connection drops mid-stream, as when the engine dies
        return response
    last = {"object": "text_completion", "choices": [{"index": 0, "text": "", "finish_reason": "length"}]}
    await response.write(f"data: {json.dumps(last)}\n\ndata: [DONE]\n\n".encode())
    await response.write_eof()
    return response


async def health(request: web.Request) -> web.Response:
    return web.Response(text="")


async def crash(request: web.Request) -> web.Response:
    os._exit(3)


async def echo(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({"method": request.method, "path": request.path_qs})


def main(argv: list[str]) -> None:
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_post("/v1/completions", completions)
    app.router.add_post("/crash", crash)
    app.router.add_route("*", "/{tail:.*}", echo)
    web.run_app(app, host=_arg(argv, "--host"), port=int(_arg(argv, "--port")), print=None, handle_signals=False)


if __name__ == "__main__":
    main(sys.argv[1:])
