"""Numbered schema migrations of the SQLite files, applied in order at open.

Each file records the number of migrations applied in ``PRAGMA user_version``; opening it
applies the missing ones in one IMMEDIATE transaction, so several workers opening an old
index at once upgrade it exactly once. A migration's number is its place in the list (its
name says it: ``m002_...`` is the second). Never edit one that has shipped: add the next.

Indexes written before this module kept the same numbers: the article store was version 2
(``m002`` below) and conversations had no number (0), so they open unchanged.
"""

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from qa_service.models import content_hash
from qa_service.stores.base import VectorStore
from qa_service.stores.rows import to_blob
from qa_service.stores.sqlite.transaction import immediate


@dataclass(frozen=True, slots=True)
class MigrationContext:
    """What a data migration may read besides the file: the index's vector store (None
    when a store is opened on its own, e.g. by a second reader)."""

    vectors: VectorStore | None = None


Migration = Callable[[sqlite3.Connection, MigrationContext], None]


class Migrations:
    """An ordered list of migrations of one SQLite file; ``@migrations`` adds the next."""

    def __init__(self) -> None:
        self.steps: list[Migration] = []

    def __call__(self, step: Migration) -> Migration:
        number = len(self.steps) + 1
        if not step.__name__.startswith(f"m{number:03d}_"):
            raise ValueError(f"migration {step.__name__} must be named m{number:03d}_...")
        self.steps.append(step)
        return step

    @property
    def version(self) -> int:
        return len(self.steps)

    def apply(self, conn: sqlite3.Connection, context: MigrationContext) -> list[str]:
        """Apply what this file lacks; returns the names applied (none: nothing to do)."""
        with immediate(conn):
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            todo = self.steps[current:]
            for step in todo:
                step(conn, context)
            if todo:
                conn.execute(f"PRAGMA user_version = {self.version}")
        return [step.__name__ for step in todo]


