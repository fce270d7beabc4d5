"""ChatService: answers a message in the light of the conversation it belongs to.

Two ways in, one rewrite: ``/v1/chat`` keeps conversations in the store (each turn's
embedding saved with it), the OpenAI-compatible route sends the whole conversation with
every request (earlier user messages embedded once and remembered in a small cache).
Both fold the same bounded window of earlier user messages into the search, from the newest
message that set the topic on.
"""

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from qa_service.answer.extractive import Answer, Topic
from qa_service.answer.generative import GeneratedSentence, Pending, Reply
from qa_service.chat.rewriting import (
    Rewrite,
    RewriteConfig,
    Turn,
    asked_question,
    asked_questions,
    fold,
    lends_topic,
    rewrite,
    topic_start,
)
from qa_service.config import AnswerMode
from qa_service.models import Citation
from qa_service.service import QAService
from qa_service.stores import Conversation, NewTurn, StoredTurn


def new_conversation_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class ChatAnswer:
    answer: Answer
    rewrite: Rewrite
    conversation_id: str | None = None
    turn: int | None = None
    reply: Reply | None = None  # how the answer was made (mode, verified sentences)


@dataclass
class ChatTurn:
    """A message searched and checked; :meth:`events` answers it (and stores the turn)."""

    service: "ChatService"
    pending: Pending
    rewrite: Rewrite
    conversation_id: str | None = None
    create: bool = False
    owner: str | None = None  # the key id that owns the conversation (None: anonymous)
    final: ChatAnswer | None = None  # set once the answer is complete (and stored)
    _storing: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def events(self) -> Iterator[GeneratedSentence | ChatAnswer]:
        """Verified sentences as they are written (generative mode), then the ChatAnswer."""
        for event in self.pending.events():
            if isinstance(event, Reply):
                yield self._store(event)
            else:
                yield event

    def _store(self, reply: Reply) -> ChatAnswer:
        """Finish the turn once, whichever comes first: its answer or :meth:`abandon`."""
        with self._storing:
            if self.final is None:
                self.final = self.service._finish(self, reply)
            return self.final

    def abandon(self) -> None:
        """The client stopped reading a streamed answer (a stop button, a closed tab): the
        turn is stored with the extractive answer found before writing began, so the
        conversation id it was handed in ``start`` exists and its follow-ups have a topic.
        Nothing happens once the answer was complete."""
        if self.final is None:
            self._store(Reply(self.pending.base, "extractive_fallback", "client_disconnected"))

    def sentences(
        self, split: Callable[[str, bool], list[tuple[str, list[int]]]]
    ) -> Iterator[tuple[str, list[int]]]:
        """``(text with markers, citation ids)`` per answer sentence, each once it is final.

        Generated sentences come as they are verified; an extractive answer (or a fallback
        to one) is complete at once and ``split`` cuts it. :attr:`final` is set after.
        """
        generated = False
        for event in self.events():
            if isinstance(event, GeneratedSentence):
                generated = True
                yield event.marked, event.citations
            elif not generated:
                yield from split(event.answer.answer, event.answer.abstained)

    def result(self) -> ChatAnswer:
        *_, last = self.events()
        assert isinstance(last, ChatAnswer)
        return last


