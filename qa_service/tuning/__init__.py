"""Every weight and threshold of the service, each with why it has its value.

One module per concern; look a number up here, not in the code that uses it:

  calibration.py  per embedding model: score weights and abstain thresholds, keyed by the
                  model's identity (name, dimension, a hash of its files)
  retrieval.py    how many hits each search returns, the fusion weights, lexical matching
  answer.py       evidence, citation grouping, context, answer text, topic preference
  chat.py         follow-up rewriting
  generation.py   generative answers: evidence given to the LLM, the verifier's threshold
  ingest.py       chunk size and breaks; heading, footer, title and date heuristics
  latency.py      how the embedder's OpenMP threads wait, how many per question, batching
  limits.py       the anonymous callers' default rate limit; how server mode waits out a
                  PostgreSQL outage
  serving.py      the HTTP edge's timeouts (headers, body pieces, keep-alive, shutdown)
  stores.py       store batch sizes, the text cache, how often keys are re-read

Each constant says why it has its value and what set it: a benchmark (a command in
``benchmarks/``, its table in benchmarks/README.md), a test, or "not measured" when nobody
has measured it yet (a reasonable first choice, still open to a benchmark). Input limits
that protect the service (question length, metadata size) are settings or sit beside their
checks; they are contracts, not tuning.
"""