def _run(conn: sqlite3.Connection, script: str) -> None:
    """Statements one by one: ``executescript`` would commit the migration's transaction."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


# -- the article store: qa.sqlite3 ---------------------------------------------------------

article_migrations = Migrations()


@article_migrations
def m001_articles(conn: sqlite3.Connection, context: MigrationContext) -> None:
    """Documents, their chunk and sentence spans, FTS5 keyword tables, the journal."""
    _run(
        conn,
        """
        CREATE TABLE IF NOT EXISTS documents (
            id TEXT PRIMARY KEY,
            version TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            title TEXT,
            source TEXT,
            published_at TEXT,
            metadata TEXT NOT NULL DEFAULT '{}',
            text TEXT NOT NULL,
            n_chunks INTEGER NOT NULL,
            n_sentences INTEGER NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX IF NOT EXISTS documents_hash ON documents(content_hash);
        CREATE TABLE IF NOT EXISTS chunks (
            rowid INTEGER PRIMARY KEY,
            doc_id TEXT NOT NULL,
            ord INTEGER NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            first_sentence INTEGER NOT NULL,
            last_sentence INTEGER NOT NULL,
            UNIQUE (doc_id, ord)
        );
        CREATE TABLE IF NOT EXISTS sentences (
            rowid INTEGER PRIMARY KEY,
            doc_id TEXT NOT NULL,
            ord INTEGER NOT NULL,
            chunk_ord INTEGER NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            kind TEXT NOT NULL,
            text TEXT NOT NULL,
            UNIQUE (doc_id, ord)
        );
        CREATE VIRTUAL TABLE IF NOT EXISTS sentence_fts USING fts5(tokens);
        CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts USING fts5(tokens);
        CREATE TABLE IF NOT EXISTS properties (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS journal (
            doc_id TEXT NOT NULL,
            version TEXT NOT NULL,
            op TEXT NOT NULL,
            PRIMARY KEY (doc_id, version, op)
        )
        """,
    )


_COUNTED = ("documents", "chunks", "sentences")


@article_migrations
def m002_sentence_vectors_and_counters(conn: sqlite3.Connection, context: MigrationContext) -> None:
    """Each sentence row keeps its vector (scoring needs no vector-store round trip) and
    trigger-kept counters make counts O(1). Vectors of existing sentences are copied from
    the vector store once, not re-embedded.

    Checks what is there: a store opened by an older release between its two upgrade
    steps may have the column or the counters already.
    """
    columns = {r[1] for r in conn.execute("PRAGMA table_info(sentences)")}
    if "vector" not in columns:
        conn.execute("ALTER TABLE sentences ADD COLUMN vector BLOB")
    conn.execute("CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL)")
    known = {r[0] for r in conn.execute("SELECT name FROM counters")}
    for table in _COUNTED:
        if table not in known:
            conn.execute(f"INSERT INTO counters (name, n) SELECT '{table}', count(*) FROM {table}")
        for event, sign in (("insert", "+"), ("delete", "-")):
            conn.execute(
                f"CREATE TRIGGER IF NOT EXISTS count_{table}_{event} AFTER {event.upper()} "
                f"ON {table} BEGIN UPDATE counters SET n = n {sign} 1 "
                f"WHERE name = '{table}'; END"
            )
    missing = conn.execute(
        "SELECT DISTINCT d.id, d.version, d.n_sentences FROM sentences AS s "
        "JOIN documents AS d ON d.id = s.doc_id WHERE s.vector IS NULL"
    ).fetchall()
    if missing and context.vectors is None:
        raise RuntimeError("upgrading this index copies vectors: open it with its vector store")
    for doc_id, version, n in missing:
        assert context.vectors is not None
        stored = context.vectors.vectors("sentences", [(doc_id, version, i) for i in range(n)])
        conn.executemany(
            "UPDATE sentences SET vector = ? WHERE doc_id = ? AND ord = ?",
            [(to_blob(v), doc_id, ord_) for (_doc, ord_), v in stored.items()],
        )


@article_migrations
def m003_canonical_content_hash(conn: sqlite3.Connection, context: MigrationContext) -> None:
    """Content hashes of the canonical text (``models.content_hash``: NFC, no surrounding
    whitespace), so a re-post with decomposed umlauts or a trailing newline finds its
    document. Versions, spans and vectors are untouched."""
    _rehash(conn)


@article_migrations
def m004_whitespace_content_hash(conn: sqlite3.Connection, context: MigrationContext) -> None:
    """Content hashes that read every run of whitespace as one space (``models.content_hash``),
    so a re-post with one more space inside a sentence finds its document. Versions, spans and
    vectors are untouched."""
    _rehash(conn)


def _rehash(conn: sqlite3.Connection) -> None:
    """Every stored text's content hash computed again, as ``models.content_hash`` does now."""
    rows = conn.execute("SELECT id, text FROM documents").fetchall()
    conn.executemany(
        "UPDATE documents SET content_hash = ? WHERE id = ?",
        [(content_hash(text), doc_id) for doc_id, text in rows],
    )


# -- conversations: conversations.sqlite3 ---------------------------------------------------

conversation_migrations = Migrations()


@conversation_migrations
def m001_conversations(conn: sqlite3.Connection, context: MigrationContext) -> None:
    """Conversations and their turns, each turn with its citations and query vector."""
    _run(
        conn,
        """
        CREATE TABLE IF NOT EXISTS conversations (
            id TEXT PRIMARY KEY,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE TABLE IF NOT EXISTS turns (
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            ord INTEGER NOT NULL,
            message TEXT NOT NULL,
            retrieval_query TEXT NOT NULL,
            answer TEXT NOT NULL,
            abstained INTEGER NOT NULL,
            language TEXT NOT NULL,
            citations TEXT NOT NULL,
            embedder TEXT NOT NULL,
            vector BLOB NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (conversation_id, ord)
        ) WITHOUT ROWID
        """,
    )


@conversation_migrations
def m002_conversation_owner(conn: sqlite3.Connection, context: MigrationContext) -> None:
    """The key that started a conversation (its id; NULL: anonymous). Others get 404."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(conversations)")}
    if "owner" not in columns:
        conn.execute("ALTER TABLE conversations ADD COLUMN owner TEXT")


# -- API keys and the audit log: access.sqlite3 --------------------------------------------

access_migrations = Migrations()


@access_migrations
def m001_keys_and_audit(conn: sqlite3.Connection, context: MigrationContext) -> None:
    """API keys (only a hash of each) and the audit log of every write."""
    _run(
        conn,
        """
        CREATE TABLE IF NOT EXISTS api_keys (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            scope TEXT NOT NULL,
            origins TEXT NOT NULL DEFAULT '[]',
            prefix TEXT NOT NULL,
            key_hash TEXT NOT NULL,
            created_at REAL NOT NULL,
            last_used_at REAL,
            revoked_at REAL
        );
        CREATE TABLE IF NOT EXISTS audit_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at REAL NOT NULL,
            key_name TEXT,
            action TEXT NOT NULL,
            document_id TEXT,
            content_hash TEXT,
            detail TEXT
        )
        """,
    )
