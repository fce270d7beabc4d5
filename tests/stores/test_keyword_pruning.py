"""PostgreSQL's BM25 from the postings, and the MaxScore-pruned reference over the spans'
terms, return exactly what scoring every row returns.

A synthetic corpus with planted frequent terms (in half, a third, a fifth of all rows), mid
and rare ones, repeats within a row, rows of many lengths, and a block of identical rows
that tie: every query is searched pruned and unpruned, and the hits (ids, order, scores
bit for bit) must be equal, while the pruned search scores far fewer rows. That the scores
are FTS5's own is tests/stores/test_keyword_search.py (real XQuAD-de spans).
"""

import random
import time

import pytest

from qa_service.stores.postgres import keyword
from qa_service.stores.postgres.documents import PostgresDatabase
from tests.helpers.engines import PostgresServer

pytestmark = pytest.mark.slow

ROWS = 40_000
TIES = 60  # rows 0..59 are the same two terms: they tie, and only their ids order them


def _terms(rng: random.Random, i: int) -> list[str]:
    if i < TIES:
        return ["tie", "half"]
    terms = [f"filler{rng.randrange(3000)}" for _ in range(rng.randint(5, 60))]
    for name, every in (("half", 2), ("third", 3), ("fifth", 5)):
        if i % every == 0:
            terms += [name] * rng.choice((1, 1, 1, 2, 4))
    terms.append(f"mid{i % 60}")  # each in 1/60 of the rows
    if i % 7 == 0:
        terms.append(f"rare{i % 1400}")  # rare0, rare7, rare14, ...: each in ~4 rows
    rng.shuffle(terms)
    return terms


