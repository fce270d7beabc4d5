"""PostgreSQL keyword search ranks exactly like SQLite FTS5's bm25(), and uses its GIN index.

Both stores get the same XQuAD-de articles (segmented once; zero vectors, unused here), then
every XQuAD-de question is searched in both: same hits, same order, same scores.
"""

import hashlib
import math
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from qa_service.evaluation.squad import EvalSet, load_squad
from qa_service.ingest.segmentation import segment_article
from qa_service.retrieval.lexical import index_terms, index_text, query_terms
from qa_service.stores import DocumentRecord
from qa_service.stores.postgres import keyword, migrations
from qa_service.stores.postgres.documents import PostgresDatabase, PostgresDocumentStore
from qa_service.stores.sqlite.documents import SQLiteDocumentStore
from tests.helpers.engines import PostgresServer

pytestmark = pytest.mark.slow

XQUAD = Path(__file__).parents[1] / "evaluation" / "data" / "xquad-de-dev.json"


@pytest.fixture(scope="module")
def xquad() -> EvalSet:
    return load_squad(XQUAD)


def _fill(store, articles) -> None:  # type: ignore[no-untyped-def]
    for article in articles:
        text = article.text
        segmentation = segment_article(text)
        digest = hashlib.sha256(text.encode()).hexdigest()
        record = DocumentRecord(
            article.id,
            digest[:16],
            digest,
            article.title,
            None,
            None,
            {},
            len(segmentation.chunks),
            len(segmentation.sentences),
            0.0,
            0.0,
        )
        vectors = np.zeros((len(segmentation.sentences), 4), dtype=np.float32)
        store.replace(record, text, segmentation.sentences, segmentation.chunks, vectors)


@pytest.fixture(scope="module")
def stores(xquad: EvalSet, postgres_server: PostgresServer, tmp_path_factory):  # type: ignore[no-untyped-def]
    sqlite_store = SQLiteDocumentStore(tmp_path_factory.mktemp("fts"))
    pg_store = PostgresDocumentStore(PostgresDatabase(postgres_server.create_database()))
    _fill(sqlite_store, xquad.articles)
    _fill(pg_store, xquad.articles)
    # Replace one article and delete another: the statistics must follow writes both ways.
    _fill(sqlite_store, xquad.articles[:1])
    _fill(pg_store, xquad.articles[:1])
    sqlite_store.delete(xquad.articles[1].id)
    pg_store.delete(xquad.articles[1].id)
    yield sqlite_store, pg_store
    sqlite_store.close()
    pg_store.close()


def test_terms_are_the_ones_fts5_indexes(xquad: EvalSet) -> None:
    """Our FTS5 reading of the tokens gives FTS5's own vocabulary, term for term."""
    texts = [a.text for a in xquad.articles] + [q.question for q in xquad.questions]
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE f USING fts5(tokens)")
    con.execute("CREATE VIRTUAL TABLE v USING fts5vocab(f, 'row')")
    ours: dict[str, int] = {}
    for text in texts:
        con.execute("INSERT INTO f (tokens) VALUES (?)", (index_text(text),))
        for term in set(index_terms(text)):
            ours[term] = ours.get(term, 0) + 1
    assert dict(con.execute("SELECT term, doc FROM v")) == ours
    assert len(ours) > 4000


def test_same_hits_order_and_scores_as_fts5(stores, xquad: EvalSet) -> None:  # type: ignore[no-untyped-def]
    sqlite_store, pg_store = stores
    assert pg_store.counts() == sqlite_store.counts()
    compared = 0
    for question in xquad.questions:
        for search, limit in (("search_chunks", 20), ("search_sentences", 50)):
            want = getattr(sqlite_store, search)(question.question, limit)
            got = getattr(pg_store, search)(question.question, limit)
            assert len(got) == len(want), question.question
            for (wd, wo, ws), (gd, go, gs) in zip(want, got, strict=True):
                assert math.isclose(gs, ws, rel_tol=1e-9), (question.question, want, got)
                # Equal scores may come in either order; different ones may not.
                if (wd, wo) != (gd, go):
                    assert any(
                        (d, o) == (gd, go) and math.isclose(s, gs, rel_tol=1e-9) for d, o, s in want
                    ), (question.question, want, got)
            compared += len(want)
    assert compared > 10_000


