"""What every store must do, run against each backend in ``conftest.BACKENDS``.

The writes go through the real write path (document service -> journalled writer ->
stores), embedded by ``HashEmbedder``: storage is under test here, not answer quality.
"""

import threading
import time
import unicodedata
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pytest

from qa_service.access import AccessService
from qa_service.documents import DocumentService, content_hash
from qa_service.errors import (
    ConversationNotFound,
    DocumentNotFound,
    DuplicateContent,
    KeyExists,
    LastAdminKey,
)
from qa_service.ingest.segmentation import segment_article
from qa_service.models import Article, Citation
from qa_service.retrieval.index import ArticleIndex, PreparedDocument
from qa_service.stores import AuditEntry, JournalEntry, KeyRecord, NewTurn, Stores
from tests.helpers.embedders import HashEmbedder
from tests.stores.conftest import Opener

TEXT = (
    "Die Stadt Kleinhausen hat am Dienstag einen neuen Bürgermeister gewählt. "
    "Mit 62 Prozent der Stimmen setzte sich Anna Vogel durch. Sie tritt ihr Amt am 1. Juli an."
)
NEW_TEXT = TEXT + " Die Wahlbeteiligung lag bei 48 Prozent."
OTHER = "Das Hallenbad in Wolkenstein hat sechs Bahnen. Es öffnet im Mai wieder."


@dataclass
class Library:
    """One opened backend with the service's writer on top."""

    stores: Stores
    documents: DocumentService

    @classmethod
    def open(cls, open_backend: Opener) -> "Library":
        stores = open_backend()
        return cls(stores, DocumentService(ArticleIndex(stores), HashEmbedder()))  # type: ignore[arg-type]

    def vector_counts(self) -> tuple[int, int]:
        return self.stores.vectors.count("sentences"), self.stores.vectors.count("chunks")

    def current_hits(self, doc_id: str, ord_: int = 0) -> set[tuple[str, str]]:
        """(doc, version) of sentence hits for one stored sentence vector, current or not."""
        vector = self.stores.documents.sentence_vectors([(doc_id, ord_)])[(doc_id, ord_)]
        return {(h.doc_id, h.version) for h in self.stores.vectors.query("sentences", vector, 20)}


@pytest.fixture
def library(open_backend: Opener) -> Library:
    return Library.open(open_backend)


def test_read_your_writes(library: Library) -> None:
    result = library.documents.add(Article(text=TEXT, title="Wahl", metadata={"k": [1]}), "wahl")
    docs = library.stores.documents
    record = docs.get("wahl")
    assert record is not None and record.title == "Wahl" and record.metadata == {"k": [1]}
    assert record.text is None and docs.get("wahl", with_text=True).text == TEXT  # type: ignore[union-attr]
    assert docs.text("wahl") == TEXT and docs.quote("wahl", 4, 9) == "Stadt"
    assert docs.find_by_hash(record.content_hash) == record
    assert docs.versions(["wahl", "nope"]) == {"wahl": record.version}
    assert docs.articles(["wahl", "nope", "wahl"]) == {"wahl": replace(record, text=TEXT)}
    assert docs.articles([]) == {}
    assert tuple(docs.counts()) == (1, result.chunks, 3)
    assert [r.id for r in docs.page(offset=0, limit=10)] == ["wahl"]
    assert library.vector_counts() == (3, result.chunks)

    spans = docs.sentences_by_key([("wahl", i) for i in range(3)] + [("wahl", 9)])
    assert sorted(spans) == [("wahl", 0), ("wahl", 1), ("wahl", 2)]
    for span in spans.values():
        assert TEXT[span.start : span.end] == span.text
    chunk = docs.chunks_by_key([("wahl", 0)])[("wahl", 0)]
    in_chunk = docs.sentences_of_chunks([("wahl", 0)])
    assert [s.ord for s in in_chunk] == list(range(chunk.first_sentence, chunk.last_sentence + 1))
    assert docs.sentences_within("wahl", chunk.start, chunk.end) == in_chunk
    second = spans[("wahl", 1)]
    assert docs.sentences_within("wahl", second.start, second.end) == [second]
    assert docs.sentences_within("wahl", second.start + 1, second.end) == []  # inside only
    assert docs.sentences_within("nope", 0, len(TEXT)) == []

    hits = docs.search_sentences("Bürgermeister Kleinhausen", 5)
    assert hits and (hits[0].doc_id, hits[0].ord) == ("wahl", 0)
    assert docs.search_chunks("Anna Vogel", 5)[0].doc_id == "wahl"
    assert ("wahl", record.version) in library.current_hits("wahl")


