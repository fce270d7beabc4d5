"""The everyday-news check set: short German news articles, single questions and follow-ups.

``tests/evaluation/data/news-check.json`` (written for this project) holds articles split in
two halves ("dev": looked at while tuning, "held": held out), questions with the expected
answer span (or null: the article does not say it, the right reply is to abstain) and chats
(follow-up questions asked in one conversation). A question is right when its top citation
holds the expected span, or when it abstains and has none.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qa_service.answer.extractive import Answer
from qa_service.chat.service import ChatService
from qa_service.evaluation.metrics import contains_answer
from qa_service.evaluation.squad import EvalArticle
from qa_service.service import QAService

HALVES = ("dev", "held")


@dataclass(frozen=True, slots=True)
class Asked:
    id: str
    article: str
    question: str
    answer: str | None  # the expected span; None: unanswerable
    kind: str  # the failure kind the question probes ("role", "duration", "chat", ...)


@dataclass(frozen=True, slots=True)
class NewsCheck:
    articles: list[EvalArticle]
    halves: dict[str, str]  # article id -> "dev" or "held"
    questions: list[Asked]
    chats: list[list[Asked]]  # each conversation's turns in order

    def half(self, name: str) -> "NewsCheck":
        keep = {a for a, h in self.halves.items() if h == name}
        return NewsCheck(
            self.articles,
            self.halves,
            [q for q in self.questions if q.article in keep],
            [c for c in self.chats if c[0].article in keep],
        )


def load_news_check(path: Path) -> NewsCheck:
    data = json.loads(path.read_text(encoding="utf-8"))
    articles = [EvalArticle(a["id"], a["title"], a["text"]) for a in data["articles"]]
    questions = [
        Asked(q["id"], q["article"], q["question"], q["answer"], q["kind"])
        for q in data["questions"]
    ]
    chats = [
        [
            Asked(f"{c['id']}-{n}", c["article"], t["question"], t["answer"], "chat")
            for n, t in enumerate(c["turns"], start=1)
        ]
        for c in data["chats"]
    ]
    return NewsCheck(articles, {a["id"]: a["half"] for a in data["articles"]}, questions, chats)


@dataclass(frozen=True, slots=True)
class Result:
    asked: Asked
    answer: Answer

    @property
    def right(self) -> bool:
        if self.asked.answer is None:
            return self.answer.abstained
        quotes = [c.quote for c in self.answer.citations]
        return not self.answer.abstained and contains_answer(quotes[0], [self.asked.answer])

    @property
    def top_quote(self) -> str:
        return "" if self.answer.abstained else self.answer.citations[0].quote


def ask_check(service: QAService, check: NewsCheck, top_k: int = 4) -> list[Result]:
    """Every single question, then every chat turn in its own conversation."""
    results = [Result(q, service.answer(q.question, top_k).answer) for q in check.questions]
    chat = ChatService(service)
    for turns in check.chats:
        conversation: str | None = None
        for turn in turns:
            reply = chat.chat(turn.question, conversation, top_k)
            conversation = reply.conversation_id
            results.append(Result(turn, reply.answer))
    return results


@dataclass(frozen=True, slots=True)
class Score:
    questions: int
    right: float  # every question and chat turn
    answerable_top: float  # answerable single questions: top citation holds the span
    unanswerable_abstained: float  # unanswerable single questions abstained
    chat_turns: float  # chat turns right
    answerable_abstained: float  # answerable single questions wrongly abstained


def score(results: Sequence[Result]) -> Score:
    def share(rs: Sequence[Result], flag: str = "right") -> float:
        return sum(bool(getattr(r, flag)) for r in rs) / len(rs) if rs else 0.0

    single = [r for r in results if r.asked.kind != "chat"]
    answerable = [r for r in single if r.asked.answer is not None]
    unanswerable = [r for r in single if r.asked.answer is None]
    chats = [r for r in results if r.asked.kind == "chat"]
    return Score(
        questions=len(results),
        right=share(results),
        answerable_top=share(answerable),
        unanswerable_abstained=share(unanswerable),
        chat_turns=share(chats),
        answerable_abstained=(
            sum(r.answer.abstained for r in answerable) / len(answerable) if answerable else 0.0
        ),
    )
