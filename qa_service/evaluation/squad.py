"""SQuAD v1.1 files as evaluation data: one document per article, questions with gold spans.

An article's paragraphs are joined by blank lines, so the stored text keeps its paragraph
structure and each gold answer remains a substring of it.
"""

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from qa_service.errors import InvalidInput
from qa_service.models import Article

PARAGRAPH_SEPARATOR = "\n\n"
_NOT_ID = re.compile(r"[^A-Za-z0-9._~-]+")


@dataclass(frozen=True, slots=True)
class EvalArticle:
    id: str
    title: str
    text: str

    def as_article(self) -> Article:
        return Article(text=self.text, title=self.title, source="squad")


@dataclass(frozen=True, slots=True)
class EvalQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    document_id: str  # the article the gold answers come from


@dataclass(frozen=True, slots=True)
class EvalSet:
    articles: list[EvalArticle]
    questions: list[EvalQuestion]

    def __add__(self, other: "EvalSet") -> "EvalSet":
        seen = {a.id for a in self.articles}
        return EvalSet(
            [*self.articles, *(a for a in other.articles if a.id not in seen)],
            [*self.questions, *other.questions],
        )

    def asked_as(self, other: "EvalSet") -> "EvalSet":
        """These articles and gold answers, each question asked as ``other``'s question of the
        same id (a translation: English questions over German articles). Questions ``other``
        lacks are left out; none in common is an error."""
        texts = {q.id: q.question for q in other.questions}
        asked = [replace(q, question=texts[q.id]) for q in self.questions if q.id in texts]
        if not asked:
            raise InvalidInput("no question id of the questions file matches the gold file")
        return EvalSet(self.articles, asked)

    def select_articles(self, ids: Iterable[str]) -> "EvalSet":
        """The given articles and only their questions."""
        keep = set(ids)
        return EvalSet(
            [a for a in self.articles if a.id in keep],
            [q for q in self.questions if q.document_id in keep],
        )


def article_id(title: str) -> str:
    """A document id the index accepts, readable and stable for a SQuAD title."""
    slug = _NOT_ID.sub("-", title).strip("-._~")
    return slug[:128] or "article"


def parse_squad(data: dict) -> EvalSet:
    """SQuAD v1.1 JSON (``data[].paragraphs[].qas[]``) -> articles and questions.

    Paragraphs without ``context`` are allowed: such a file holds questions about articles
    that come from another file (matched by title), e.g. a translated question set. Two
    titles that make the same id get distinct ids; an article whose text repeats an earlier
    one is that article (its questions count against the first).
    """
    articles: list[EvalArticle] = []
    questions: list[EvalQuestion] = []
    by_text: dict[str, str] = {}
    where = 'the top level\'s "data" list'  # what is read, for the error message
    try:
        for i, entry in enumerate(data["data"]):
            where = f"data[{i}].title"
            title = str(entry["title"])
            where = f'data[{i}].paragraphs (a list of objects with "context" and "qas")'
            doc_id = _unique(article_id(title), {a.id for a in articles})
            paragraphs = [p["context"] for p in entry["paragraphs"] if p.get("context")]
            if paragraphs:  # a questions-only file (no contexts) adds no article
                text = PARAGRAPH_SEPARATOR.join(_text(p, "context") for p in paragraphs)
                if text in by_text:
                    doc_id = by_text[text]
                else:
                    by_text[text] = doc_id
                    articles.append(EvalArticle(doc_id, title.replace("_", " "), text))
            for j, paragraph in enumerate(entry["paragraphs"]):
                where = f"data[{i}].paragraphs[{j}].qas (a list of questions)"
                for k, qa in enumerate(paragraph["qas"]):
                    where = f"data[{i}].paragraphs[{j}].qas[{k}] (id, question, answers)"
                    answers = tuple(
                        dict.fromkeys(_text(a["text"], "answer") for a in qa.get("answers", []))
                    )
                    question = _text(qa["question"], "question")
                    questions.append(EvalQuestion(str(qa["id"]), question, answers, doc_id))
    except (KeyError, TypeError, AttributeError):
        raise InvalidInput(f"not a SQuAD v1.1 file: {where} is missing or malformed") from None
    return EvalSet(articles, questions)


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"not a SQuAD v1.1 file: a {what} is {type(value).__name__}, not text")
    return value


def _unique(doc_id: str, taken: set[str]) -> str:
    candidate, n = doc_id, 1
    while candidate in taken:
        n += 1
        candidate = f"{doc_id[:120]}-{n}"
    return candidate


def load_squad(path: Path) -> EvalSet:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path}: not valid JSON ({exc})") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not UTF-8 text") from None
    return parse_squad(data)


def spread(items: Sequence, limit: int | None) -> list:
    """At most ``limit`` items taken evenly across the sequence (deterministic, keeps order)."""
    if limit is None or limit >= len(items):
        return list(items)
    if limit <= 0:
        return []
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]