def test_sentence_vectors_are_the_vector_store_ones(library: Library) -> None:
    library.documents.add(Article(text=TEXT), "wahl")
    version = library.stores.documents.get("wahl").version  # type: ignore[union-attr]
    keys = [("wahl", i) for i in range(3)]
    local = library.stores.documents.sentence_vectors(keys)
    stored = library.stores.vectors.vectors("sentences", [("wahl", version, i) for i in range(3)])
    assert set(local) == set(stored) == set(keys)
    for key in keys:
        np.testing.assert_allclose(local[key], stored[key], rtol=1e-6)
    chunk = library.stores.vectors.vectors("chunks", [("wahl", version, 0)])[("wahl", 0)]
    assert np.isclose(np.linalg.norm(chunk), 1.0, atol=1e-4)


def test_sentences_with_vectors_is_its_two_lookups_in_one(library: Library) -> None:
    library.documents.add(Article(text=TEXT), "wahl")
    library.documents.add(Article(text=OTHER), "bad")
    docs = library.stores.documents
    chunks, sentences = [("wahl", 0), ("nope", 0)], [("bad", 1), ("wahl", 2), ("bad", 7)]
    spans, vectors = docs.sentences_with_vectors(chunks, sentences)
    assert spans == docs.sentences_of_chunks(chunks) and spans
    # every span, every sentence asked, and the one before each (absent keys stay absent)
    asked = [(s.doc_id, s.ord) for s in spans] + sentences
    expected = docs.sentence_vectors(asked + [(d, o - 1) for d, o in asked if o > 0])
    assert sorted(vectors) == sorted(expected) and ("bad", 0) in vectors
    for key, vector in expected.items():
        assert vectors[key].tobytes() == vector.tobytes()
    assert docs.sentences_with_vectors([], []) == ([], {})
    assert docs.sentences_with_vectors([], [("bad", 1)])[1].keys() == {("bad", 0), ("bad", 1)}


def test_reingest_is_idempotent(library: Library) -> None:
    first = library.documents.add(Article(text=TEXT), "wahl")
    counts = library.stores.documents.counts(), library.vector_counts()
    again = library.documents.add(Article(text=TEXT), "wahl")
    assert (again.created, again.updated) == (False, False)
    derived = library.documents.add(Article(text=TEXT))  # no id: the same text is found
    assert derived.id == "wahl" and not derived.created
    assert (library.stores.documents.counts(), library.vector_counts()) == counts
    assert first.chunks == again.chunks


def test_the_same_text_spelled_otherwise_is_the_same_document(library: Library) -> None:
    """Decomposed umlauts (NFD), whitespace or invisible marks around the text (a file's
    trailing newline, a byte-order mark) are the same article: no second document, no
    second vector set; the text stays as
    first posted, so its citations do not move."""
    library.documents.add(Article(text=TEXT), "wahl")
    counts = library.stores.documents.counts(), library.vector_counts()
    variants = [
        unicodedata.normalize("NFD", TEXT),
        TEXT + "\n",
        "\n  " + unicodedata.normalize("NFD", TEXT) + "\r\n\r\n",
        "\ufeff" + TEXT,  # a byte-order mark, as editors write it
        TEXT + "\u200b",  # a zero-width space, as copy-paste leaves it
    ]
    assert all(v != TEXT for v in variants)
    for variant in variants:
        derived = library.documents.add(Article(text=variant))
        assert (derived.id, derived.created, derived.updated) == ("wahl", False, False)
        with pytest.raises(DuplicateContent, match="wahl"):
            library.documents.add(Article(text=variant), "another-id")
    assert (library.stores.documents.counts(), library.vector_counts()) == counts
    assert library.stores.documents.text("wahl") == TEXT
    # A real change is still a new version.
    changed = library.documents.add(Article(text=TEXT.replace("62", "63")), "wahl")
    assert changed.id == "wahl" and changed.updated


