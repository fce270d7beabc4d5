"""Domain errors. Services raise these; the HTTP and CLI edges turn them into messages."""


class QAServiceError(Exception):
    """Base class of every error the service raises on purpose."""


class InvalidInput(QAServiceError):
    """The caller sent something the service cannot use (empty text, bad encoding, ...)."""


class EmptyQuestion(InvalidInput):
    """The question is empty or only whitespace."""


class QuestionTooLong(InvalidInput):
    """The question is longer than the configured limit."""


class InvalidText(InvalidInput):
    """Text the service cannot embed or store (NUL, a lone surrogate) or oversized metadata."""


class EmptyDocument(InvalidInput):
    """The article has no text worth indexing."""


class DocumentTooLarge(InvalidInput):
    """The article is longer than the configured limit."""


class UnsupportedFormat(InvalidInput):
    """The file is not plain text, Markdown or HTML, or is not valid UTF-8."""


class DocumentNotFound(QAServiceError):
    """No document has the given id."""


class DuplicateContent(QAServiceError):
    """The same text is already stored under another id."""


class IdConflict(QAServiceError):
    """The id derived from a text already holds another text."""


class ConversationNotFound(QAServiceError):
    """No conversation has the given id."""


class EmbedderUnavailable(QAServiceError):
    """The configured embedding model cannot be loaded."""


class EmbedderMismatch(QAServiceError):
    """The index was built with another embedding model than the configured one."""


class StoreUnavailable(QAServiceError):
    """The index's stores cannot be opened or reached (a bad folder, a server that is down)."""


class RerankerUnavailable(QAServiceError):
    """The configured reranker model cannot be loaded."""
