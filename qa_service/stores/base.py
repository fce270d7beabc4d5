"""What the service needs from storage: two small interfaces and the records they return.

``DocumentStore`` keeps articles (one current version each), their sentence and chunk spans,
the keyword (BM25) index over them, the journal of vector work in flight, conversations and
a few properties of the whole store. ``VectorStore`` keeps one vector per sentence and chunk
of each version. ``Stores`` bundles one of each with what makes them a consistent pair in a
deployment (who may write, when other processes' writes become visible).

The records are the package's own frozen dataclasses; no SQLite or Chroma type crosses these
interfaces. ``tests/stores/test_contract.py`` states what every implementation must do.
"""

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol

import numpy as np

from qa_service.models import Chunk, Citation, Sentence
from qa_service.tuning.chat import PURGE_INTERVAL

if TYPE_CHECKING:
    from qa_service.config import Settings

VectorKind = Literal["sentences", "chunks"]
DocumentOrder = Literal["oldest", "newest"]
"""How a page of articles is ordered: by creation time (then id), oldest or newest first."""
PAGE_ORDER: dict[DocumentOrder, str] = {
    "oldest": "created_at, id",
    "newest": "created_at DESC, id DESC",
}
"""The ORDER BY of each order, the same in SQLite and PostgreSQL (the documents table's
columns)."""
VECTOR_KINDS: tuple[VectorKind, ...] = ("sentences", "chunks")
Key = tuple[str, int]  # (document id, ord)


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """One stored article version; ``text`` only when asked for."""

    id: str
    version: str
    content_hash: str
    title: str | None
    source: str | None
    published_at: str | None
    metadata: dict[str, Any]
    n_chunks: int
    n_sentences: int
    created_at: float
    updated_at: float
    text: str | None = None


@dataclass(frozen=True, slots=True)
class SentenceSpan:
    """A sentence of the current version: ``text == article[start:end]``."""

    doc_id: str
    ord: int
    chunk_ord: int
    start: int
    end: int
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class ChunkSpan:
    doc_id: str
    ord: int
    start: int
    end: int
    first_sentence: int
    last_sentence: int  # inclusive


class LexicalHit(NamedTuple):
    doc_id: str
    ord: int
    score: float  # BM25; higher is better


class VectorHit(NamedTuple):
    doc_id: str
    version: str
    ord: int
    similarity: float  # cosine


class IndexCounts(NamedTuple):
    documents: int
    chunks: int
    sentences: int


class JournalEntry(NamedTuple):
    """Vector-store work of ``op`` ("add" or "delete") on one version, not yet finished."""

    doc_id: str
    version: str
    op: str


@dataclass(frozen=True, slots=True)
class NewTurn:
    """A turn to append; the store gives it its ``ord`` and time."""

    message: str
    retrieval_query: str
    answer: str
    abstained: bool
    language: str
    citations: list[Citation]
    embedder: str
    vector: np.ndarray


@dataclass(frozen=True, slots=True)
class StoredTurn(NewTurn):
    """A turn as stored: its conversation, its position from 0 and when it was added."""

    conversation_id: str
    ord: int
    created_at: float


@dataclass(frozen=True, slots=True)
class Retention:
    """How long a store keeps conversations (QA_CONVERSATION_TTL_DAYS,
    QA_MAX_CONVERSATION_TURNS). Every conversation method treats one whose last turn is
    older than ``ttl`` seconds as absent (the rows go at the next purge, ``PURGE_INTERVAL``);
    a conversation keeps its last ``max_turns`` turns, older ones go as new ones come.
    None: no bound."""

    ttl: float | None = None
    max_turns: int | None = None
    purge_interval: float = PURGE_INTERVAL

    @classmethod
    def from_settings(cls, settings: "Settings") -> "Retention":
        days = settings.conversation_ttl_days
        return cls(days * 86400 if days else None, settings.max_conversation_turns)

    def expired_before(self, now: float) -> float:
        """A conversation last updated before this time is gone (0.0: none is)."""
        return now - self.ttl if self.ttl else 0.0

    def first_kept(self, newest: int) -> int:
        """The oldest turn kept once turn ``newest`` is added."""
        return newest - self.max_turns + 1 if self.max_turns else 0


