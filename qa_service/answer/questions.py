"""What a question must be before anything searches for it."""

from qa_service.errors import EmptyQuestion, QuestionTooLong
from qa_service.textcheck import check_text, has_words, nfc


def check_question(question: str, max_chars: int) -> str:
    """The question in NFC and stripped; refused if it is unusable text, empty, wordless or
    too long (counted after NFC, as its reader counts)."""
    question = nfc(check_text(question, "the question")).strip()
    if not question:
        raise EmptyQuestion("the question is empty")
    if not has_words(question):
        raise EmptyQuestion("the question has no words (only punctuation, symbols or spaces)")
    if len(question) > max_chars:
        raise QuestionTooLong(
            f"the question has {len(question):,} characters; the limit is {max_chars:,}"
        )
    return question