def test_pruning_hard_returns_the_same_hits(stores, xquad: EvalSet) -> None:  # type: ignore[no-untyped-def]
    """These few spans fit the default first round whole; a first round of one term makes
    every question prune on real text: the hits stay the same, scores bit for bit."""
    _, pg_store = stores
    rounds = 0
    for question in xquad.questions:
        terms = query_terms(question.question)
        for kind, limit in (("chunks", 20), ("sentences", 50)):
            want = keyword.search(pg_store.db, kind, terms, limit, prune=False)
            got = keyword.search(pg_store.db, kind, terms, limit, first_round_rows=1)
            assert got.hits == want.hits, question.question
            rounds += len(got.rounds)
    assert rounds > 2 * len(xquad.questions)  # two searches each: more than one round per search


def _bounds(pg_store: PostgresDocumentStore) -> tuple[dict, dict]:
    """term_rows' (kind, term) -> (max_tf, min_dl), and the same counted from the spans."""
    kept = {
        (r[0], r[1]): (r[2], r[3])
        for r in pg_store.db.query("SELECT kind, term, max_tf, min_dl FROM term_rows WHERE n > 0")
    }
    exact = {}
    for kind in ("chunks", "sentences"):
        spans = (r[0] for r in pg_store.db.query(f"SELECT terms FROM {kind}"))
        for term, (_, max_tf, min_dl) in keyword.term_bounds(spans).items():
            exact[kind, term] = (max_tf, min_dl)
    return kept, exact


def test_term_bounds_bound_every_span(stores) -> None:  # type: ignore[no-untyped-def]
    """The pruned search skips spans by each term's most times in one span and shortest
    span: the writes (a replacement and a delete included) keep them bounds, and the
    migration that adds them computes them exactly from the spans already stored."""
    _, pg_store = stores
    kept, exact = _bounds(pg_store)
    assert kept.keys() == exact.keys() and len(exact) > 4000
    loose = [k for k in exact if not (kept[k][0] >= exact[k][0] and kept[k][1] <= exact[k][1])]
    assert loose == []
    with pg_store.db.connection() as conn:
        conn.execute("ALTER TABLE term_rows DROP COLUMN max_tf, DROP COLUMN min_dl")
        conn.execute("DELETE FROM schema_migrations WHERE version = 5")
        assert migrations.migrate(conn) == ["m005_term_bounds"]
    kept, exact = _bounds(pg_store)
    assert kept == exact


def test_keyword_query_uses_the_gin_index(stores) -> None:  # type: ignore[no-untyped-def]
    """At a newsroom's size the planner searches through the GIN index, not a scan. The
    XQuAD rows are too few for that (a scan is cheaper there), so 60,000 synthetic spans
    of made-up terms join them first, written straight in SQL in a second."""
    _, pg_store = stores
    with pg_store.db.transaction() as cur:
        cur.execute(
            "INSERT INTO documents (id, version, content_hash, text, n_chunks, n_sentences, "
            "created_at, updated_at) VALUES ('synthetic', 'v', 'h', '', 0, 0, 0, 0)"
        )
        for kind, extra in (
            ("sentences", ", chunk_ord, kind, text"),
            ("chunks", ", first_sentence, last_sentence"),
        ):
            values = ", i, 's', ''" if kind == "sentences" else ", i, i"
            cur.execute(
                f'INSERT INTO {kind} (doc_id, ord, start, "end", terms, n_terms{extra}) '
                f"SELECT 'synthetic', i, 0, 0, ARRAY['w' || (i % 5000), 'x' || (i % 777)], 2"
                f"{values} FROM generate_series(1, 60000) AS i"
            )
    with pg_store.db.connection() as conn:
        conn.execute("ANALYZE")
    for kind in ("sentences", "chunks"):
        plan = pg_store.explain_search(kind, "Wer war Dschingis Khan?")
        assert f"Bitmap Index Scan on {kind}_terms" in plan, plan
