"""API keys and the audit log in their own SQLite file beside the article index."""

import sqlite3
from pathlib import Path

from qa_service.errors import KeyExists
from qa_service.stores.base import AuditEntry, KeyRecord
from qa_service.stores.rows import (
    ACTIVE_ADMINS,
    AUDIT_COLUMNS,
    KEY_COLUMNS,
    audit_row,
    key_record,
    key_row,
    refuse_last_admin,
)
from qa_service.stores.sqlite.lazy import LazyFile
from qa_service.stores.sqlite.migrations import access_migrations


class SQLiteAccess(LazyFile):
    """Safe to share between threads; the file is opened at first use."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, access_migrations)

    def add_key(self, key: KeyRecord) -> None:
        try:
            with self._transaction() as conn:
                conn.execute(
                    f"INSERT INTO api_keys ({KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    key_row(key),
                )
        except sqlite3.IntegrityError:
            raise KeyExists(f"a key named {key.name!r} exists already") from None

    def api_keys(self) -> list[KeyRecord]:
        with self._lock:
            rows = (
                self._connection()
                .execute(f"SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at, name")
                .fetchall()
            )
        return [key_record(row) for row in rows]

    def revoke_key(self, name: str, at: float, *, keep_an_admin: bool = False) -> bool:
        # BEGIN IMMEDIATE: the write lock of the file is held from the count to the update,
        # against this process's threads and every other worker alike.
        with self._transaction() as conn:
            if keep_an_admin:
                admins = conn.execute(ACTIVE_ADMINS).fetchall()
                refuse_last_admin(name, [row[0] for row in admins])
            conn.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                (at, name),
            )
            return (
                conn.execute("SELECT 1 FROM api_keys WHERE name = ?", (name,)).fetchone()
                is not None
            )

    def touch_key(self, key_id: str, at: float) -> None:
        with self._transaction() as conn:
            conn.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", (at, key_id))

    def add_audit(self, entry: AuditEntry) -> None:
        with self._transaction() as conn:
            conn.execute(
                f"INSERT INTO audit_log ({AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                audit_row(entry),
            )

    def audit(self, *, offset: int, limit: int) -> list[AuditEntry]:
        with self._lock:
            rows = (
                self._connection()
                .execute(
                    f"SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT ? OFFSET ?",
                    (limit, offset),
                )
                .fetchall()
            )
        return [AuditEntry(*row) for row in rows]