def test_fields_spelled_otherwise_are_not_an_update(library: Library) -> None:
    """Found by a black-box bug hunt: the same article re-posted with its title in NFD (or a
    trailing space from a form) reported ``updated: true`` and stored a new version. Title,
    source and date are stored in NFC without surrounding whitespace, metadata strings in
    NFC, like the text's own content hash."""

    def nfd(value: str) -> str:
        return unicodedata.normalize("NFD", value)

    fields = {
        "title": "Wahl in Kleinhausen: Bürgermeisterin gewählt",
        "source": "https://zeitung.example/wahl-münster",
        "published_at": "2025-06-04",
        "metadata": {"ressort": "Lokales", "schlagwörter": ["Wahl", "Bürgermeisterin"]},
    }
    first = library.documents.add(
        Article(
            text=TEXT,
            title="  " + nfd(fields["title"]) + " \n",
            source=nfd(fields["source"]) + " ",
            published_at=" 2025-06-04",
            metadata={
                nfd("schlagwörter"): [nfd("Wahl"), nfd("Bürgermeisterin")],
                "ressort": "Lokales",
            },
        ),
        "wahl",
    )
    assert first.created
    stored = library.stores.documents.get("wahl")
    assert stored is not None
    assert (stored.title, stored.source, stored.published_at, stored.metadata) == tuple(
        fields.values()
    )
    for title, source in (
        (nfd(fields["title"]), fields["source"]),
        (fields["title"] + "  ", "\ufeff" + nfd(fields["source"])),
        (fields["title"], fields["source"]),
    ):
        again = library.documents.add(
            Article(text=TEXT, title=title, source=source, metadata=fields["metadata"]), "wahl"
        )
        assert (again.created, again.updated) == (False, False), (title, source)
    assert library.stores.documents.get("wahl") == stored
    # A title that is only spaces is no title: the stored one stays.
    blank = library.documents.add(Article(text=TEXT, title="   "), "wahl")
    assert not blank.updated and library.stores.documents.get("wahl") == stored


def test_writing_the_same_version_twice_keeps_one_copy(library: Library) -> None:
    """A retried write (after a crash, a re-import) must not duplicate rows or vectors."""
    library.documents.add(Article(text=TEXT), "wahl")
    counts = library.stores.documents.counts(), library.vector_counts()
    record = library.stores.documents.get("wahl")
    assert record is not None
    seg = segment_article(TEXT)
    keys = [("wahl", i) for i in range(len(seg.sentences))]
    vectors = library.stores.documents.sentence_vectors(keys)
    prepared = PreparedDocument(
        record, TEXT, seg.sentences, seg.chunks, np.stack([vectors[k] for k in keys]), True
    )
    library.documents.index.add_prepared([prepared])
    assert (library.stores.documents.counts(), library.vector_counts()) == counts
    assert library.stores.documents.search_sentences("Bürgermeister", 5)[0].doc_id == "wahl"


def test_new_version_replaces_everything_and_keeps_creation_time(library: Library) -> None:
    library.documents.add(Article(text=TEXT, title="Wahl"), "wahl")
    old = library.stores.documents.get("wahl")
    result = library.documents.add(Article(text=NEW_TEXT), "wahl")
    new = library.stores.documents.get("wahl", with_text=True)
    assert old is not None and new is not None
    assert result.updated and result.sentences == 4 and new.text == NEW_TEXT
    assert new.version != old.version and new.created_at == old.created_at
    assert new.title == "Wahl"  # what the new post leaves out is kept
    assert library.vector_counts() == (4, result.chunks)
    assert tuple(library.stores.documents.counts()) == (1, result.chunks, 4)
    assert {v for _, v in library.current_hits("wahl")} == {new.version}
    assert library.stores.documents.search_sentences("Wahlbeteiligung", 5)[0].ord == 3


