"""API keys and the audit log in their own SQLite file beside the article index."""

import json
import sqlite3
from pathlib import Path

from qa_service.errors import KeyExists
from qa_service.stores.base import AuditEntry, KeyRecord
from qa_service.stores.sqlite.lazy import LazyFile
from qa_service.stores.sqlite.migrations import access_migrations

_KEY_COLUMNS = "id, name, scope, origins, prefix, key_hash, created_at, last_used_at, revoked_at"


class SQLiteAccess(LazyFile):
    """Safe to share between threads; the file is opened at first use."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, access_migrations)

    def add_key(self, key: KeyRecord) -> None:
        try:
            with self._transaction() as conn:
                conn.execute(
                    f"INSERT INTO api_keys ({_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        key.id,
                        key.name,
                        key.scope,
                        json.dumps(list(key.origins)),
                        key.prefix,
                        key.key_hash,
                        key.created_at,
                        key.last_used_at,
                        key.revoked_at,
                    ),
                )
        except sqlite3.IntegrityError:
            raise KeyExists(f"a key named {key.name!r} exists already") from None

    def api_keys(self) -> list[KeyRecord]:
        with self._lock:
            rows = (
                self._connection()
                .execute(f"SELECT {_KEY_COLUMNS} FROM api_keys ORDER BY created_at, name")
                .fetchall()
            )
        return [
            KeyRecord(r[0], r[1], r[2], tuple(json.loads(r[3])), r[4], r[5], r[6], r[7], r[8])
            for r in rows
        ]

    def revoke_key(self, name: str, at: float) -> bool:
        with self._transaction() as conn:
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
                "INSERT INTO audit_log (at, key_name, action, document_id, content_hash, detail)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    entry.at,
                    entry.key_name,
                    entry.action,
                    entry.document_id,
                    entry.content_hash,
                    entry.detail,
                ),
            )

    def audit(self, *, offset: int, limit: int) -> list[AuditEntry]:
        with self._lock:
            rows = (
                self._connection()
                .execute(
                    "SELECT at, key_name, action, document_id, content_hash, detail "
                    "FROM audit_log ORDER BY seq DESC LIMIT ? OFFSET ?",
                    (limit, offset),
                )
                .fetchall()
            )
        return [AuditEntry(*row) for row in rows]