class PurgeClock:
    """When a conversation store last purged expired conversations: a purge is due at most
    once per ``Retention.purge_interval`` per process (the first one at once). One clock per
    store; both backends ask it beside their own SQL."""

    def __init__(self, retention: Retention) -> None:
        self.retention = retention
        self._purged_at = 0.0

    def due(self, now: float) -> bool:
        return now - self._purged_at >= self.retention.purge_interval

    def purged(self, now: float) -> None:
        self._purged_at = now


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    created_at: float
    updated_at: float
    turns: list[StoredTurn]


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """An API key as stored: a SHA-256 of the key, never the key (see qa_service/access.py)."""

    id: str
    name: str
    scope: str  # read | write | admin
    origins: tuple[str, ...]
    prefix: str  # the key's first characters: shown in listings, used to find the row
    key_hash: str
    created_at: float
    last_used_at: float | None = None
    revoked_at: float | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One write: who (a key's name; None: anonymous or the CLI), what, to which document."""

    at: float
    key_name: str | None
    action: str
    document_id: str | None = None
    content_hash: str | None = None
    detail: str | None = None


class DocumentStore(Protocol):
    """Articles, spans, keyword search, the write journal, conversations, store properties.

    Every write is atomic: a reader sees a document's old version or its new one, never a
    mix, and sees this process's writes as soon as the call returns.
    """

    # -- properties of the whole store (e.g. which embedder wrote its vectors) --
    def get_property(self, name: str) -> str | None: ...
    def set_property_if_absent(self, name: str, value: str) -> str:
        """Record ``value`` unless one is there; returns the value in force."""
        ...

    # -- articles --
    def get(self, doc_id: str, *, with_text: bool = False) -> DocumentRecord | None: ...
    def find_by_hash(self, content_hash: str) -> DocumentRecord | None: ...
    def page(
        self, *, offset: int, limit: int, order: DocumentOrder = "oldest"
    ) -> list[DocumentRecord]:
        """Oldest first (creation time, then id), or newest first: the same order reversed."""
        ...

    def articles(self, doc_ids: Sequence[str]) -> dict[str, DocumentRecord]:
        """The records of the known ids with their text: every article a question cites
        from, read at once."""
        ...

    def counts(self) -> IndexCounts: ...
    def text(self, doc_id: str) -> str | None: ...
    def quote(self, doc_id: str, start: int, end: int) -> str | None:
        """``text[start:end]`` of the stored article (None: no such article)."""
        ...

    def versions(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """Current version of each known document (unknown ids are absent)."""
        ...

    def replace(
        self,
        record: DocumentRecord,
        text: str,
        sentences: Sequence[Sentence],
        chunks: Sequence[Chunk],
        sentence_vectors: np.ndarray,
    ) -> None:
        """Swap a document to ``record``'s version in one transaction (keeps ``created_at``)."""
        ...

    def update_metadata(self, doc_id: str, fields: dict[str, Any]) -> None:
        """Set title, source, published_at and metadata of the current version."""
        ...

    def delete(self, doc_id: str) -> bool:
        """Remove the document, its spans and keyword rows; False if there was none."""
        ...

    # -- journal of vector-store work in flight --
    def journal_add(self, entry: JournalEntry) -> None: ...
    def journal_remove(self, entry: JournalEntry) -> None: ...
    def journal(self) -> list[JournalEntry]: ...

    # -- lookups at question time --
    def sentences_by_key(self, keys: Sequence[Key]) -> dict[Key, SentenceSpan]: ...
    def sentences_of_chunks(self, keys: Sequence[Key]) -> list[SentenceSpan]:
        """Sentences of the given chunks, by document then position."""
        ...

    def sentences_within(self, doc_id: str, start: int, end: int) -> list[SentenceSpan]:
        """The current sentences (headings too) of ``doc_id`` that lie inside
        ``[start, end)``, by position: a passage's sentences as ingest cut them."""
        ...

    def chunks_by_key(self, keys: Sequence[Key]) -> dict[Key, ChunkSpan]: ...
    def sentence_vectors(self, keys: Sequence[Key]) -> dict[Key, np.ndarray]:
        """The vectors stored with current sentences (no vector-store round trip)."""
        ...

    def sentences_with_vectors(
        self, chunks: Sequence[Key], sentences: Sequence[Key]
    ) -> tuple[list[SentenceSpan], dict[Key, np.ndarray]]:
        """``sentences_of_chunks(chunks)``, and the vectors of those sentences, of
        ``sentences`` and of the sentence before each of them: what the retriever reads after
        fusion, in one round trip for a database server (it used to take two, one after the
        other)."""
        ...

    def search_sentences(self, query: str, limit: int) -> list[LexicalHit]:
        """BM25 over sentences, best first."""
        ...

    def search_chunks(self, query: str, limit: int) -> list[LexicalHit]: ...

    def merge_keyword_segments(self, pages: int) -> bool:
        """One bounded step (about ``pages`` pages written) of merging the keyword index
        towards one segment; hits and scores stay the same. False when there was nothing left
        to merge (an index without segments: always)."""
        ...

    # -- conversations --
    def append_turn(
        self, conversation_id: str, turn: NewTurn, *, create: bool, owner: str | None = None
    ) -> StoredTurn:
        """Add a turn; ``create`` starts the conversation (``owner``'s) in the same transaction.

        ``owner`` is the id of the key that started it (None: anonymous); every conversation
        method treats another owner's conversation as absent. Raises ConversationNotFound when
        ``create`` is false and it does not exist (for this owner)."""
        ...

    def recent_turns(
        self, conversation_id: str, limit: int, *, owner: str | None = None
    ) -> list[StoredTurn]:
        """The last ``limit`` turns, oldest first; raises ConversationNotFound."""
        ...

    def conversation(self, conversation_id: str, *, owner: str | None = None) -> Conversation: ...
    def delete_conversation(
        self, conversation_id: str, *, owner: str | None = None, any_owner: bool = False
    ) -> None:
        """Raises ConversationNotFound; ``any_owner``: whoever owns it (an admin's delete,
        an anonymous conversation from before keys were required included)."""
        ...

    # -- API keys and the audit log (shared by every replica: keys live with the data) --
    def add_key(self, key: KeyRecord) -> None:
        """Raises KeyExists when the name is taken (revoked keys keep their names)."""
        ...

    def api_keys(self) -> list[KeyRecord]:
        """Every key, revoked ones too, oldest first."""
        ...

    def revoke_key(self, name: str, at: float, *, keep_an_admin: bool = False) -> bool:
        """Mark revoked (the first time is kept); False: no key of that name.

        ``keep_an_admin``: raise LastAdminKey instead when ``name`` is the last active admin
        key, decided in the same transaction as the revocation, so that two revocations at
        once (two requests, two replicas) cannot each leave the other the last one."""
        ...

    def touch_key(self, key_id: str, at: float) -> None:
        """Record when a key was last used."""
        ...

    def add_audit(self, entry: AuditEntry) -> None: ...
    def audit(self, *, offset: int, limit: int) -> list[AuditEntry]:
        """Newest first."""
        ...

    def close(self) -> None: ...


class VectorStore(Protocol):
    """One vector per sentence and chunk of each version, found by cosine similarity.

    Entries are keyed by (document, version, ord); adding an existing key replaces it.
    Hits of versions the document store no longer holds are the caller's to ignore.
    """

    def add(self, kind: VectorKind, entries: Sequence[tuple[str, str, np.ndarray]]) -> None:
        """Vectors of several (doc_id, version) at once, ords from 0."""
        ...

    def delete(self, doc_id: str, *, version: str | None = None, keep: str | None = None) -> None:
        """Delete a document's entries: one version, all but ``keep``, or all."""
        ...

    def query(self, kind: VectorKind, vector: np.ndarray, n: int) -> list[VectorHit]: ...
    def vectors(
        self, kind: VectorKind, keys: Sequence[tuple[str, str, int]]
    ) -> dict[Key, np.ndarray]:
        """Stored vectors by (doc_id, version, ord), returned keyed by (doc_id, ord)."""
        ...

    def count(self, kind: VectorKind) -> int: ...
    def entries(self, kind: VectorKind) -> Iterator[tuple[str, str, int]]:
        """Every entry's (doc_id, version, ord): the check for orphans reads them all."""
        ...

    def delete_entries(self, kind: VectorKind, keys: Sequence[tuple[str, str, int]]) -> None: ...
    def unreachable(
        self, kind: VectorKind, *, keys: Sequence[tuple[str, str, int]] | None = None
    ) -> list[tuple[str, str, int]]:
        """Entries that a query for their own vector does not return (a graph index that
        lost them), as (doc_id, version, ord): O(entries), for ``qa-service check``; with
        ``keys``, only those (asked again before a fix)."""
        ...

    def stored(
        self, kind: VectorKind, keys: Sequence[tuple[str, str, int]]
    ) -> list[tuple[str, str, int]]:
        """Those of ``keys`` that are stored now."""
        ...

    def rewrite(self, kind: VectorKind, keys: Sequence[tuple[str, str, int]]) -> None:
        """Write these entries again, same vectors and metadata, so that queries find them."""
        ...

    def close(self) -> None: ...


class QuestionReads(Protocol):
    """What a question reads after its searches, from one consistent copy."""

    def query(self, kind: VectorKind, vector: np.ndarray, n: int) -> list[VectorHit]: ...
    def versions(self, doc_ids: Sequence[str]) -> dict[str, str]: ...
    def sentences_by_key(self, keys: Sequence[Key]) -> dict[Key, SentenceSpan]: ...
    def chunks_by_key(self, keys: Sequence[Key]) -> dict[Key, ChunkSpan]: ...
    def sentences_of_chunks(self, keys: Sequence[Key]) -> list[SentenceSpan]: ...
    def sentence_vectors(self, keys: Sequence[Key]) -> dict[Key, np.ndarray]: ...
    def articles(self, doc_ids: Sequence[str]) -> dict[str, DocumentRecord]: ...


class Stores(Protocol):
    """A document store and a vector store that belong together, as ``open_stores`` made them."""

    @property
    def documents(self) -> DocumentStore: ...
    @property
    def vectors(self) -> VectorStore: ...

    concurrent_reads: bool
    """Independent reads of one question may run at once on several threads (database
    servers: each waits on a round trip); False: in-process engines, read in order."""

    def writing(self) -> AbstractContextManager[None]:
        """Held around every write sequence: one writer at a time across threads and
        processes, on current data."""
        ...

    def seeding(self) -> AbstractContextManager[None]:
        """Held around the start-up seeding (qa_service/seeding.py): one process at a time,
        waiting as long as the other's seeding takes (unlike ``writing``)."""
        ...

    def refresh(self) -> bool:
        """Make other processes' writes visible to the next query (cheap when none);
        returns whether anything was re-read."""
        ...

    def reader(self) -> "QuestionReads | None":
        """An in-memory copy current as of now that answers a question's lookups and dense
        queries (server mode over a small index: stores/postgres/mirror.py), or None: ask
        ``documents`` and ``vectors``."""
        ...

    def status(self) -> dict[str, str]:
        """Each database server these stores depend on: "ok" or why it is unavailable
        (asked now, within the configured timeout). Embedded mode: none."""
        ...

    def close(self) -> None: ...
