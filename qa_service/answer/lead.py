"""The article's lead: a later sentence is read with the names its article opened with.

A news article names its topic once, in its title and first sentence ("Die Gemeinde Seebach
hat am Montag ... gewählt."), and its later sentences say the rest without repeating it ("Mit
55 Prozent der Stimmen gewann Karl Stein."). A question naming the topic and asking the rest
("Wer gewann in Seebach?") shares its topic word with the opening sentence only, which then
wins on those words alone. A later sentence therefore gets the question words its article's
lead holds and it does not (``retrieval.lexical.coverage_gain``), times a weight
(``ScoreWeights.lead``).
"""

from collections.abc import Mapping
from typing import NamedTuple

from qa_service.answer.citations import Ranked
from qa_service.retrieval.lexical import coverage_gain
from qa_service.retrieval.retriever import CandidateSentence
from qa_service.stores import DocumentRecord, SentenceSpan
from qa_service.tuning.answer import LEAD_SENTENCES, LEADS_KEPT


class Lead(NamedTuple):
    text: str  # the title and the article's opening sentences, up to its first body sentence
    last_ord: int  # the last sentence it holds: a sentence after it reads it as context


def article_leads(
    sentences: Mapping[tuple[str, int], SentenceSpan], titles: Mapping[str, str | None]
) -> dict[str, Lead]:
    """Each article's lead from its first ``LEAD_SENTENCES`` sentences (``sentences``, by
    key) and its title: the headings before the first body sentence and that sentence."""
    leads: dict[str, Lead] = {}
    for doc_id in {doc for doc, _ in sentences} | set(titles):
        parts = [titles.get(doc_id) or ""]
        last = -1
        for ord_ in range(LEAD_SENTENCES):
            row = sentences.get((doc_id, ord_))
            if row is None:
                break
            parts.append(row.text)
            last = ord_
            if row.kind != "heading":
                break
        leads[doc_id] = Lead(" ".join(parts), last)
    return leads


LeadKey = tuple[str, str, str | None]
"""An article's id, version and given title (``given_titles``): what its lead is made of."""


class KeptLeads:
    """Leads read before, by ``LeadKey``: an article version's sentences never change (a
    new text is a new version; a new title, a new key), so a kept lead is the one its
    sentences would give now. At most ``size``; emptied when full."""

    def __init__(self, size: int = LEADS_KEPT) -> None:
        self.size = size
        self._kept: dict[LeadKey, Lead] = {}

    def get(self, key: LeadKey) -> Lead | None:
        return self._kept.get(key)

    def keep(self, leads: Mapping[LeadKey, Lead]) -> None:
        if len(self._kept) + len(leads) > self.size:
            self._kept = {}
        self._kept.update(leads)


def of_version(sentences: Mapping[tuple[str, int], SentenceSpan], record: DocumentRecord) -> bool:
    """The ``sentences`` of ``record``'s article are spans of its text: read from the version
    the record is (a lead kept under it), not from one stored since the record was read."""
    text = record.text
    return text is not None and all(
        text[row.start : row.end] == row.text
        for (doc_id, _), row in sentences.items()
        if doc_id == record.id
    )


def given_titles(articles: Mapping[str, DocumentRecord]) -> dict[str, str | None]:
    """The articles' titles that are not part of their texts: an article posted without one
    is titled by its first line (``ingest.titles.text_title``), which may be a paragraph of
    one sentence ("Die Gemeinde Seebach hat am Sonntag einen neuen Bürgermeister gewählt.";
    one of two or more is no title), and would lend every later sentence its words. A
    heading the text opens with is in its lead anyway."""
    return {
        doc_id: record.title
        for doc_id, record in articles.items()
        if record.title and (record.text is None or record.title not in record.text)
    }


def lead_keys(candidates: list[CandidateSentence]) -> list[tuple[str, int]]:
    """The sentences that may make up the candidates' articles' leads."""
    docs = dict.fromkeys(c.row.doc_id for c in candidates)
    return [(doc, ord_) for doc in docs for ord_ in range(LEAD_SENTENCES)]


def lead_signals(
    question: str, candidates: list[CandidateSentence], leads: Mapping[str, Lead], weight: float
) -> list[float]:
    """Each candidate's weighted gain from its article's lead (0 for the lead itself and for
    headings, which name a topic without saying anything about it)."""
    contexts = []
    for c in candidates:
        lead = leads.get(c.row.doc_id)
        later = lead is not None and c.row.ord > lead.last_ord and c.row.kind != "heading"
        contexts.append(lead.text if later and lead is not None else "")
    gains = coverage_gain(question, [c.row.text for c in candidates], contexts)
    return [weight * gain for gain in gains]


def yield_to_later(ranked: Ranked, leads: Mapping[str, Lead], margin: float) -> Ranked:
    """``ranked`` with a best sentence from its article's lead moved behind the first later
    body sentence of that article scored within ``margin`` of it (a near tie).

    The later sentence was read with the lead (``lead_signals``): it holds every question
    word the lead does, and its own; the lead's edge is only its closeness to the topic. Left
    first, the lead merges with it into the first citation and opens the answer ("Die
    Gemeinde Seebach hat ... gewählt. Mit 55 Prozent ... gewann Karl Stein." for "Wer gewann
    in Seebach?"). Scores are unchanged."""
    if not ranked or not leads:
        return ranked
    top_score, top = ranked[0]
    lead = leads.get(top.doc_id)
    if lead is None or top.ord > lead.last_ord:
        return ranked
    for i, (score, row) in enumerate(ranked[1:], start=1):
        if top_score - score > margin:
            break
        if row.doc_id == top.doc_id and row.ord > lead.last_ord and row.kind != "heading":
            return [ranked[i], *ranked[:i], *ranked[i + 1 :]]
    return ranked
