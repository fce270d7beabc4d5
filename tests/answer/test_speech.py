""" "Was sagte Merz?" over the real model, Chroma and SQLite: a question about what someone
said prefers a sentence that reports speech over one that is only about the speaker."""

import pytest

from qa_service.answer.cues import has_answer_type
from qa_service.models import Article
from qa_service.service import QAService

# A news item in the usual form: who spoke where, a sentence about the speaker (his age), then
# what he said, in indirect speech. Without the speech cue the first citation was the opening
# two sentences, "... Merz ist 69 Jahre alt ...", for each of these questions.
HEAD = (
    "Merz beim Wirtschaftstag: Kanzler verspricht Entlastungen\n\n"
    "Berlin – Bundeskanzler Friedrich Merz hat beim Wirtschaftstag des CDU-Wirtschaftsrats in "
    "Berlin gesprochen. Merz ist 69 Jahre alt und damit der älteste Kanzler bei Amtsantritt "
    "seit Konrad Adenauer.\n\n"
)
SPEECH = {
    "so": "Die Unternehmen würden noch in diesem Jahr spürbar entlastet, so Merz vor rund "
    "3.000 Gästen.",
    "erklärte": "Merz erklärte vor rund 3.000 Gästen, die Unternehmen würden noch in diesem "
    "Jahr spürbar entlastet.",
}
TAIL = (
    " Die Stromsteuer solle für alle Betriebe sinken.\n\n"
    "Der Wirtschaftsrat hatte zuvor ein Sofortprogramm gefordert. Die Präsidentin des "
    "Verbands, Astrid Hamker, lobte den Kurs der Regierung, mahnte aber Tempo an.\n"
)


@pytest.mark.parametrize("form", sorted(SPEECH))
@pytest.mark.parametrize(
    "question", ["Was sagte Merz?", "Was hat Merz gesagt?", "What did Merz say?"]
)
def test_what_someone_said_cites_what_he_said(service: QAService, form: str, question: str) -> None:
    service.add_document(Article(text=HEAD + SPEECH[form] + TAIL, title="Merz"), "merz")
    answer = service.ask(question)
    assert not answer.abstained
    for c in answer.citations:
        text = service.get_document(c.document_id, with_text=True).text
        assert text is not None and text[c.start : c.end] == c.quote
    first = answer.citations[0]
    assert first.document_id == "merz"
    assert "entlastet" in first.quote and has_answer_type(first.quote, "speech"), first.quote
    assert "69 Jahre" not in first.quote
