"""PostgreSQL schema as numbered migrations, applied in order at start-up.

Each ``mNNN_*`` function runs in one transaction with the version it brings recorded in
``schema_migrations``; a transaction-level advisory lock makes replicas that start at the
same moment take turns, and the second one finds nothing left to do.
"""

from collections.abc import Callable

import psycopg

from qa_service.models import content_hash
from qa_service.tuning.stores import REHASH_BATCH

Migration = Callable[[psycopg.Cursor], None]
MIGRATIONS: list[tuple[int, str, Migration]] = []
_LOCK = 0x51A_5C4E  # pg_advisory_xact_lock key of the schema (any constant of ours)


def migration(fn: Migration) -> Migration:
    """Register ``fn``; its name ``mNNN_what`` gives its number."""
    number = int(fn.__name__[1:4])
    assert not MIGRATIONS or MIGRATIONS[-1][0] == number - 1, "migrations are numbered 1, 2, ..."
    MIGRATIONS.append((number, fn.__name__, fn))
    return fn


@migration
def m001_documents_and_keyword_index(cur: psycopg.Cursor) -> None:
    # Keyword index: each span's terms as FTS5 reads them (lexical.index_terms), GIN-indexed;
    # BM25's statistics (rows, terms, rows per term) kept by the writes themselves.
    cur.execute(
        """
        CREATE TABLE documents (
            id text PRIMARY KEY,
            version text NOT NULL,
            content_hash text NOT NULL,
            title text,
            source text,
            published_at text,
            metadata jsonb NOT NULL DEFAULT '{}',
            text text NOT NULL,
            n_chunks integer NOT NULL,
            n_sentences integer NOT NULL,
            created_at double precision NOT NULL,
            updated_at double precision NOT NULL
        );
        CREATE INDEX documents_hash ON documents (content_hash);
        CREATE INDEX documents_created ON documents (created_at, id);
        CREATE TABLE chunks (
            id bigserial PRIMARY KEY,
            doc_id text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
            ord integer NOT NULL,
            start integer NOT NULL,
            "end" integer NOT NULL,
            first_sentence integer NOT NULL,
            last_sentence integer NOT NULL,
            terms text[] NOT NULL,
            n_terms integer NOT NULL,
            UNIQUE (doc_id, ord)
        );
        CREATE INDEX chunks_terms ON chunks USING gin (terms);
        CREATE TABLE sentences (
            id bigserial PRIMARY KEY,
            doc_id text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
            ord integer NOT NULL,
            chunk_ord integer NOT NULL,
            start integer NOT NULL,
            "end" integer NOT NULL,
            kind text NOT NULL,
            text text NOT NULL,
            vector bytea,
            terms text[] NOT NULL,
            n_terms integer NOT NULL,
            UNIQUE (doc_id, ord)
        );
        CREATE INDEX sentences_terms ON sentences USING gin (terms);
        CREATE INDEX sentences_chunk ON sentences (doc_id, chunk_ord);
        CREATE TABLE counters (
            name text PRIMARY KEY,
            n bigint NOT NULL,
            terms bigint NOT NULL
        );
        INSERT INTO counters VALUES ('documents', 0, 0), ('chunks', 0, 0), ('sentences', 0, 0);
        CREATE TABLE term_rows (
            kind text NOT NULL,
            term text NOT NULL,
            n bigint NOT NULL,
            PRIMARY KEY (kind, term)
        );
        CREATE TABLE properties (name text PRIMARY KEY, value text NOT NULL);
        CREATE TABLE journal (
            doc_id text NOT NULL,
            version text NOT NULL,
            op text NOT NULL,
            PRIMARY KEY (doc_id, version, op)
        );
        """
    )


@migration
def m002_conversations(cur: psycopg.Cursor) -> None:
    cur.execute(
        """
        CREATE TABLE conversations (
            id text PRIMARY KEY,
            created_at double precision NOT NULL,
            updated_at double precision NOT NULL
        );
        CREATE TABLE turns (
            conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            ord integer NOT NULL,
            message text NOT NULL,
            retrieval_query text NOT NULL,
            answer text NOT NULL,
            abstained boolean NOT NULL,
            language text NOT NULL,
            citations jsonb NOT NULL,
            embedder text NOT NULL,
            vector bytea NOT NULL,
            created_at double precision NOT NULL,
            PRIMARY KEY (conversation_id, ord)
        );
        """
    )


@migration
def m003_keys_audit_and_owners(cur: psycopg.Cursor) -> None:
    """API keys (only a hash of each), the audit log of every write, and the key that
    started each conversation (NULL: anonymous), as the SQLite store has them."""
    cur.execute(
        """
        CREATE TABLE api_keys (
            id text PRIMARY KEY,
            name text NOT NULL UNIQUE,
            scope text NOT NULL,
            origins jsonb NOT NULL DEFAULT '[]',
            prefix text NOT NULL,
            key_hash text NOT NULL,
            created_at double precision NOT NULL,
            last_used_at double precision,
            revoked_at double precision
        );
        CREATE INDEX api_keys_created ON api_keys (created_at, name);
        CREATE TABLE audit_log (
            seq bigserial PRIMARY KEY,
            at double precision NOT NULL,
            key_name text,
            action text NOT NULL,
            document_id text,
            content_hash text,
            detail text
        );
        ALTER TABLE conversations ADD COLUMN owner text;
        """
    )


