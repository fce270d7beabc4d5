"""SQLite implementation of the document store; numbered migrations in ``migrations.py``."""

from qa_service.stores.sqlite.documents import SQLiteDocumentStore

__all__ = ["SQLiteDocumentStore"]
