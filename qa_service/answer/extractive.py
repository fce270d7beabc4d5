"""The extractive answerer: the answer is made of article sentences, each one cited.

No LLM is involved, so nothing can be invented: the answer text is the cited sentences,
and each citation's quote is re-read from the stored article and compared before use.
``ask`` reads as its steps, each a function of its own module:

  check and read the question (questions.py, casing.py) -> retrieve (retrieval/retriever.py)
  -> score and rank the candidate sentences (scoring.py), or abstain (abstaining.py) -> build
  citations (citations.py) -> compose the answer text (text.py)
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from qa_service.answer.abstaining import (
    abstains,
    asks_beyond_topic,
    asks_time_to_come,
    few_words_found,
    lacks_asked_quantity,
    missing_place,
    names_time_to_come,
    near_miss,
    own_words,
    topic_not_found,
)
from qa_service.answer.casing import Spellings, is_shouted, recase
from qa_service.answer.citations import (
    Citation,
    Quote,
    Ranked,
    build_citations,
    group_citations,
)
from qa_service.answer.cues import expected_answer_type, found_role_verb
from qa_service.answer.language import (
    ABSTAIN_MESSAGE,
    ASSISTANT_MESSAGE,
    Language,
    detect_language,
    unresolved_message,
)
from qa_service.answer.lead import (
    KeptLeads,
    Lead,
    article_leads,
    given_titles,
    lead_keys,
    lead_signals,
    of_version,
    yield_to_later,
)
from qa_service.answer.questions import check_question, reading_form
from qa_service.answer.references import addresses_assistant, refers_to_nothing
from qa_service.answer.reranking import Reranker, rerank
from qa_service.answer.scoring import evidence_score, prefer_topic, rank, score_candidates
from qa_service.answer.text import compose_answer
from qa_service.answer.translation import WordVectors, translated_coverage
from qa_service.answer.word_similarity import closest_words
from qa_service.errors import InvalidInput
from qa_service.models import Passage
from qa_service.retrieval.embedder import Embedder, embedder_calibration
from qa_service.retrieval.retriever import CandidateSentence, HybridRetriever, Retrieval
from qa_service.stores import DocumentRecord
from qa_service.tuning import answer as answer_tuning
from qa_service.tuning.calibration import QUANTITY_CITED, ScoreWeights


class Topic(NamedTuple):
    """A conversation's earlier turns (their folded ``vector``), how much a message depends
    on them (``dependence``, in [0, 1]) and the ``language`` the topic's words carried in the
    search query are written in (None: mixed or not known; ``chat.rewriting.Context``)."""

    vector: np.ndarray
    dependence: float
    language: Language | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    answer: str
    abstained: bool
    citations: list[Citation]
    passages: list[Passage]
    language: Language
    diagnostics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AnswerConfig:
    """How answers are built; every default is explained in ``qa_service.tuning.answer``."""

    max_citations: int = answer_tuning.MAX_CITATIONS
    weights: ScoreWeights | None = None  # None: the embedding model's calibration
    merge_margin: float = answer_tuning.MERGE_MARGIN
    max_citation_chars: int = answer_tuning.MAX_CITATION_CHARS
    neighbour_bonus: float = answer_tuning.NEIGHBOUR_BONUS
    context_chars: int = answer_tuning.CONTEXT_CHARS
    answer_margin: float = answer_tuning.ANSWER_MARGIN
    abstain_threshold: float | None = None  # None: the embedding model's calibration
    max_question_chars: int = 2000
    rerank_candidates: int = answer_tuning.RERANK_CANDIDATES
    topic_bonus: float = answer_tuning.TOPIC_BONUS
    topic_min_dependence: float = answer_tuning.TOPIC_MIN_DEPENDENCE
    translate_words: bool = False  # the word lexicon (``QA_TRANSLATE_WORDS``)


class ExtractiveAnswerer:
    def __init__(
        self,
        retriever: HybridRetriever,
        embedder: Embedder,
        config: AnswerConfig | None = None,
        reranker: Reranker | None = None,
    ) -> None:
        self.retriever = retriever
        self.embedder = embedder
        self.config = config or AnswerConfig()
        self.reranker = reranker
        self.calibration = embedder_calibration(embedder)
        self.weights = self.config.weights or self.calibration.weights
        self.lexicon = WordVectors(embedder)
        self.kept_leads = KeptLeads()

    def abstain_threshold(
        self, language: Language, *, near_miss: bool = False, few_words: bool = False
    ) -> float:
        """The configured threshold, else the model's calibrated one for this language (its
        near-miss ones, if higher, when a name of the question is in no candidate or few of
        its words are in any)."""
        if self.config.abstain_threshold is not None:
            return self.config.abstain_threshold
        calibration = self.calibration
        threshold = calibration.abstain[language]
        if near_miss:
            threshold = max(threshold, calibration.near_miss.get(language, threshold))
        if few_words and language in calibration.few_words_found:
            threshold = max(threshold, calibration.few_words_found[language][1])
        return threshold

    def check_question(self, question: str) -> str:
        return check_question(question, self.config.max_question_chars)

    def read_question(self, question: str) -> str:
        """A checked question in the form every later step reads: see ``reading_form``;
        an all-caps one recased as the articles spell its words (``casing.py``)."""
        question = reading_form(question, self.config.max_question_chars)
        if is_shouted(question):
            sentences = self.retriever.keyword_sentences(question)
            question = recase(question, Spellings(sentences), detect_language(question))
        return question

    def ask(
        self,
        question: str,
        top_k: int = 4,
        *,
        retrieval_query: str | None = None,
        vector: np.ndarray | None = None,
        topic: Topic | None = None,
        is_read: bool = False,
    ) -> Answer:
        """Answer ``question``; a ``retrieval_query`` (a chat rewrite) may replace it for search.

        ``is_read``: the question was checked and read already (``read_question``, a chat
        turn): it is not checked again, whose NFKC form may be longer than the NFC limit.

        ``topic``: the conversation's article is preferred (see ``AnswerConfig.topic_bonus``).
        Without one (``/v1/ask``, a conversation's first message) a question whose pronoun
        points at nothing ("How old is he?") is not searched: the answer asks whom it means.
        Nor is a question about the assistant itself ("Who are you?"): the news cannot answer
        it, and the answer says what the service does instead of citing noise.
        """
        if not is_read:
            question = self.read_question(self.check_question(question))
        language = detect_language(question)
        if (early := self.unsearched(question, language, topic)) is not None:
            return early
        query = retrieval_query or question
        keywords = self.retriever.search_keywords(query, language)  # needs no vector
        if vector is None:
            vector = self.embedder.embed_query(query)
        retrieval = self.retriever.retrieve(query, vector, top_k, language, keywords)
        titles, passages, quote = self.sources(retrieval)
        leads = self.leads(language, retrieval.candidates, retrieval.articles)
        ranked, diagnostics = self.rank(
            question,
            query,
            language,
            retrieval.candidates,
            topic,
            vector=vector,
            articles=retrieval.articles,
            leads=leads,
        )
        cited = self.cite(ranked, titles, quote, leads)
        if not cited:
            return Answer(ABSTAIN_MESSAGE[language], True, [], passages, language, diagnostics)
        answer = compose_answer(cited, self.config.answer_margin)
        return Answer(answer, False, [c for c, _ in cited], passages, language, diagnostics)

    @staticmethod
    def unsearched(question: str, language: Language, topic: Topic | None) -> Answer | None:
        """The answer of a question that is not searched (nor embedded), or None."""
        if addresses_assistant(question):
            message = ASSISTANT_MESSAGE[language]
            return Answer(message, True, [], [], language, {"addresses_assistant": 1.0})
        if topic is None and (pronoun := refers_to_nothing(question)):
            message = unresolved_message(language, pronoun)
            return Answer(message, True, [], [], language, {"unresolved_reference": 1.0})
        return None

    def query_to_embed(self, question: str) -> str | None:
        """The text ``ask(question)`` (no topic, no rewrite) will embed, or None if it will
        embed nothing (bad input, a question not searched) or only knows it after a search
        (an all-caps question is recased from the articles: not on the event loop)."""
        try:
            question = reading_form(self.check_question(question), self.config.max_question_chars)
        except InvalidInput:
            return None
        if is_shouted(question):
            return None
        if self.unsearched(question, detect_language(question), None) is not None:
            return None
        return question

    def sources(self, retrieval: Retrieval) -> tuple[dict[str, str | None], list[Passage], Quote]:
        """The titles of every retrieved article, the passages shown with the answer, and
        quotes from those articles (the retriever read their records and texts)."""
        docs, articles = self.retriever.documents, retrieval.articles
        doc_ids = [c.row.doc_id for c in retrieval.chunks]
        doc_ids += [c.row.doc_id for c in retrieval.candidates]
        titles = {d: articles[d].title if d in articles else None for d in doc_ids}

        def quote(doc_id: str, start: int, end: int) -> str | None:
            text = articles[doc_id].text if doc_id in articles else docs.text(doc_id)
            return None if text is None else text[start:end]

        passages = [
            Passage(
                c.row.doc_id,
                titles.get(c.row.doc_id),
                c.row.start,
                c.row.end,
                quote(c.row.doc_id, c.row.start, c.row.end) or "",
                round(c.score, 6),
            )
            for c in retrieval.chunks
        ]
        return titles, passages, quote

    def rank(
        self,
        question: str,
        query: str,
        language: Language,
        candidates: list[CandidateSentence],
        topic: Topic | None = None,
        *,
        vector: np.ndarray,
        articles: Mapping[str, DocumentRecord] | None = None,
        leads: Mapping[str, Lead] | None = None,
    ) -> tuple[Ranked, dict[str, float]]:
        """The candidate sentences best first, with diagnostics; none if the answer abstains.
        ``vector``: the query's, which the candidates were found with; ``articles``: their
        records, whose given titles are part of their leads (``answer/lead.given_titles``);
        ``leads``: the articles' leads (``leads``), if read already."""
        if not candidates:
            return [], {}
        if leads is None:
            leads = self.leads(language, candidates, articles or {})
        extra = self.word_signals(question, language, vector, candidates)
        if lead := self.lead_signals(question, language, candidates, leads):
            extra = lead if extra is None else [a + b for a, b in zip(extra, lead, strict=True)]
        scores = score_candidates(question, candidates, self.weights, extra)
        cfg = self.config
        if topic is not None and topic.dependence >= cfg.topic_min_dependence and cfg.topic_bonus:
            keys = [(c.row.doc_id, c.row.ord) for c in candidates]
            vectors = self.retriever.documents.sentence_vectors(keys)
            bonus = cfg.topic_bonus * topic.dependence
            scores = prefer_topic(candidates, scores, vectors, topic.vector, bonus)
        ranked = yield_to_later(rank(candidates, scores), leads, cfg.merge_margin)
        evidence = evidence_score(question, candidates)
        diagnostics = {"evidence": evidence, "best_score": ranked[0][0]}
        texts = [c.row.text for c in candidates]
        missing = language in self.calibration.near_miss and near_miss(question, texts)
        few = self.calibration.few_words_found.get(language)
        # a role verb is found by its role noun ("Wer leitet ...?" - "Feuerwehrchef ...")
        worded = found_role_verb(question, texts) if few is not None else question
        few_words = few is not None and few_words_found(worded, texts, few[0])
        diagnostics["near_miss"] = float(missing)
        diagnostics["few_words_found"] = float(few_words)
        threshold = self.abstain_threshold(language, near_miss=missing, few_words=few_words)
        if abstains(evidence, threshold, question, query):
            return [], diagnostics
        if language in self.calibration.missing_place and missing_place(question, texts):
            diagnostics["missing_place"] = 1.0
            return [], diagnostics
        own = own_words(question)  # what it names or asks of its own, read once
        if self.beyond_topic(question, own, language, texts, topic):
            diagnostics["beyond_topic"] = 1.0
            return [], diagnostics
        if self.lost_topic(question, own, query, language, texts, topic):
            diagnostics["topic_not_found"] = 1.0
            return [], diagnostics
        if self.reranker is not None and len(ranked) > 1:
            # The search query: in a conversation it carries the topic ("Wann war das? Chef
            # Drohnentruppen"), which the follow-up alone does not.
            head = ranked[: cfg.rerank_candidates]
            ranked = rerank(self.reranker, query, ranked, [row.text for _, row in head])
            diagnostics["reranked"] = float(len(head))
        if language in self.calibration.asked_quantity and self.lacks_quantity(
            question, own, language, ranked
        ):
            diagnostics["lacks_quantity"] = 1.0
            return [], diagnostics
        if (
            language in self.calibration.missing_time
            and asks_time_to_come(question)
            and not names_time_to_come(self.best_window(ranked))
        ):
            diagnostics["missing_time"] = 1.0
            return [], diagnostics
        return ranked, diagnostics

    def beyond_topic(
        self,
        question: str,
        own: list[str],
        language: Language,
        texts: list[str],
        topic: Topic | None,
    ) -> bool:
        """A follow-up leaning on the conversation's topic whose own words (``own``) ask what
        no candidate says (``abstaining.asks_beyond_topic``): "Wie alt ist er?" after an
        appointment. Only in question languages whose words are read in the articles (those
        with a ``few_words_found`` calibration: German); single questions never get here."""
        if topic is None or topic.dependence <= 0:
            return False
        readable = language in self.calibration.few_words_found
        return readable and asks_beyond_topic(question, own, texts)

    def lost_topic(
        self,
        question: str,
        own: list[str],
        query: str,
        language: Language,
        texts: list[str],
        topic: Topic | None,
    ) -> bool:
        """A follow-up asking only about the conversation's topic when no candidate names it
        any more (``abstaining.topic_not_found``): its article was deleted. When the topic's
        words were written in a language whose words are read in the articles (those with a
        ``few_words_found`` calibration: German), any of them tells; otherwise only its names
        do ("When was that?" after "Which houses were flooded in Auendorf?"): an English
        topic's other words ("drone forces") are in no German article even while its article
        is there, so "When was that?" after "Who was appointed head of the drone forces?" is
        answered from it."""
        if topic is None or topic.dependence <= 0:
            return False
        readable = self.calibration.few_words_found
        names_only = language not in readable or topic.language not in readable
        return topic_not_found(question, own, query, texts, names_only=names_only)

    def lacks_quantity(
        self, question: str, own: list[str], language: Language, ranked: Ranked
    ) -> bool:
        """A number question whose cited sentences hold no quantity that could answer it
        (``abstaining.lacks_asked_quantity``): the best three each, then the best one with
        its neighbours as one text (a quantity may follow the sentence naming its subject:
        "Er hat 30 Mitglieder."). The neighbours are read only for number questions, and only
        when the best three hold no such quantity."""
        if expected_answer_type(question) != "number":
            return False
        about = language in self.calibration.quantity_about
        cited = [row.text for _, row in ranked[:QUANTITY_CITED]]
        if not lacks_asked_quantity(question, cited, about=about, own=own):
            return False
        return lacks_asked_quantity(question, [self.best_window(ranked)], about=about, own=own)

    def best_window(self, ranked: Ranked) -> str:
        """The best sentence with its neighbours, as one text."""
        best = ranked[0][1]
        around = self.retriever.documents.sentences_by_key(
            [(best.doc_id, best.ord - 1), (best.doc_id, best.ord + 1)]
        )
        rows = sorted([best, *around.values()], key=lambda row: row.ord)
        return " ".join(row.text for row in rows)

    @property
    def uses_word_vectors(self) -> bool:
        """Some question language's score reads the corpus words' single-word vectors (the
        word lexicon on, or a ``question_words`` weight): worth warming them."""
        translates = self.config.translate_words and any(self.weights.translated.values())
        return translates or any(self.weights.question_words.values())

    def word_signals(
        self,
        question: str,
        language: Language,
        vector: np.ndarray,
        candidates: list[CandidateSentence],
    ) -> list[float] | None:
        """What the single-word vectors add to each candidate's score in this language: the
        translated coverage and the closest word (``closest_words``), each times its weight
        (None: neither is on for it). A heading gets no closest word: it names its section's
        topic, so its words are the question's own whenever the question is about that topic,
        without saying anything about it (an example question "Worum geht es bei „<heading>“?"
        was answered by the heading itself; tests/api/test_examples.py)."""
        translated = self.translated(question, language, candidates)
        weight = self.weights.question_words.get(language)
        if not weight:
            return translated
        texts = ["" if c.row.kind == "heading" else c.row.text for c in candidates]
        closest = [weight * cosine for cosine in closest_words(self.lexicon, vector, texts)]
        if translated is None:
            return closest
        return [a + b for a, b in zip(translated, closest, strict=True)]

    def leads(
        self,
        language: Language,
        candidates: list[CandidateSentence],
        articles: Mapping[str, DocumentRecord],
    ) -> dict[str, Lead]:
        """The leads of the candidates' articles (``answer/lead.py``) in a language whose
        score reads them (empty otherwise: their sentences and titles are read only then);
        those of article versions read before are kept (``KeptLeads``), the others read."""
        if not self.weights.lead.get(language) or not candidates:
            return {}
        titles = given_titles(articles)
        docs = dict.fromkeys(c.row.doc_id for c in candidates)
        keys = {d: (d, articles[d].version, titles.get(d)) for d in docs if d in articles}
        leads: dict[str, Lead] = {}
        for doc_id, key in keys.items():
            if (lead := self.kept_leads.get(key)) is not None:
                leads[doc_id] = lead
        unread = [c for c in candidates if c.row.doc_id not in leads]
        if unread:
            rows = self.retriever.documents.sentences_by_key(lead_keys(unread))
            read = article_leads(rows, {d: titles.get(d) for d in docs if d not in leads})
            self.kept_leads.keep(
                {
                    keys[d]: lead
                    for d, lead in read.items()
                    if d in keys and of_version(rows, articles[d])
                }
            )
            leads.update(read)
        return leads

    def lead_signals(
        self,
        question: str,
        language: Language,
        candidates: list[CandidateSentence],
        leads: Mapping[str, Lead],
    ) -> list[float] | None:
        """What each candidate's article lead (``leads``) adds to its score, times this
        language's weight (None: none for it)."""
        weight = self.weights.lead.get(language)
        if not weight:
            return None
        return lead_signals(question, candidates, leads, weight)

    def translated(
        self, question: str, language: Language, candidates: list[CandidateSentence]
    ) -> list[float] | None:
        """Each candidate's translated coverage times its weight for this language (None:
        none for it, or ``translate_words`` off). English questions meet German sentences
        that share almost no words with them; the model's single-word vectors match "built"
        to "gebaut"."""
        weight = self.weights.translated.get(language)
        if not weight or not self.config.translate_words:
            return None
        texts = [c.row.text for c in candidates]
        found = self.lexicon.matches(question, texts, self.weights.translation_cosine)
        return [weight * share for share in translated_coverage(found)]

    def cite(
        self,
        ranked: Ranked,
        titles: dict[str, str | None],
        quote: Quote | None = None,
        leads: Mapping[str, Lead] | None = None,
    ) -> list[tuple[Citation, str]]:
        """Citations of the best spans, each with the statement the answer text may use;
        ``quote`` reads the articles (default: the document store); ``leads``: the leads the
        sentences were read with (``citations.framing``)."""
        quote = quote or self.retriever.documents.quote
        ends = {doc: lead.last_ord for doc, lead in (leads or {}).items()}
        spans = group_citations(ranked, self.config, quote, ends)
        return build_citations(spans, quote, titles)
