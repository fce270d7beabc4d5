"""What a question must be before anything searches for it."""

import sys
import unicodedata

import pytest

from qa_service.answer.questions import FORMULA_SIGNS, check_question, reading_form
from qa_service.errors import EmptyQuestion, InvalidText, QuestionTooLong


def test_a_question_is_stripped() -> None:
    assert check_question("  Wer leitet die Bibliothek?\n", 100) == "Wer leitet die Bibliothek?"


@pytest.mark.parametrize("question", ["", "   ", "?", "😀 !!", "___"])
def test_empty_or_wordless_questions_are_refused(question: str) -> None:
    with pytest.raises(EmptyQuestion):
        check_question(question, 100)


def test_any_script_counts_as_words() -> None:
    assert check_question("Кто?", 100) == "Кто?"
    assert check_question("42", 100) == "42"
    assert check_question("ما هو الناتو؟", 100) == "ما هو الناتو؟"


def test_a_formula_sign_is_no_word() -> None:
    # HUNT10 L3: U+FDFA alone was searched (NFKC: "صلى الله عليه وسلم") and answered.
    for question in ("\ufdfa", "\ufdfb", "\ufdfa \ufdfb!", "\ufdfa\ufdfd"):
        with pytest.raises(EmptyQuestion, match="no words"):
            check_question(question, 100)
    assert check_question("Wer war Mohammed \ufdfa?", 100) == "Wer war Mohammed \ufdfa?"
    # The only characters NFKC spells out as several words: the list is complete.
    phrases = {
        chr(c)
        for c in range(sys.maxunicode + 1)
        if len(unicodedata.normalize("NFKC", chr(c)).split()) > 1
    }
    assert phrases == set(FORMULA_SIGNS)


def test_too_long_and_unusable_text_are_refused() -> None:
    with pytest.raises(QuestionTooLong, match="11 characters; the limit is 10"):
        check_question("x" * 11, 10)
    with pytest.raises(InvalidText, match="NUL"):
        check_question("Wer\x00?", 100)


def test_the_limit_counts_characters_after_nfc() -> None:
    # Found by a black-box bug hunt: the limit counted the code points of a decomposed (NFD)
    # question, so "Ärger" typed as A + combining diaeresis cost two characters.
    composed = ("Ärger über Zölle " * 10)[:99] + "?"
    decomposed = unicodedata.normalize("NFD", composed)
    assert len(composed) == 100 < len(decomposed)
    assert check_question(decomposed, 100) == composed  # searched and stored in NFC
    with pytest.raises(QuestionTooLong, match="101 characters"):
        check_question(decomposed + "x", 100)
    # The reverse: U+0958 (Devanagari qa) is one code point that NFC writes as two.
    with pytest.raises(QuestionTooLong):
        check_question("\u0958" * 51, 100)


@pytest.mark.parametrize(
    "typed",
    [
        "Wer leitete das Tref\u00adfen in Brüssel?",  # a soft hyphen
        "Wer leitete das Treffen\u200b in Brüssel?",  # a zero-width space
        "\u200eWer leitete das Treffen in Brüssel?\ufeff",  # a direction mark, a BOM
        "Ｗｅｒ ｌｅｉｔｅｔｅ ｄａｓ Ｔｒｅｆｆｅｎ ｉｎ Ｂｒüｓｓｅｌ？",  # fullwidth
        "𝐖𝐞𝐫 𝐥𝐞𝐢𝐭𝐞𝐭𝐞 𝐝𝐚𝐬 𝐓𝐫𝐞𝐟𝐟𝐞𝐧 𝐢𝐧 𝐁𝐫ü𝐬𝐬𝐞𝐥?",  # mathematical bold
        "Wer leitete das Treffen in Brüssel?",
    ],
)
def test_questions_are_read_in_nfkc_without_format_characters(typed: str) -> None:
    assert reading_form(check_question(typed, 100), 100) == "Wer leitete das Treffen in Brüssel?"


def test_superscripts_and_fractions_keep_their_meaning() -> None:
    # NFKC would read "10²" as "102" and "km²" as "km2", words no article holds.
    question = "Wie groß ist die Fläche in km², 10² oder ½ Microsoft™?"
    assert reading_form(question, 100) == question
    assert reading_form("Ｆｌäｃｈｅ in km²?", 100) == "Fläche in km²?"


def test_the_reading_form_is_cut_where_nfkc_expands_past_the_limit() -> None:
    # Found by a black-box bug hunt: U+FDFA is 18 characters in NFKC; 1,990 of them (accepted,
    # 1,990 in NFC) were embedded as 35,820 characters, 8 s of CPU for one answer.
    # (U+FDFA alone is no question any more, test_a_formula_sign_is_no_word: a word first.)
    question = check_question("Was " + "\ufdfa" * 1986, 2000)
    read = reading_form(question, 2000)
    assert len(question) == 1990 and 0 < len(read) <= 2500
    assert read == read.strip() and read.startswith("Was صلى الله عليه وسلم")