def test_version_swap_is_atomic_for_readers(library: Library) -> None:
    """While the new version's vectors are written, readers see the old version whole: the
    document store still holds it, and the new vectors are not current."""
    library.documents.add(Article(text=TEXT), "wahl")
    old = library.stores.documents.get("wahl")
    assert old is not None
    seen = []
    vectors = library.stores.vectors
    add = vectors.add

    def add_and_look(kind, entries):  # type: ignore[no-untyped-def]
        add(kind, entries)
        docs = library.stores.documents
        seen.append((docs.versions(["wahl"]), docs.text("wahl"), tuple(docs.counts())))

    vectors.add = add_and_look  # type: ignore[method-assign]
    try:
        library.documents.add(Article(text=NEW_TEXT), "wahl")
    finally:
        del vectors.add  # type: ignore[method-assign]
    assert seen and all(s == ({"wahl": old.version}, TEXT, (1, old.n_chunks, 3)) for s in seen)


def test_delete_removes_everything(library: Library) -> None:
    library.documents.add(Article(text=TEXT), "wahl")
    library.documents.add(Article(text=OTHER), "bad")
    kept = library.vector_counts()
    library.documents.add(Article(text=NEW_TEXT), "wahl")  # two versions have existed
    library.documents.delete("wahl")
    docs = library.stores.documents
    assert docs.get("wahl") is None and docs.text("wahl") is None
    assert docs.quote("wahl", 0, 3) is None and docs.versions(["wahl"]) == {}
    assert tuple(docs.counts()) == (1, 1, 2)
    assert docs.sentences_by_key([("wahl", 0)]) == {} and docs.chunks_by_key([("wahl", 0)]) == {}
    assert docs.sentence_vectors([("wahl", 0)]) == {}
    assert docs.search_sentences("Kleinhausen Bürgermeister", 5) == []
    assert docs.search_chunks("Kleinhausen Bürgermeister", 5) == []
    assert library.vector_counts() == (kept[0] - 3, kept[1] - 1)
    assert all(d == "bad" for d, _ in library.current_hits("bad"))
    assert docs.journal() == []
    with pytest.raises(DocumentNotFound):
        library.documents.delete("wahl")


def _power_cut(*args: object, **kwargs: object) -> None:
    raise RuntimeError("power cut")


def _crashed(open_backend: Opener, store: str, method: str, write: str) -> Library:
    """Store "wahl", then ``write`` ("update" or "delete") with ``store.method`` failing as
    if the process died there; returns the library reopened (start-up repair)."""
    library = Library.open(open_backend)
    library.documents.add(Article(text=TEXT), "wahl")
    setattr(getattr(library.stores, store), method, _power_cut)
    with pytest.raises(RuntimeError, match="power cut"):
        if write == "update":
            library.documents.add(Article(text=NEW_TEXT), "wahl")
        else:
            library.documents.delete("wahl")
    if (store, method) == ("documents", "replace"):
        # The journal says what to undo: the new version's vectors.
        new_version = content_hash(NEW_TEXT)[:16]
        assert library.stores.documents.journal() == [JournalEntry("wahl", new_version, "add")]
    if (store, method, write) == ("vectors", "delete", "update"):
        assert library.stores.vectors.count("sentences") == 3 + 4  # both versions' vectors
    library.stores.close()
    reopened = Library.open(open_backend)
    assert reopened.stores.documents.journal() == []
    return reopened


def test_crash_before_the_swap_is_rolled_back(open_backend: Opener) -> None:
    reopened = _crashed(open_backend, "documents", "replace", "update")
    record = reopened.stores.documents.get("wahl", with_text=True)
    assert record is not None and record.text == TEXT
    assert reopened.vector_counts() == (3, record.n_chunks)


def test_crash_after_the_swap_is_finished(open_backend: Opener) -> None:
    reopened = _crashed(open_backend, "vectors", "delete", "update")
    record = reopened.stores.documents.get("wahl", with_text=True)
    assert record is not None and record.text == NEW_TEXT
    assert reopened.vector_counts() == (4, record.n_chunks)


def test_crash_during_delete_is_finished(open_backend: Opener) -> None:
    reopened = _crashed(open_backend, "vectors", "delete", "delete")
    assert reopened.stores.documents.get("wahl") is None
    assert reopened.vector_counts() == (0, 0)


def test_journal_and_properties(library: Library) -> None:
    docs = library.stores.documents
    entry = JournalEntry("x", "v1", "add")
    docs.journal_add(entry)
    docs.journal_add(entry)  # recorded once
    assert docs.journal() == [entry]
    docs.journal_remove(entry)
    assert docs.journal() == []
    assert docs.get_property("test") is None
    assert docs.set_property_if_absent("test", "first") == "first"
    assert docs.set_property_if_absent("test", "second") == "first"
    assert docs.get_property("test") == "first"


