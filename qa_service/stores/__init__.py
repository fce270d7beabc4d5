"""Storage behind two interfaces (``base.py``): a document store and a vector store.

``open_stores(settings)`` picks the implementation: embedded mode (SQLite files and an
embedded Chroma store in ``QA_INDEX_DIR``, ``embedded.py``) unless QA_DATABASE_URL and
QA_CHROMA_URL are set, then server mode (PostgreSQL and a Chroma server, ``server.py``).
Only this package imports sqlite3, psycopg or chromadb.
"""

from qa_service.config import Settings
from qa_service.stores.base import (
    AuditEntry,
    ChunkSpan,
    Conversation,
    DocumentOrder,
    DocumentRecord,
    DocumentStore,
    IndexCounts,
    JournalEntry,
    KeyRecord,
    LexicalHit,
    NewTurn,
    Retention,
    SentenceSpan,
    StoredTurn,
    Stores,
    VectorHit,
    VectorStore,
)


def open_stores(settings: Settings) -> Stores:
    """The stores ``settings`` point at, opened (and upgraded if an older release wrote them)."""
    if settings.server_mode:
        from qa_service.stores.server import open_server_stores

        return open_server_stores(settings)
    from qa_service.stores.embedded import EmbeddedStores

    return EmbeddedStores(
        settings.index_dir,
        reload_seconds=settings.vector_reload_seconds,
        exact_max_sentences=settings.exact_search_max_sentences,
        retention=Retention.from_settings(settings),
    )


__all__ = [
    "AuditEntry",
    "ChunkSpan",
    "Conversation",
    "DocumentOrder",
    "DocumentRecord",
    "DocumentStore",
    "IndexCounts",
    "JournalEntry",
    "KeyRecord",
    "LexicalHit",
    "NewTurn",
    "Retention",
    "SentenceSpan",
    "StoredTurn",
    "Stores",
    "VectorHit",
    "VectorStore",
    "open_stores",
]
