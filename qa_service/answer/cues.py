"""Answer-type cues: a question's wh-word says what kind of token its answer sentence holds.

"Wie viele ...?" wants a number, "Wann ...?" a date or time, "Was sagte Merz?" reported
speech (a quoted statement, a verb of saying, "so Merz", the subjunctive of indirect speech). A
sentence without such a token can still be right, so this is a small bonus in scoring, never
a filter.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from qa_service.lexicon import (
    DURATION_QUESTIONS,
    DURATION_UNITS,
    FUNCTION_WORDS,
    MEASURE_BEFORE,
    MEASURE_UNITS,
    MEASURE_VERB_QUESTIONS,
    MEASURE_WITHOUT_NUMBER,
    MEASURE_WORDS,
    MEASURES,
    MONTH_NUMBERS,
    NUMBER_QUESTIONS,
    NUMBER_WORDS,
    ROLE_VERBS,
    SCALE_WORDS,
    SPEECH_MARKERS,
    SPEECH_VERBS,
    SUBJUNCTIVE,
    TIME_QUESTIONS,
    TIME_WORDS,
    UNITS,
    WORD,
    alternation,
)
from qa_service.retrieval.lexical import STOPWORDS
from qa_service.tuning.answer import COUNTED_WORDS

AnswerType = Literal["number", "time", "speech"]

_QUESTION_TYPES: list[tuple[re.Pattern[str], AnswerType]] = [
    (re.compile(rf"\b({'|'.join(NUMBER_QUESTIONS)})\b", re.IGNORECASE), "number"),
    (re.compile(rf"\b({'|'.join(TIME_QUESTIONS)})\b", re.IGNORECASE), "time"),
    # "Was sagte Merz?", "Und was hat er erklärt?", "What did Rutte say?": asks what was said
    # (not "Wann sagte ...?", a time; not "Wer sagte ...?", a person). The verb in lower case:
    # "State Route 168", "the United States" are names.
    (
        re.compile(
            rf"^\W*(?:(?:und|and)\s+)?(?:was|what)\b.*\b(?-i:{alternation(SPEECH_VERBS)})\b",
            re.IGNORECASE,
        ),
        "speech",
    ),
]
_PATTERNS: dict[AnswerType, re.Pattern[str]] = {
    "number": re.compile(rf"\d|\b({alternation(NUMBER_WORDS)})\w*\b", re.IGNORECASE),
    "time": re.compile(
        rf"\b(1\d{{3}}|20\d{{2}})\b|\b({alternation(TIME_WORDS)})\b|\d{{1,2}}\.\s*\d{{1,2}}\.",
        re.IGNORECASE,
    ),
    "speech": re.compile(
        rf"\b({alternation(SPEECH_VERBS)}|{alternation(SUBJUNCTIVE)})\b", re.IGNORECASE
    ),
}
_QUOTE_OPEN, _QUOTE_CLOSE = '„“"»«', '“”"«»'
_SPEECH_MARKERS = re.compile(
    "|".join(SPEECH_MARKERS)  # case-sensitive: "laut Merz", not "laut werden"
    # A quoted statement: closed after its punctuation ("... bauen.“", "... nicht auf!"),
    # introduced by a colon, or opening the sentence. Not a quoted name or title
    # („Hockeyschläger-Diagramm“, "Spinnennetz"): quotation marks alone do not report speech.
    + rf"|[.!?,…][{_QUOTE_CLOSE}]|:\s*[{_QUOTE_OPEN}]|^\W*[{_QUOTE_OPEN}]"
)


def expected_answer_type(question: str) -> AnswerType | None:
    for pattern, answer_type in _QUESTION_TYPES:
        if pattern.search(question):
            return answer_type
    return None


def has_answer_type(sentence: str, answer_type: AnswerType | None) -> bool:
    if answer_type is None:
        return False
    if _PATTERNS[answer_type].search(sentence) is not None:
        return True
    return answer_type == "speech" and _SPEECH_MARKERS.search(sentence) is not None


def fits_answer_type(question: str, sentence: str, answer_type: AnswerType | None) -> bool:
    """``has_answer_type``, but a question asking a measure by its adjective ("Wie teuer ist
    es?") wants that measure stated (``holds_asked_quantity``): "23 Kilogramm" holds a number,
    not a price. For many sentences, ``answer_type_test`` reads the question once."""
    return answer_type_test(question, answer_type)(sentence)


def answer_type_test(question: str, answer_type: AnswerType | None) -> Callable[[str], bool]:
    """``fits_answer_type`` of ``question`` as a test of each sentence, the question read once."""
    if answer_type == "number" and asked_kind(question):
        return AskedQuantity.of(question).held_by
    return lambda sentence: has_answer_type(sentence, answer_type)


# What a number question is not answered by: a date ("4. Juni", "1954", "4.6.") and a number
# word that is mostly an article ("ein", "one").
DATE_MENTION = re.compile(
    rf"\b\d{{1,2}}\.?\s*({alternation(list(MONTH_NUMBERS))})\b|\b(1\d{{3}}|20\d{{2}})\b"
    r"|\b\d{1,2}\.\s*\d{1,2}\.",
    re.IGNORECASE,
)
_QUANTITY = re.compile(
    rf"\d(?:[\d.,]*\d)?|\b({alternation([w for w in NUMBER_WORDS if w not in ('ein', 'one')])})\w*",
    re.IGNORECASE,
)
_MEASURE_QUESTION = re.compile(rf"\b(?:wie|how)\s+({alternation(list(MEASURES))})\b", re.IGNORECASE)
_NUMBER = f"(?:{_QUANTITY.pattern})"


def _measure_pattern(kind: str) -> re.Pattern[str]:
    """What states a measure of ``kind`` (``lexicon.MEASURE_UNITS``): a number, a scale word
    maybe, and a unit ("2,5 Millionen Euro", "69-jährig"); what stands before a number ("$1299",
    "aged 69"); for an age also a number in brackets after a name ("Sergej Schoigu (69)");
    for a price also a price of nothing ("Der Eintritt ist frei.", ``MEASURE_WITHOUT_NUMBER``)."""
    forms = [rf"{_NUMBER}\s*-?\s*(?:(?:{SCALE_WORDS})\s*)?(?:{MEASURE_UNITS[kind]})(?!\w)"]
    if before := MEASURE_BEFORE[kind]:
        forms.append(rf"(?<!\w)(?:{before})\s*{_NUMBER}")
    if without := MEASURE_WITHOUT_NUMBER[kind]:
        forms.append(rf"(?<!\w)(?:{without})")
    if kind == "age":
        forms.append(r"\(\s*\d{1,3}\s*\)")
    return re.compile("|".join(forms), re.IGNORECASE)


_MEASURES = {kind: _measure_pattern(kind) for kind in MEASURE_UNITS}
_DURATION_QUESTION = re.compile(rf"\b({'|'.join(DURATION_QUESTIONS)})\b", re.IGNORECASE)
_NUMBER_QUESTION = re.compile(rf"\b({'|'.join(NUMBER_QUESTIONS)})\b", re.IGNORECASE)
_NEXT_WORD = re.compile(r"\s*(\w+)")
# What follows a number that counts something: a unit ("1299 Euro", "30 Prozent") or a
# currency or percent sign; one stands before it too ("$1299", "€ 1800").
_NEXT_TOKEN = re.compile(r"\s*([%€$£]|\w+(?:-\w+)*)")
_SIGNS = frozenset("%€$£")
_SIGN_BEFORE = re.compile(r"[€$£]\s*$")
_LAST_WORD = re.compile(r"(\w+)\W*$")
# A year's own context: a month ("Juni 2025") or "Jahr"/"year" ("im Jahr 1999",
# "Haushaltsjahr 2024", "the year 1999") before it.
_YEAR_WORD = re.compile(r"(jahr|jahre|jahren|jahres|jahrs|year|years)$", re.IGNORECASE)


def _counted_nouns(question: str) -> list[str]:
    """The ``COUNTED_WORDS`` after the question's "wie viele"/"how many" (what it counts),
    lower case, but for stopwords."""
    asked = _NUMBER_QUESTION.search(question)
    if asked is None:
        return []
    words = [m.group().lower() for m in WORD.finditer(question, asked.end())]
    return [w for w in words[:COUNTED_WORDS] if w not in STOPWORDS and w not in FUNCTION_WORDS]


def _same_stem(word: str, other: str) -> bool:
    """ "Besucher" and "Besuchern", "visitor" and "visitors": one begins with the other but
    for an inflection of at most two letters, and they share four letters at least."""
    short, long = sorted((word, other), key=len)
    return len(short) >= 4 and long.startswith(short[: max(4, len(short) - 2)])


def _counts(sentence: str, year: re.Match[str], counted: list[str]) -> bool:
    """Whether a four-digit number 1000-2099 that ``DATE_MENTION`` reads as a year counts
    something instead: it is followed by a unit or a currency or percent sign ("1299 Euro",
    "1800 %"), preceded by a currency sign ("$1299"), or followed by the noun the question
    counts ("Wie viele Besucher ...?" - "1800 Besucher"). "Jahr"/"year" before it keeps it a
    year ("im Jahr 1999"), and so does a month ("im Mai 2025", "Juni 2024 Euro-Preise")
    unless the noun the question counts follows it ("Wie viele Touristen ...?" - "im Mai
    1400 Touristen": a month's count); so does anything else after it ("2024 kamen ...",
    "the 2024 budget")."""
    before = _LAST_WORD.search(sentence, 0, year.start())
    if before is not None and _YEAR_WORD.search(before.group(1)):
        return False
    month = before is not None and before.group(1).lower() in MONTH_NUMBERS
    if not month and _SIGN_BEFORE.search(sentence, 0, year.start()):
        return True
    token = _NEXT_TOKEN.match(sentence, year.end())
    if token is None:
        return False
    after = token.group(1).lower()
    if any(_same_stem(after, noun) for noun in counted):
        return True
    return not month and (after in _SIGNS or after in UNITS)


def asked_measure(question: str) -> str | None:
    """The adjective a question asks a measure by ("schwer" in "Wie schwer ist es?", "old" in
    "How old is he?"), lower case; None if it asks none."""
    asked = _MEASURE_QUESTION.search(question)
    return None if asked is None else asked.group(1).lower()


_MEASURE_VERB_QUESTION = re.compile(rf"\b(?:{'|'.join(MEASURE_VERB_QUESTIONS)})\b", re.IGNORECASE)


def asked_kind(question: str) -> str | None:
    """The kind of measure a question asks (``lexicon.MEASURE_UNITS``): by its adjective
    ("Wie teuer ...?", ``asked_measure``) or by its verb after "Wie viel"/"Was"/"How much"/
    "What" ("Wie viel kostete die Brücke?": a price; ``lexicon.MEASURE_WORDS``); None if
    it asks none."""
    if kind := MEASURES.get(asked_measure(question) or ""):
        return kind
    if _MEASURE_VERB_QUESTION.search(question) is None:
        return None
    words = (m.group().lower() for m in WORD.finditer(question))
    return next((MEASURE_WORDS[w] for w in words if w in MEASURE_WORDS), None)


@dataclass(frozen=True, slots=True)
class AskedQuantity:
    """What a number question asks, read once for all the sentences it is tested against
    (``held_by``; ``holds_asked_quantity`` says what counts): the quantities it names itself,
    the measure its adjective asks (its pattern; None: any quantity), whether it asks a
    duration, and the nouns it counts."""

    own: frozenset[str]
    measure: re.Pattern[str] | None
    durations: bool
    counted: list[str]

    @classmethod
    def of(cls, question: str) -> "AskedQuantity":
        kind = asked_kind(question)
        words = {m.group().lower() for m in WORD.finditer(question)}
        return cls(
            frozenset(m.group() for m in _QUANTITY.finditer(question)),
            None if kind is None else _MEASURES[kind],
            _DURATION_QUESTION.search(question) is not None or bool(words & DURATION_UNITS),
            _counted_nouns(question),
        )

    def held_by(self, sentence: str) -> bool:
        """``holds_asked_quantity`` of the question this was read from."""
        own, counted = self.own, self.counted
        text = DATE_MENTION.sub(
            lambda m: m.group() if m.group(2) and _counts(sentence, m, counted) else " ", sentence
        )
        if self.measure is not None:  # a stated measure the question does not name itself
            for stated in self.measure.finditer(text):
                quantities = {m.group() for m in _QUANTITY.finditer(stated.group())}
                if not quantities or not quantities <= own:  # none: "ist frei", "kostenlos"
                    return True
            return False
        for match in _QUANTITY.finditer(text):
            if match.group() in own:
                continue
            unit = _NEXT_WORD.match(text, match.end())
            if not self.durations and unit is not None and unit.group(1).lower() in DURATION_UNITS:
                continue
            return True
        return False


def holds_asked_quantity(question: str, sentence: str) -> bool:
    """Whether ``sentence`` holds a quantity that could answer the number question.

    Not a date, not a number the question itself names, and not a duration ("Fast 1.200
    Tage nach Beginn der Invasion") unless the question asks how long or names the unit of
    time ("Wie viele Jahre ...?"): "How many refugees ...?" is not answered by 1,200 days.
    A four-digit number that looks like a year is a date unless it counts something ("1299
    Euro", "1800 Besucher" for "Wie viele Besucher ...?": ``_counts``).

    A question asking a measure by its adjective (``asked_measure``; ``lexicon.MEASURES``)
    wants that measure: "Wie schwer ...?" a weight ("23 Kilogramm"), "Wie alt ...?" an age
    ("69 Jahre", "der 69-Jährige"), "Wie teuer ...?" a price ("2499 Euro", "$1299"); so does
    one asking it by its verb ("Wie viel kostete ...?", ``asked_kind``).
    For many sentences, ``AskedQuantity.of(question).held_by`` reads the question once.
    """
    return AskedQuantity.of(question).held_by(sentence)


# -- a role's holder: "Wie heißt der Bürgermeister von X?", "Wer ist Bürgermeisterin von X?" --
# A question asking who holds a role names the role (a capitalised noun after "Wie heißt" /
# "Wer ist" and maybe an article); a sentence answers it by the role noun with a name after it
# ("Bürgermeister Thomas Keller (SPD) sagte ...", "Der Bürgermeister von Lindenau, Peter
# Brandt, ..."). The noun must be followed by what it is the role of ("Wer ist (der)
# Bürgermeister von X?"): "Wer ist Jürgen Müßig?" asks about a name, and a role described by
# a clause ("Wie heißt der Quarterback, der ... 38 Jahre alt war?") is held by many a name in
# its article (XQuAD-de: the cue on such questions cost 2 top citations).
_ROLE_OF = r"(?:von|vom|in|im|der|des|aus)"
"""What follows a role noun to say what it is the role of ("Bürgermeister von X")."""
_ROLE_QUESTION = re.compile(
    r"^\W*(?:und\s+)?(?:wie\s+(?:heißt|hieß|heißen|hießen)|wer\s+(?:ist|war|sind|waren))\s+"
    r"(?:(?P<article>der|die|den)\s+)?(?-i:(?P<role>[A-ZÄÖÜ][\w-]*[a-zäöüß]))"
    rf"(?P<after>\s+{_ROLE_OF}\b)?",
    re.IGNORECASE,
)
_FEMININE = re.compile(r"(?:in|innen)$")
# A person's name: two capitalised words ("Thomas Keller"), or one before a bracket ("Keller
# (SPD)"); what may stand between the role and the name: what it is the role of ("von
# Lindenau"), a comma, and a verb naming its holder ("Der Vorsitzende des IPCC ist ...").
_NAME_AFTER_ROLE = (
    rf"(?:\s+{_ROLE_OF}\s+[A-ZÄÖÜ][\w-]*)?,?\s+"
    r"(?:(?:ist|war|heißt|hieß|bleibt|wird|wurde)\s+)?"
    r"(?-i:[A-ZÄÖÜ][\w-]*[a-zäöüß](?:\s+[A-ZÄÖÜ][\w-]*[a-zäöüß]|\s*\())"
)


def asked_role(question: str) -> str | None:
    """The role whose holder the question asks for, lower case and without a feminine ending
    ("bürgermeister" for "Wie heißt die Bürgermeisterin von Birkenau?"); None if it asks
    for none."""
    asked = _ROLE_QUESTION.search(question)
    if asked is None or asked.group("after") is None:
        return None
    role = asked.group("role").lower()
    return _FEMININE.sub("", role) if len(role) > 6 else role


def role_holder_test(question: str) -> Callable[[str], bool]:
    """Whether a sentence names the holder of the role the question asks for (``asked_role``):
    a word holding the role noun ("Bürgermeisterin", "Oberbürgermeister") with a name after
    it. A question asking no role: no sentence does."""
    role = asked_role(question)
    return _never if role is None else _holder_test((role,))


def _holder_test(roles: tuple[str, ...]) -> Callable[[str], bool]:
    """Whether a sentence holds a word with one of ``roles`` in it ("Oberbürgermeister",
    "Feuerwehrchef") and a name after it (``_NAME_AFTER_ROLE``)."""
    pattern = re.compile(rf"(?i:\w*(?:{alternation(roles)})\w*){_NAME_AFTER_ROLE}")
    return lambda sentence: pattern.search(sentence) is not None


def _never(sentence: str) -> bool:
    return False


# -- a role asked by its verb: "Wer trainiert Dynamo Dresden?", "Who coaches Dynamo?" --
# The holder is named by the role noun ("Trainer Markus Brenner lobte ..."), which shares no
# word with the verb; the dateline sentence naming the club wins on its words otherwise.
_ROLE_VERB_QUESTION = re.compile(
    rf"^\W*(?:(?:und|and)\s+)?(?:wer|who)\s+(?P<verb>{alternation(tuple(ROLE_VERBS))})\b",
    re.IGNORECASE,
)


def verb_role_test(question: str) -> Callable[[str], bool]:
    """Whether a sentence names the holder of the role the question asks for by its verb
    (``lexicon.ROLE_VERBS``): a word holding one of the verb's role nouns with a name after
    it. A question asking no role by a verb: no sentence does."""
    asked = _ROLE_VERB_QUESTION.search(question)
    return _never if asked is None else _verb_holder_test(asked)


def _verb_holder_test(asked: re.Match[str]) -> Callable[[str], bool]:
    return _holder_test(ROLE_VERBS[asked.group("verb").lower()])


def found_role_verb(question: str, sentences: Sequence[str]) -> str:
    """``question`` without the verb it asks a role by when one of ``sentences`` names that
    role's holder (``verb_role_test``): "Wer leitet die Feuerwehr?" is answered by
    "Feuerwehrchef Torben Claußen sagte ...", which holds no "leitet"; for the tests that
    count the question's words found in the candidates. Otherwise ``question`` as it is."""
    asked = _ROLE_VERB_QUESTION.search(question)
    if asked is None or not any(map(_verb_holder_test(asked), sentences)):
        return question
    return question[: asked.start("verb")] + question[asked.end("verb") :]