def test_metadata_update_and_page_order(library: Library) -> None:
    library.documents.add(Article(text=TEXT), "b-first")
    library.documents.add(Article(text=OTHER), "a-second")
    docs = library.stores.documents
    assert [r.id for r in docs.page(offset=0, limit=10)] == ["b-first", "a-second"]
    assert [r.id for r in docs.page(offset=1, limit=1)] == ["a-second"]
    newest = [r.id for r in docs.page(offset=0, limit=10, order="newest")]
    assert newest == ["a-second", "b-first"]
    assert [r.id for r in docs.page(offset=1, limit=1, order="newest")] == ["b-first"]
    fields = {"title": "T", "source": "S", "published_at": "2025-06-04", "metadata": {"a": "ö"}}
    result = library.documents.add(Article(text=TEXT, **fields), "b-first")  # type: ignore[arg-type]
    assert result.updated and not result.created
    record = docs.get("b-first")
    assert record is not None
    assert (record.title, record.source, record.published_at, record.metadata) == tuple(
        fields.values()
    )
    assert record.updated_at >= record.created_at


def test_conversations_round_trip(library: Library) -> None:
    docs = library.stores.documents
    citation = Citation(1, "wahl", "Wahl", 0, 9, "Die Stadt", 0.5)

    def turn(message: str) -> NewTurn:
        vector = np.arange(4, dtype=np.float32) + len(message)
        return NewTurn(message, message + " query", "answer", False, "de", [citation], "e", vector)

    first = docs.append_turn("c1", turn("Wer?"), create=True)
    second = docs.append_turn("c1", turn("Wann war das?"), create=False)
    assert (first.ord, second.ord) == (0, 1)
    conversation = docs.conversation("c1")
    assert [t.message for t in conversation.turns] == ["Wer?", "Wann war das?"]
    assert conversation.turns[1].citations == [citation]
    np.testing.assert_array_equal(conversation.turns[1].vector, turn("Wann war das?").vector)
    assert conversation.created_at <= conversation.updated_at
    assert [t.ord for t in docs.recent_turns("c1", 1)] == [1]
    assert [t.ord for t in docs.recent_turns("c1", 5)] == [0, 1]
    assert docs.recent_turns("c1", 0) == []
    docs.delete_conversation("c1")
    for call in (
        lambda: docs.conversation("c1"),
        lambda: docs.recent_turns("c1", 3),
        lambda: docs.append_turn("c1", turn("x"), create=False),
        lambda: docs.delete_conversation("c1"),
    ):
        with pytest.raises(ConversationNotFound):
            call()


def test_data_survives_reopening(open_backend: Opener) -> None:
    library = Library.open(open_backend)
    library.documents.add(Article(text=TEXT), "wahl")
    library.stores.documents.append_turn(
        "c1",
        NewTurn("m", "q", "a", True, "de", [], "e", np.zeros(4, dtype=np.float32)),
        create=True,
    )
    counts = library.stores.documents.counts(), library.vector_counts()
    library.stores.close()
    reopened = Library.open(open_backend)
    assert (reopened.stores.documents.counts(), reopened.vector_counts()) == counts
    assert reopened.stores.documents.conversation("c1").turns[0].abstained
    assert reopened.stores.documents.search_sentences("Bürgermeister", 3)[0].doc_id == "wahl"