def _vacuum_until_all_visible(database: PostgresDatabase, table: str) -> None:
    """VACUUM until every page of ``table`` is all-visible, which an index-only scan needs.

    VACUUM marks a page all-visible only when no transaction that could still see its old
    state runs; a transaction left open elsewhere on the shared test server (another module's
    pool) holds that back, and the planner then prefers a bitmap heap scan. So wait it out,
    and fail naming the open transactions rather than reading a plan built on a stale map."""
    deadline = time.monotonic() + 60
    while True:
        with database.connection() as conn:
            conn.execute("VACUUM (ANALYZE)")
            row = conn.execute(
                "SELECT relallvisible, relpages FROM pg_class WHERE relname = %s", (table,)
            ).fetchone()
            assert row is not None, table
            visible, pages = row
            if visible >= pages:
                return
            if time.monotonic() > deadline:
                open_ = conn.execute(
                    "SELECT datname, state, xact_start, left(query, 80) FROM pg_stat_activity "
                    "WHERE backend_xmin IS NOT NULL OR backend_xid IS NOT NULL"
                ).fetchall()
                raise AssertionError(f"{table}: {visible} of {pages} pages all-visible; {open_}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def db(postgres_server: PostgresServer):  # type: ignore[no-untyped-def]
    database = PostgresDatabase(postgres_server.create_database(), timeout=120)  # the bulk load
    rng = random.Random(12)
    rows = [_terms(rng, i) for i in range(ROWS)]
    bounds = keyword.term_bounds(rows)
    with database.transaction() as cur:
        cur.execute(
            "INSERT INTO documents (id, version, content_hash, text, n_chunks, n_sentences, "
            "created_at, updated_at) VALUES ('planted', 'v', 'h', '', 0, 0, 0, 0)"
        )
        with cur.copy(
            'COPY chunks (doc_id, ord, start, "end", first_sentence, last_sentence, terms, '
            "n_terms) FROM STDIN"
        ) as copy:
            for i, terms in enumerate(rows):
                copy.write_row(("planted", i, 0, 0, 0, 0, terms, len(terms)))
        cur.execute(keyword.POSTINGS_OF_DOCUMENT.format(kind="chunks"), {"doc_id": "planted"})
        cur.execute(
            "UPDATE counters SET n = %s, terms = %s WHERE name = 'chunks'",
            (ROWS, sum(len(t) for t in rows)),
        )
        with cur.copy("COPY term_rows (kind, term, n, max_tf, min_dl) FROM STDIN") as copy:
            for term, (n, max_tf, min_dl) in bounds.items():
                copy.write_row(("chunks", term, n, max_tf, min_dl))
    _vacuum_until_all_visible(database, "chunks_postings")
    yield database
    database.close()


QUERIES = [
    ["rare7", "half", "third"],
    ["rare7", "rare14", "mid3", "half", "third", "fifth"],
    ["mid5", "half"],
    ["mid5", "mid6", "fifth", "filler17"],
    ["tie", "half"],  # 60 equal scores across the 20th place
    ["tie", "half", "third", "fifth", "mid1"],
    ["half", "third", "fifth"],  # only frequent terms: nothing can be skipped safely
    ["filler3", "filler4", "filler5", "half"],
    ["rare21", "nowhere"],
    ["nowhere"],
    ["rare0", "rare7", "mid0", "mid7", "third"],
]


def _rows_holding(db: PostgresDatabase, terms: list[str]) -> int:
    return db.query("SELECT count(*) FROM chunks WHERE terms && %s::text[]", (terms,))[0][0]


@pytest.mark.parametrize("limit", [1, 20, 50])
@pytest.mark.parametrize("first_round_rows", [1, 300, keyword.KEYWORD_FIRST_ROUND_ROWS])
def test_pruned_hits_are_the_unpruned_ones_exactly(
    db: PostgresDatabase, limit: int, first_round_rows: int
) -> None:
    """A first round of one term (then theta decides) down to a round of many."""
    matched = scored = 0
    for terms in QUERIES:
        pruned = keyword.search_spans(db, "chunks", terms, limit, first_round_rows=first_round_rows)
        full = keyword.search_spans(db, "chunks", terms, limit, prune=False)
        assert pruned.hits == full.hits, terms  # ids, order and float scores, ties included
        holding = _rows_holding(db, terms)
        assert len(pruned.hits) == min(limit, holding)
        assert len(full.rounds) == (1 if holding else 0)  # unpruned: one round, every term
        matched += holding
        scored += _rows_holding(db, [t for r in pruned.rounds for t in r])
    assert scored < matched / 3, (scored, matched)  # the pruning skipped most rows


@pytest.mark.parametrize("limit", [1, 20, 50])
def test_the_postings_rank_as_scoring_every_row(db: PostgresDatabase, limit: int) -> None:
    """The service's query reads the postings, not the rows' terms: the same hits, order and
    float scores as scoring every row holding a term from its own terms array."""
    for terms in QUERIES:
        got = keyword.search(db, "chunks", terms, limit)
        assert got.hits == keyword.search_spans(db, "chunks", terms, limit, prune=False).hits
        assert len(got.hits) == min(limit, _rows_holding(db, terms)), terms


@pytest.mark.parametrize("search", [keyword.search, keyword.search_spans])
def test_ties_at_the_cut_keep_the_lowest_row_ids(db: PostgresDatabase, search) -> None:  # type: ignore[no-untyped-def]
    hits = search(db, "chunks", ["tie", "half"], 20).hits
    assert [h.ord for h in hits] == list(range(20))
    assert len({h.score for h in hits}) == 1


def test_a_query_with_frequent_terms_skips_their_rows(db: PostgresDatabase) -> None:
    terms = ["rare7", "rare14", "half", "third", "fifth"]
    result = keyword.search_spans(db, "chunks", terms, 20, first_round_rows=1)
    skipped = {"half", "third", "fifth"} - {t for r in result.rounds for t in r}
    assert skipped, result.rounds
    assert _rows_holding(db, [t for r in result.rounds for t in r]) < 100
    assert _rows_holding(db, terms) > ROWS / 2


def test_the_pruned_query_reads_the_gin_index(db: PostgresDatabase) -> None:
    """The same question scored in full reads most of the table; the reference's first
    pruned round (the rarest terms) goes through the GIN index."""
    plan = keyword.explain_spans(db, "chunks", ["rare7", "mid3", "half", "third"])
    assert "Bitmap Index Scan on chunks_terms" in plan, plan


def test_the_service_query_reads_the_postings_index_only(db: PostgresDatabase) -> None:
    """Each question term is one range of the postings' primary key, read without its heap;
    the spans' table is reached only for the top k, by primary key."""
    plan = keyword.explain(db, "chunks", ["rare7", "mid3", "half", "third"])
    assert "Index Only Scan using chunks_postings_pkey" in plan, plan
    assert "Seq Scan" not in plan, plan


def test_the_query_is_never_jit_compiled(db: PostgresDatabase) -> None:
    """The service's sessions run with JIT off (tuning.retrieval.POSTGRES_SESSION): a query
    whose estimated cost passes jit_above_cost (as at ~1M chunks) is interpreted, not
    compiled once per query. Here the threshold is lowered to 0 so every plan passes it."""
    terms = ["rare7", "mid3", "half", "third"]
    stats, avgdl = keyword.term_stats(db, "chunks", terms)
    params = keyword._score_params(stats, avgdl, 20)
    explain = "EXPLAIN (ANALYZE) " + keyword._postings_sql("chunks", len(terms))
    with db.connection() as conn:
        assert conn.execute("SHOW jit").fetchone() == ("off",)
        conn.execute("SET jit_above_cost = 0")
        try:
            service = [r[0] for r in conn.execute(explain, params)]
            conn.execute("SET jit = on")  # the control: the same plan, JIT allowed
            allowed = [r[0] for r in conn.execute(explain, params)]
            # true when the server has a JIT provider (llvmjit) and jit is on
            available = conn.execute("SELECT pg_jit_available()").fetchone() == (True,)
        finally:
            conn.execute("RESET jit")
            conn.execute("RESET jit_above_cost")
        assert conn.execute("SHOW jit").fetchone() == ("off",)
    assert not any(line.startswith("JIT:") for line in service), service
    assert any(line.startswith("JIT:") for line in allowed) == available, allowed
