"""Helpers the tests share: import them from here (``from tests.helpers import ...``).

Fixtures stay in conftest.py; anything a test calls directly lives in one of these modules:

  paths.py      ROOT, SEEDS
  embedders.py  MemoEmbedder (the real model, passage vectors memoised across tests),
                HashEmbedder (vectors from a hash: storage tests, thousands of vectors)
  checks.py     assert_citations_exact
  servers.py    serve_process (a real `qa-service serve` on a free loopback port)
  engines.py    a throwaway PostgreSQL cluster, a `chroma run` server, server-mode replicas
  models.py     tiny real model folders built offline (a cross-encoder, a sentence embedder)
  articles.py   small articles several tests ingest
  llm_servers.py  the real llama.cpp server (Gemma 3 270M) and a scripted OpenAI-compatible one
"""