def test_conversations_belong_to_their_owner(library: Library) -> None:
    docs = library.stores.documents
    turn = NewTurn("Wer?", "Wer?", "a", False, "de", [], "e", np.zeros(4, dtype=np.float32))
    docs.append_turn("mine", turn, create=True, owner="key-1")
    for owner in (None, "key-2"):  # anonymous callers and other keys: as if it did not exist
        for call in (
            lambda o=owner: docs.conversation("mine", owner=o),
            lambda o=owner: docs.recent_turns("mine", 3, owner=o),
            lambda o=owner: docs.append_turn("mine", turn, create=False, owner=o),
            lambda o=owner: docs.delete_conversation("mine", owner=o),
        ):
            with pytest.raises(ConversationNotFound):
                call()
    assert len(docs.conversation("mine", owner="key-1").turns) == 1
    docs.append_turn("mine", turn, create=False, owner="key-1")
    assert [t.ord for t in docs.recent_turns("mine", 5, owner="key-1")] == [0, 1]
    docs.delete_conversation("mine", owner="key-1")
    # An admin's delete: whoever owns it, anonymous included (HUNT13 L7); nothing else goes.
    for cid, owner in (("keyed", "key-1"), ("anonymous", None), ("kept", "key-2")):
        docs.append_turn(cid, turn, create=True, owner=owner)
    for cid in ("keyed", "anonymous"):
        docs.delete_conversation(cid, owner="key-3", any_owner=True)
        with pytest.raises(ConversationNotFound):
            docs.delete_conversation(cid, any_owner=True)
    assert len(docs.conversation("kept", owner="key-2").turns) == 1


def test_conversations_expire_and_keep_their_last_turns(open_backend: Opener) -> None:
    """HUNT7 L16: QA_CONVERSATION_TTL_DAYS and QA_MAX_CONVERSATION_TURNS."""
    ttl = 3.0  # seconds
    bounded = {"conversation_ttl_days": ttl / 86400, "max_conversation_turns": 3}
    stores = open_backend(**bounded)
    docs = stores.documents

    def turn(n: int) -> NewTurn:
        return NewTurn(f"m{n}", "q", "a", False, "de", [], "e", np.zeros(4, dtype=np.float32))

    docs.append_turn("old", turn(0), create=True)
    ords = [docs.append_turn("long", turn(n), create=n == 0).ord for n in range(5)]
    assert ords == [0, 1, 2, 3, 4]  # numbers go on counting
    assert [t.ord for t in docs.conversation("long").turns] == [2, 3, 4]  # the last 3 kept
    assert [t.message for t in docs.recent_turns("long", 10)] == ["m2", "m3", "m4"]
    assert len(docs.conversation("old").turns) == 1
    time.sleep(ttl + 0.3)
    for call in (  # expired: as absent as an unknown id
        lambda: docs.conversation("old"),
        lambda: docs.recent_turns("old", 3),
        lambda: docs.append_turn("old", turn(1), create=False),
        lambda: docs.delete_conversation("old"),
    ):
        with pytest.raises(ConversationNotFound):
            call()
    stores.close()
    # Without the bound the rows are still there until a purge ...
    unbounded = open_backend(conversation_ttl_days=None)
    assert len(unbounded.documents.conversation("old").turns) == 1
    unbounded.close()
    # ... which a new conversation starts (at most once per PURGE_INTERVAL per process).
    bounded_again = open_backend(**bounded)
    bounded_again.documents.append_turn("new", turn(0), create=True)
    bounded_again.close()
    unbounded = open_backend(conversation_ttl_days=None)
    for gone in ("old", "long"):
        with pytest.raises(ConversationNotFound):
            unbounded.documents.conversation(gone)
    assert len(unbounded.documents.conversation("new").turns) == 1


def test_keys_and_audit_log(open_backend: Opener) -> None:
    library = Library.open(open_backend)
    docs = library.stores.documents
    key = KeyRecord("id1", "widget", "read", ("https://news.example",), "qa-abcdefg", "f" * 64, 1.0)
    docs.add_key(key)
    with pytest.raises(KeyExists):
        docs.add_key(replace(key, id="id2"))
    docs.add_key(replace(key, id="id3", name="ops", scope="admin", origins=(), created_at=2.0))
    assert [k.name for k in docs.api_keys()] == ["widget", "ops"]
    assert docs.api_keys()[0] == key
    docs.touch_key("id1", 5.0)
    assert docs.revoke_key("widget", 6.0) and docs.revoke_key("widget", 7.0)
    assert not docs.revoke_key("nobody", 6.0)
    with pytest.raises(LastAdminKey):
        docs.revoke_key("ops", 6.5, keep_an_admin=True)
    assert docs.revoke_key("widget", 8.0, keep_an_admin=True)  # not an admin key: no check
    first = docs.api_keys()[0]
    assert (first.last_used_at, first.revoked_at) == (5.0, 6.0)  # the first revocation stays
    docs.add_audit(AuditEntry(1.0, "ops", "document.create", "wahl", "abc"))
    docs.add_audit(AuditEntry(2.0, None, "key.revoke", detail="widget"))
    assert [e.action for e in docs.audit(offset=0, limit=10)] == ["key.revoke", "document.create"]
    assert docs.audit(offset=1, limit=10) == [
        AuditEntry(1.0, "ops", "document.create", "wahl", "abc")
    ]
    library.stores.close()
    reopened = Library.open(open_backend).stores.documents
    assert [k.name for k in reopened.api_keys()] == ["widget", "ops"]
    assert len(reopened.audit(offset=0, limit=10)) == 2


