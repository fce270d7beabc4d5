"""/v1/chat answers as Server-Sent Events: the page shows an answer sentence by sentence.

The contract (README, "Streaming"): a ``start`` event, one ``sentence`` event per answer
sentence as soon as it is final, ``done`` with exactly the non-streaming JSON body, then
``[DONE]``. An error after the start is an ``error`` event, then ``[DONE]``; errors before
it (a bad request) keep their usual status codes, since nothing has been sent yet.
An extractive answer is final at once: its sentences are the cited statements.
"""

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from qa_service.errors import QAServiceError

# A statement of the extractive answer and the marker of the citation it came from.
_STATEMENT = re.compile(r"(?:^| )(.+?) \[(\d+)\](?= |$)", re.S)


def answer_sentences(answer: str, abstained: bool) -> list[tuple[str, list[int]]]:
    """Split an extractive answer ("S1 [1] S2 [2]") into its sentences and their citations.

    Anything that does not read back as exactly that shape is one sentence with every
    marker in it, so the streamed text always adds up to the answer.
    """
    pieces = [] if abstained else _STATEMENT.findall(answer)
    if pieces and " ".join(f"{text} [{n}]" for text, n in pieces) == answer:
        return [(f"{text} [{n}]", [int(n)]) for text, n in pieces]
    return [(answer, sorted({int(n) for n in re.findall(r"\[(\d+)\]", answer)}))]


def _event(body: dict[str, Any]) -> dict[str, str]:
    return {"data": json.dumps(body, ensure_ascii=False)}


def chat_events(
    start: dict[str, Any],
    sentences: Iterable[tuple[str, list[int]]],
    response: Callable[[], dict[str, Any]],
) -> Iterator[dict[str, str]]:
    """The event stream of one answer; ``sentences`` may be produced lazily (an LLM)."""
    yield _event({"type": "start", **start})
    try:
        for text, citations in sentences:
            yield _event({"type": "sentence", "text": text, "citations": citations})
        yield _event({"type": "done", "response": response()})
    except QAServiceError as exc:
        yield _event({"type": "error", "detail": str(exc), "error_type": type(exc).__name__})
    yield {"data": "[DONE]"}