class _VectorCache:
    """Query embeddings of recent messages, so a resent history is not embedded again."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> np.ndarray | None:
        with self._lock:
            vector = self._items.get(text)
            if vector is not None:
                self._items.move_to_end(text)
            return vector

    def put(self, text: str, vector: np.ndarray) -> None:
        with self._lock:
            self._items[text] = vector
            self._items.move_to_end(text)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class ChatService:
    """Conversations are kept in ``qa``'s document store."""

    def __init__(
        self, qa: QAService, config: RewriteConfig | None = None, cache_size: int = 1024
    ) -> None:
        self.qa = qa
        self.store = qa.stores.documents
        self.config = config or RewriteConfig()
        self._vectors = _VectorCache(cache_size)

    def _embed(self, text: str) -> np.ndarray:
        vector = self._vectors.get(text)
        if vector is None:
            vector = self.qa.embedder.embed_query(text)
            self._vectors.put(text, vector)
        return vector

    def _stored_vector(self, turn: StoredTurn) -> np.ndarray:
        """A turn's saved embedding, unless it was made by another embedder than today's."""
        embedder = self.qa.embedder
        if turn.embedder == embedder.name and turn.vector.shape == (embedder.dim,):
            return turn.vector
        return self._embed(turn.message)

    def _start(
        self,
        message: str,
        earlier: Sequence[Turn],
        top_k: int | None,
        mode: AnswerMode | None,
        conversation_id: str | None = None,
        create: bool = False,
        owner: str | None = None,
    ) -> ChatTurn:
        message = self.qa.answerer.check_question(message)
        read = self.qa.answerer.read_question(message)  # the turn is stored as typed
        # A bare name answering an ask-back ("Wie alt ist er?" -> "Merz") completes the held
        # question, and a pronoun question after such a name ("Wovor warnt er?") is completed
        # with it; the turn is stored as typed (``asked_question``).
        typed, searched = [t.message for t in earlier], [t.searched for t in earlier]
        reader = self.qa.answerer.read_question
        question = asked_question(read, typed, searched, self.config, reader) or read
        previous = fold(earlier, self.config)
        search = rewrite(question, self._embed(question), previous, self.config)
        if question != message:
            search = replace(search, message=message)
        # Earlier turns that name nothing ("Hallo") lend no topic: a pronoun is asked back.
        lent = lends_topic(typed, self.config)
        topic = None
        if lent and previous is not None:
            topic = Topic(previous.vector, search.dependence, previous.language)
        pending = self.qa.responder.start(
            question,
            top_k or self.qa.settings.top_k,
            mode,
            retrieval_query=search.query,
            vector=search.vector,
            topic=topic,
            is_read=True,
        )
        return ChatTurn(self, pending, search, conversation_id, create, owner)

    def _finish(self, turn: ChatTurn, reply: Reply) -> ChatAnswer:
        """Store a stored conversation's turn once its answer is final."""
        answer = reply.answer
        if turn.conversation_id is None:
            return ChatAnswer(answer, turn.rewrite, reply=reply)
        new = NewTurn(
            message=turn.rewrite.message,
            retrieval_query=turn.rewrite.query,
            answer=answer.answer,
            abstained=answer.abstained,
            language=answer.language,
            citations=answer.citations,
            embedder=self.qa.embedder.name,
            vector=self._embed(turn.rewrite.message),
        )
        stored = self.store.append_turn(
            turn.conversation_id, new, create=turn.create, owner=turn.owner
        )
        return ChatAnswer(answer, turn.rewrite, turn.conversation_id, stored.ord, reply)

    def start_chat(
        self,
        message: str,
        conversation_id: str | None = None,
        top_k: int | None = None,
        mode: AnswerMode | None = None,
        owner: str | None = None,
    ) -> ChatTurn:
        """The next turn of a stored conversation (a new one if None), ready to answer.
        ``owner``: the caller's key id (None: anonymous); another owner's conversation is
        not found."""
        create = conversation_id is None
        conversation_id = conversation_id or new_conversation_id()
        window = self.config.window
        earlier = [] if create else self.recent_turns(conversation_id, window, owner)
        return self._start(message, earlier, top_k, mode, conversation_id, create, owner)

    def chat(
        self,
        message: str,
        conversation_id: str | None = None,
        top_k: int | None = None,
        mode: AnswerMode | None = None,
        owner: str | None = None,
    ) -> ChatAnswer:
        """Answer ``message`` as the next turn of a stored conversation (a new one if None)."""
        return self.start_chat(message, conversation_id, top_k, mode, owner).result()

    def recent_turns(
        self, conversation_id: str, limit: int, owner: str | None = None
    ) -> list[Turn]:
        """The last ``limit`` user messages of a stored conversation with the embeddings of
        what they asked (``asked_questions``: a completed question's is computed, or cached;
        the stored one is the typed message's)."""
        stored = self.store.recent_turns(conversation_id, limit, owner=owner)
        asked = asked_questions([t.message for t in stored], self.config)
        return [
            Turn(t.message, self._stored_vector(t), t.abstained)
            if question == t.message
            else Turn(t.message, self._embed(question), t.abstained, question)
            for t, question in zip(stored, asked, strict=True)
        ]

    def start_complete(
        self,
        message: str,
        earlier_turns: Sequence[tuple[str, bool]],
        top_k: int | None = None,
        mode: AnswerMode | None = None,
    ) -> ChatTurn:
        """``message`` after ``earlier_turns`` (user messages, oldest first, each with
        whether its answer abstained), ready to answer.

        Nothing is stored: the caller sends the whole conversation each time.
        """
        window = self.config.window
        kept = [(m.strip(), a) for m, a in earlier_turns if m.strip()]
        recent = kept[-window:] if window else []
        asked = asked_questions([m for m, _ in recent], self.config)
        start = topic_start(asked)
        earlier = [
            Turn(m, self._embed(q), a, None if q == m else q)
            for (m, a), q in list(zip(recent, asked, strict=True))[start:]
        ]
        return self._start(message, earlier, top_k, mode)

    def conversation(self, conversation_id: str, owner: str | None = None) -> Conversation:
        return self.store.conversation(conversation_id, owner=owner)

    def is_current(self, citation: Citation) -> bool:
        """The article still holds the quote at its offsets (false: changed there, or deleted)."""
        quote = self.store.quote(citation.document_id, citation.start, citation.end)
        return quote == citation.quote

    def delete(
        self, conversation_id: str, owner: str | None = None, *, admin: bool = False
    ) -> None:
        """Forget a conversation: ``owner``'s (the caller's key id; None: anonymous), or with
        ``admin`` anyone's, one started anonymously before keys were required included."""
        self.store.delete_conversation(conversation_id, owner=owner, any_owner=admin)
