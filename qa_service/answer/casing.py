"""Reading an all-caps question as if it were cased as usual.

"WER LEITETE DAS TREFFEN IN BRÜSSEL?" asks what "Wer leitete das Treffen in Brüssel?" asks,
yet capitals are cues here: the embedding model is cased, a capitalised word after the first is
a name (in German any noun) that ``near_miss`` looks for, and a speech verb counts only in lower
case. An all-caps question hides all of them, so its words are recased the way the articles
write them: each word takes its most frequent spelling in sentences that share the
question's keywords (not where it opens a sentence or in a headline, whose capitals say
nothing). A word the articles never write, the same stem excepted, is lower case if it is a
function word, or in German a verb where a question has one: right after an opening question
word ("WER LEITETE") and at the end after an auxiliary ("WANN WURDE ER GEWÄHLT?"); otherwise
capitalised in German, where a question's content words are mostly nouns (a verb elsewhere,
"WIE VIELE VORSTÖSSE MELDETE ...", is read as one: a stricter abstain test, as for a name the
articles lack), and lower case in English. The first word opens the sentence, so it is
capitalised.
"""

import re
from collections import Counter
from collections.abc import Iterable

from qa_service.lexicon import QUESTION_WORDS, WORD, Language, de
from qa_service.retrieval.lexical import STOPWORDS, stem

_PARTS = re.compile(r"([-'’])")


def is_shouted(question: str) -> bool:
    """Written in capitals throughout: two capitals at least and no lower-case letter
    (ß aside, which has no capital in common use: "STRAßE")."""
    if any(char.islower() and char != "ß" for char in question):
        return False
    return sum(char.isupper() for char in question) >= 2


class Spellings:
    """How the articles spell words, read from sentences: the most frequent spelling of
    each word, and of each stem whether it is mostly written capitalised, lower case or in
    capitals throughout."""

    def __init__(self, sentences: Iterable[str]) -> None:
        words: dict[str, Counter[str]] = {}
        stems: dict[str, Counter[str]] = {}
        for sentence in sentences:
            for match in list(WORD.finditer(sentence))[1:]:  # the first is capitalised anyway
                word = match.group()
                words.setdefault(word.lower(), Counter())[word] += 1
                stems.setdefault(stem(word.lower()), Counter())[_shape(word)] += 1
        self._words = {lower: forms.most_common(1)[0][0] for lower, forms in words.items()}
        self._stems = {key: shapes.most_common(1)[0][0] for key, shapes in stems.items()}

    def spell(self, word: str, language: Language, *, verb: bool = False) -> str:
        """``word`` (any case) as the articles would write it inside a sentence; ``verb``:
        where a German question has its verb."""
        lower = word.lower()
        # Capitals write ß as SS ("VORSTÖSSE"): the articles' "Vorstöße" is the same word.
        variants = list(dict.fromkeys([lower, lower.replace("ss", "ß")]))
        for variant in variants:
            if variant in self._words:
                return self._words[variant]
        if _PARTS.search(lower):  # a compound the articles never write whole: part by part
            return "".join(
                p if _PARTS.fullmatch(p) else self.spell(p, language) for p in _PARTS.split(lower)
            )
        if lower in STOPWORDS:
            return lower
        for variant in variants:
            if (shape := self._stems.get(stem(variant))) is not None:
                return _reshape(variant, shape)
        noun = language == "de" and not verb and not lower.isdigit()
        return _reshape(lower, "capitalised" if noun else "lower")


def recase(question: str, spellings: Spellings, language: Language) -> str:
    """``question`` with each word spelled as ``spellings`` says, the first capitalised."""
    out, last = [], 0
    matches = list(WORD.finditer(question))
    lowered = [m.group().lower() for m in matches]
    last_is_verb = len(lowered) > 2 and _ends_with_verb(lowered)
    for i, match in enumerate(matches):
        after_question_word = i == 1 and lowered[0] in QUESTION_WORDS
        verb = after_question_word or (last_is_verb and i == len(matches) - 1)
        word = spellings.spell(match.group(), language, verb=verb)
        if i == 0:
            word = word[:1].upper() + word[1:]
        out += [question[last : match.start()], word]
        last = match.end()
    return "".join([*out, question[last:]])


_PARTICIPLE = re.compile(r"^(?:\w{0,5}ge\w+(?:t|en)|\w+iert)$")


def _ends_with_verb(words: list[str]) -> bool:
    """Whether a German question's last word is its main verb: after a form of "werden" or a
    modal verb, or a participle after one of "sein" or "haben"."""
    before = words[:-1]
    if any(w in de.AUXILIARIES for w in before):
        return True
    return any(w in de.PERFECT_AUXILIARIES for w in before) and bool(_PARTICIPLE.match(words[-1]))


def _shape(word: str) -> str:
    if word.isupper() and len(word) > 1:
        return "upper"
    return "capitalised" if word[:1].isupper() else "lower"


def _reshape(lower: str, shape: str) -> str:
    if shape == "upper":
        return lower.upper()
    return lower[:1].upper() + lower[1:] if shape == "capitalised" else lower
