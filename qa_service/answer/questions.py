"""What a question must be before anything searches for it, and the form it is read in."""

import unicodedata

from qa_service.errors import EmptyQuestion, QuestionTooLong
from qa_service.textcheck import check_text, has_words, nfc
from qa_service.tuning.limits import READING_FORM_EXPANSION

# Letters that are signs for a whole formula, as U+FDFD (the Bismillah, a symbol) is: U+FDFA
# (the blessing "sallallahu alayhi wa-sallam" written after the Prophet's name) and U+FDFB
# ("jalla jalaluhu"). Alone they ask nothing, yet NFKC spells them out as four and two Arabic
# words (reading_form) that dense search finds something close to. The only characters of
# Unicode whose NFKC form is several words (tests/answer/test_questions.py checks).
FORMULA_SIGNS = "\ufdfa\ufdfb"
_NO_FORMULA_SIGNS = str.maketrans(dict.fromkeys(FORMULA_SIGNS, " "))


def check_question(question: str, max_chars: int) -> str:
    """The question in NFC and stripped; refused if it is unusable text, empty, wordless
    (formula signs, ``FORMULA_SIGNS``, are no words) or too long (counted after NFC, as its
    reader counts)."""
    question = nfc(check_text(question, "the question")).strip()
    if not question:
        raise EmptyQuestion("the question is empty")
    if not has_words(question.translate(_NO_FORMULA_SIGNS)):
        raise EmptyQuestion("the question has no words (only punctuation, symbols or spaces)")
    if len(question) > max_chars:
        raise QuestionTooLong(
            f"the question has {len(question):,} characters; the limit is {max_chars:,}"
        )
    return question


# NFKC would turn "km²" into "km2", "10²" into "102", "½" into "1⁄2" and "Microsoft™" into
# "MicrosoftTM": a different word, or a different number. The articles keep these characters
# (their text is only NFC), so the question keeps them too.
_KEPT_COMPATIBILITY = ("<super>", "<sub>", "<fraction>")


def reading_form(question: str, max_chars: int) -> str:
    """The question as the search reads it: Unicode NFKC, except for superscripts,
    subscripts and fractions, and without format characters; cut after
    ``READING_FORM_EXPANSION`` x ``max_chars`` characters (the question's limit, counted in
    NFC), at a space where there is one, so that what is embedded stays bounded.

    Fullwidth letters ("Ｗｅｒ", an East Asian keyboard), mathematical bold or italic ones
    ("𝐖𝐞𝐫", "fancy text" from social media) and ligatures ("ﬁ", copied from a PDF) are
    the plain letters they show; a soft hyphen, a zero-width space or a direction mark
    (category Cf: invisible, copied along with words from web pages) splits no word.
    """
    if not unicodedata.is_normalized("NFKC", question) or _has_format_character(question):
        question = nfc(
            "".join(
                char
                if unicodedata.decomposition(char).startswith(_KEPT_COMPATIBILITY)
                else unicodedata.normalize("NFKC", char)
                for char in question
                if unicodedata.category(char) != "Cf"
            )
        ).strip()
    longest = int(max_chars * READING_FORM_EXPANSION)
    if len(question) > longest:
        cut = question[:longest]
        question = (cut.rsplit(None, 1)[0] if " " in cut.strip() else cut).strip()
    return question


def _has_format_character(text: str) -> bool:
    return any(unicodedata.category(char) == "Cf" for char in text)