class _ReadTogether:
    """A real document store whose first ``api_keys()`` in each thread waits until the other
    thread has read too: both revocations then start from the same two admin keys, the
    window in which a check made outside the revocation's transaction let both through."""

    def __init__(self, store: Any, barrier: threading.Barrier) -> None:
        self._store, self._barrier, self._waited = store, barrier, False

    def api_keys(self) -> Any:
        keys = self._store.api_keys()
        if not self._waited:
            self._waited = True
            self._barrier.wait(timeout=30)
        return keys

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _revoke(
    store: Any, barrier: threading.Barrier, name: str, by: str, outcomes: dict[str, str]
) -> None:
    """One admin revoking another's key over HTTP (AccessService, keep_an_admin)."""
    try:
        AccessService(_ReadTogether(store, barrier)).revoke(name, by=by, keep_an_admin=True)
        outcomes[name] = "revoked"
    except LastAdminKey:
        outcomes[name] = "refused"


def test_two_admins_revoking_each_other_at_once_leave_one(open_backend: Opener) -> None:
    # Found by a black-box bug hunt: two DELETE /v1/keys/{name} at once, each for one of the
    # last two admin keys, both passed the last-admin check and left no admin key at all.
    # Two opened stores over one storage: two replicas (or two workers) at the same time.
    first, second = open_backend().documents, open_backend().documents
    for round_ in range(5):
        a, b = f"admin-a{round_}", f"admin-b{round_}"
        AccessService(first).create(a, "admin")
        AccessService(first).create(b, "admin")
        for key in first.api_keys():  # the survivor of the round before: revoked (CLI path)
            if key.revoked_at is None and key.name not in (a, b):
                assert first.revoke_key(key.name, 1.0)
        barrier = threading.Barrier(2)
        outcomes: dict[str, str] = {}
        threads = [
            threading.Thread(target=_revoke, args=(first, barrier, a, b, outcomes)),
            threading.Thread(target=_revoke, args=(second, barrier, b, a, outcomes)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(outcomes.values()) == ["refused", "revoked"], outcomes
        active = [k.name for k in first.api_keys() if k.scope == "admin" and not k.revoked_at]
        assert len(active) == 1 and active[0] in (a, b), active
        assert active == [
            k.name for k in second.api_keys() if k.scope == "admin" and not k.revoked_at
        ]


def test_merging_the_keyword_index_keeps_every_hit(library: Library) -> None:
    """A file ingest merges the keyword index at its end (a document added alone, after its
    write); merged or not, both keyword searches give the same hits and scores, and a merged
    index has nothing left to merge."""
    library.documents.keyword_merge_pages = 0
    texts = [TEXT, OTHER, *(f"{OTHER} Im Jahr {1990 + i} kamen {i * 7} Gäste." for i in range(8))]
    for i, text in enumerate(texts):
        library.documents.add(Article(text=text), f"doc-{i}")
    library.documents.add(Article(text=NEW_TEXT), "doc-0")  # a new version: deletes in it
    docs = library.stores.documents
    questions = ["Wer ist Bürgermeister?", "Wie viele Bahnen hat das Hallenbad?", "Gäste 1995"]

    def hits() -> list[object]:
        return [(docs.search_chunks(q, 20), docs.search_sentences(q, 50)) for q in questions]

    unmerged = hits()
    assert all(chunks and sentences for chunks, sentences in unmerged)
    library.documents.keyword_merge_pages = 100_000
    library.documents.merge_keywords()
    assert hits() == unmerged
    assert not docs.merge_keyword_segments(256)
