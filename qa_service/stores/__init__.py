"""Storage behind two interfaces (``base.py``): a document store and a vector store.

``open_stores(settings)`` picks the implementation; today that is embedded mode (SQLite files
and an embedded Chroma store in ``QA_INDEX_DIR``, ``embedded.py``). Only this package imports
sqlite3 or chromadb.
"""

from qa_service.config import Settings
from qa_service.stores.base import (
    AuditEntry,
    ChunkSpan,
    Conversation,
    DocumentRecord,
    DocumentStore,
    IndexCounts,
    JournalEntry,
    KeyRecord,
    LexicalHit,
    NewTurn,
    SentenceSpan,
    StoredTurn,
    Stores,
    VectorHit,
    VectorStore,
)


def open_stores(settings: Settings) -> Stores:
    """The stores ``settings`` point at, opened (and upgraded if an older release wrote them)."""
    from qa_service.stores.embedded import EmbeddedStores

    return EmbeddedStores(settings.index_dir, reload_seconds=settings.vector_reload_seconds)


__all__ = [
    "AuditEntry",
    "ChunkSpan",
    "Conversation",
    "DocumentRecord",
    "DocumentStore",
    "IndexCounts",
    "JournalEntry",
    "KeyRecord",
    "LexicalHit",
    "NewTurn",
    "SentenceSpan",
    "StoredTurn",
    "Stores",
    "VectorHit",
    "VectorStore",
    "open_stores",
]
