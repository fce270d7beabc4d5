"""The answer text: the cited statements themselves, in article order, each marked [n]."""

import re

from qa_service.answer.citations import Citation


def compose_answer(cited: list[tuple[Citation, str]], margin: float) -> str:
    """The best citation's statement, plus those of near-tied citations from the same article.

    Another citation joins only when it scores within ``margin`` of the best and comes from
    the same article: near-ties across articles are common for English questions (no shared
    words with German text) and would read as a list of guesses. Each citation contributes its
    chosen sentences, not the context shown around it, so every word is in a cited span. A
    citation without a statement (one that only frames the answer: a headline, the lead the
    best sentence was read with; ``citations.framing``) is not said.
    """
    best = cited[0][0]
    joined = [
        (citation, statement)
        for i, (citation, statement) in enumerate(cited)
        if citation.document_id == best.document_id
        and citation.score >= best.score - margin
        and (statement or i == 0)
    ]
    joined.sort(key=lambda pair: pair[0].start)  # read in article order
    return " ".join(f"{statement_text(statement)} [{c.id}]" for c, statement in joined)


_FOOTNOTE = re.compile(
    r"(?<=\S)\[\d{1,4}\]"
    r"|(?:(?<=[^\W\d_]{3})|(?<=[.,;:!?…\"“”»«’)\]]))[¹²³⁴⁵⁶⁷⁸⁹⁰]+"
)
"""An article's own footnote marker, directly after a word or punctuation ("... nach 1.200
Tagen[2].", "beschlossen.¹"). In the answer text it would read as one of our citation
markers, and a client would link it to the wrong citation (or to none); the citation's quote
keeps it, being the exact span. A marker after a space is prose ("siehe [2]") and stays; so
does a superscript after a number or a short unit ("10²", "12 km²", "mc²"): an exponent."""


MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]")
"""A citation marker, ``[n]`` or ``[n, m]``: the only shape ``answer`` uses for them."""


def neutralise_markers(text: str) -> str:
    """Article text that would read as a citation marker ("Lindau [2] nennt ...") with round
    brackets instead ("Lindau (2) nennt ..."): in ``answer`` every ``[n]`` is one of ours, so
    clients, the streaming split and the verifier can trust it. Quotes keep the exact text."""
    return MARKER.sub(lambda m: f"({m.group(1)})", text)


def statement_text(text: str) -> str:
    """A cited statement as the answer text reads it: without the article's footnote markers,
    its cross-references ("siehe [2]") in round brackets, line breaks and runs of spaces as
    one space."""
    return neutralise_markers(re.sub(r"\s+", " ", _FOOTNOTE.sub("", text)).strip())