@migration
def m004_canonical_content_hash(cur: psycopg.Cursor) -> None:
    """Content hashes of the canonical text (``models.content_hash``: NFC, no surrounding
    whitespace), as the SQLite store's m003. Read in batches through a server-side cursor:
    an archive's texts do not fit in memory at once."""
    _rehash(cur)


def _rehash(cur: psycopg.Cursor) -> None:
    """Every stored text's content hash computed again, as ``models.content_hash`` does now,
    read in batches through a server-side cursor."""
    with cur.connection.cursor(name="canonical_content_hash") as texts:
        texts.execute("SELECT id, text FROM documents")
        while batch := texts.fetchmany(REHASH_BATCH):
            cur.executemany(
                "UPDATE documents SET content_hash = %s WHERE id = %s",
                [(content_hash(text), doc_id) for doc_id, text in batch],
            )


@migration
def m005_term_bounds(cur: psycopg.Cursor) -> None:
    """Per term, the most times one span holds it and the shortest span holding it: bounds
    of what the term can add to a span's BM25 score, which the pruned keyword search
    (keyword.py) skips spans by. Writes only ever widen them (a delete leaves them: still
    bounds, only looser); computed here once from the spans already stored."""
    cur.execute(
        """
        ALTER TABLE term_rows ADD COLUMN max_tf integer, ADD COLUMN min_dl integer;
        UPDATE term_rows AS t SET max_tf = d.max_tf, min_dl = d.min_dl FROM (
            SELECT kind, term, max(tf) AS max_tf, min(dl) AS min_dl FROM (
                SELECT 'chunks' AS kind, u.term, count(*) AS tf, min(s.n_terms) AS dl
                FROM chunks AS s, unnest(s.terms) AS u(term) GROUP BY s.id, u.term
                UNION ALL
                SELECT 'sentences', u.term, count(*), min(s.n_terms)
                FROM sentences AS s, unnest(s.terms) AS u(term) GROUP BY s.id, u.term
            ) AS per_span GROUP BY kind, term
        ) AS d WHERE t.kind = d.kind AND t.term = d.term;
        """
    )


@migration
def m006_change_counter(cur: psycopg.Cursor) -> None:
    """A counter every write of documents or spans bumps in its own transaction: a replica's
    in-memory copy of a small index (stores/postgres/mirror.py) asks it once per question to
    learn whether any replica wrote since."""
    cur.execute("INSERT INTO counters VALUES ('changes', 0, 0) ON CONFLICT DO NOTHING")


@migration
def m007_metadata_as_json(cur: psycopg.Cursor) -> None:
    """Metadata kept as the JSON text written (``json``), not parsed into ``jsonb``: jsonb's
    numbers are ``numeric``, which prints 1e+23 as 100000000000000000000000, read back as an
    int, so an identical re-post looked changed ("updated": true and an audit entry each
    time). Nothing queries inside metadata; values stored before keep what jsonb made of
    them."""
    cur.execute("ALTER TABLE documents ALTER COLUMN metadata TYPE json USING metadata::text::json")


@migration
def m008_postings(cur: psycopg.Cursor) -> None:
    """An inverted index per span kind: (term, span, the term's count in the span, the
    span's length), one row per distinct term of a span, read by the keyword search through
    index-only scans of its primary key instead of each candidate span's row and terms
    array (keyword.py). Built here from the spans already stored; the writes keep it from
    now on, in the transaction of the spans."""
    for kind in ("chunks", "sentences"):
        cur.execute(
            f"""
            CREATE TABLE {kind}_postings (
                term text NOT NULL,
                span_id bigint NOT NULL,
                tf integer NOT NULL,
                dl integer NOT NULL
            );
            """
        )
        build_postings(cur, kind)


@migration
def m009_whitespace_content_hash(cur: psycopg.Cursor) -> None:
    """Content hashes that read every run of whitespace as one space, as the SQLite store's
    m004: a re-post with one more space inside a sentence finds its document."""
    _rehash(cur)


def build_postings(cur: psycopg.Cursor, kind: str) -> None:
    """Fill the empty ``{kind}_postings`` from every stored span, the primary key built after
    the rows (one sort, not one insert into the index per posting): migration 8, and the
    benchmark's bulk-loaded corpora (benchmarks/scaleout.py)."""
    cur.execute(
        f"""
        ALTER TABLE {kind}_postings DROP CONSTRAINT IF EXISTS {kind}_postings_pkey;
        INSERT INTO {kind}_postings (term, span_id, tf, dl)
            SELECT u.term, s.id, count(*), min(s.n_terms)
            FROM {kind} AS s, unnest(s.terms) AS u(term) GROUP BY s.id, u.term;
        ALTER TABLE {kind}_postings ADD PRIMARY KEY (term, span_id) INCLUDE (tf, dl);
        """
    )


SCHEMA_VERSION = MIGRATIONS[-1][0]


def applied_version(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    found = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(found[0] or 0) if found else 0


def migrate(conn: psycopg.Connection, upto: int | None = None) -> list[str]:
    """Apply the migrations the database lacks (up to ``upto``); returns their names."""
    done = []
    for number, name, fn in MIGRATIONS:
        if upto is not None and number > upto:
            break
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz "
                "NOT NULL DEFAULT now())"
            )
            cur.execute("SELECT 1 FROM schema_migrations WHERE version = %s", (number,))
            if cur.fetchone():
                continue
            fn(cur)
            cur.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (number, name)
            )
            done.append(name)
    return done
