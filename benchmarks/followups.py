"""Follow-up questions in a conversation: the seed articles, then with unrelated articles added.

    .venv/bin/python -m benchmarks.followups [--bonus 0 0.04 0.08 0.12] [--sets german ...]

Ten two-turn conversations over the seed articles ("Wer wurde zum Chef der Drohnentruppen
ernannt?" then "Wann war das?" ...), each follow-up judged by whether its first citation
(or any citation) holds the expected words, for each topic bonus (the preference for the
conversation's article; ``TOPIC_BONUS`` in qa_service/tuning/answer.py). Then, at the
default bonus, the same ten in English (over the German articles), and long conversations:
the topic set once, five follow-ups that name nothing ("Warum?", "Wann war das?"), then the
judged one. All of it also with five short unrelated articles added, full of the dates and
numbers a follow-up like "Wann war das?" asks for. In-process (the chat service over a
temporary index), real model: quality, not speed.
"""

import argparse
import dataclasses
import shutil
import tempfile
from contextlib import nullcontext
from pathlib import Path

from benchmarks.common import ROOT, report
from qa_service.chat.service import ChatService
from qa_service.config import Settings
from qa_service.models import Article
from qa_service.service import build_service
from qa_service.tuning.answer import TOPIC_BONUS

DRONES = "Wer wurde zum Chef der Drohnentruppen ernannt?"
# (first question, follow-up, words the follow-up's answer must cite)
CONVERSATIONS = [
    (DRONES, "Und wer wurde Chef der Fallschirmjägertruppen?", "Oleh Apostol"),
    (DRONES, "Wann war das?", "Robert Browdi"),
    (DRONES, "Wer hat ihn ernannt?", "Selenskyj"),
    ("Um wie viel Prozent sollen die Fähigkeiten der NATO erhöht werden?", "Wozu?", "Abschreckung"),
    ("Wie viele nordkoreanische Soldaten kämpfen in Kursk?", "Wie viele sind es?", "10.000"),
    ("Wo ist Schoigu zu Besuch?", "Wann war er zuletzt dort?", "im März"),
    ("Wer ist IAEA-Chef?", "Wovor warnt er?", "atomaren Unfällen"),
    ("Mit wem hat Schoigu über den Ukraine-Konflikt gesprochen?", "Wann war das?", "am Mittwoch"),
    ("Welche Aufnahmen hat der SBU veröffentlicht?", "Was zeigen sie?", "Angriffe auf Flugplätze"),
    ("Wo fand das Treffen der Verteidigungsminister statt?", "Wer leitete es?", "Healey"),
]

# The same in English, over the German articles (the expected words are German).
ENGLISH_DRONES = "Who was appointed head of the drone forces?"
ENGLISH = [
    (ENGLISH_DRONES, "And who became head of the paratroopers?", "Oleh Apostol"),
    (ENGLISH_DRONES, "When was that?", "Robert Browdi"),
    (ENGLISH_DRONES, "Who appointed him?", "Selenskyj"),
    ("By what percentage should NATO's capabilities be increased?", "What for?", "Abschreckung"),
    ("How many North Korean soldiers are fighting in Kursk?", "How many are there?", "10.000"),
    ("Where is Shoigu visiting?", "When was he last there?", "im März"),
    ("Who is the head of the IAEA?", "What does he warn about?", "atomaren Unfällen"),
    ("Who did Shoigu talk to about the Ukraine conflict?", "When was that?", "am Mittwoch"),
    ("What footage did the SBU release?", "What does it show?", "Angriffe auf Flugplätze"),
    ("Where did the defence ministers meet?", "Who chaired it?", "Healey"),
]
# Five follow-ups that name nothing of their own, put between a conversation's topic and
# its judged follow-up: the topic must outlast them (it used to drop out after four).
FILLERS = {
    "de": ("Warum?", "Wann war das?", "Was hat er gesagt?", "Und dann?", "Wer noch?"),
    "en": ("Why?", "When was that?", "What did he say?", "And then?", "Who else?"),
}

# Short articles on other topics, each with a date or number and a pronoun-led sentence.
DISTRACTORS = {
    "bruecke": "Die Brücke in Flusstal ist 450 Meter lang. Sie wurde 1962 eröffnet. "
    "Täglich fahren 20.000 Autos darüber.",
    "bahnhof": "Der neue Bahnhof in Neustadt wurde am 3. Mai eröffnet. Er kostete 80 Millionen "
    "Euro. Bürgermeister Klaus Berg sprach von einem historischen Tag.",
    "hochwasser": "Das Hochwasser im Juli traf vor allem die Altstadt. Rund 300 Menschen mussten "
    "ihre Häuser verlassen. Die Feuerwehr war mit 120 Kräften im Einsatz.",
    "fussball": "Der FC Seehausen gewann am Samstag mit 3:1. Trainerin Maria Lenz lobte die "
    "Mannschaft. Es war der fünfte Sieg in Folge.",
    "techwerk": "Die Firma Techwerk stellte 2024 insgesamt 450 neue Mitarbeiter ein. Sie plant "
    "ein zweites Werk in Polen. Der Bau soll im Herbst beginnen.",
}


Conversation = tuple[tuple[str, ...], str]
"""The user's messages (the last one judged) and the words its first citation must hold."""


def two_turns(conversations: list[tuple[str, str, str]]) -> list[Conversation]:
    return [((first, follow_up), expected) for first, follow_up, expected in conversations]


def long_ones(conversations: list[tuple[str, str, str]], language: str) -> list[Conversation]:
    """Each conversation with the fillers between its topic and its follow-up."""
    fillers = FILLERS[language]
    return [((first, *fillers, follow_up), exp) for first, follow_up, exp in conversations]


Set = tuple[str, list[float], list[Conversation]]
"""A name, the topic bonuses to ask at, the conversations."""


def ask_conversations(chat: ChatService, conversations: list[Conversation]) -> dict[str, str]:
    """Each conversation asked turn by turn; its last answer judged."""
    top = cited = 0
    misses = []
    for messages, expected in conversations:
        conversation_id = None
        for message in messages:
            said = chat.chat(message, conversation_id)
            conversation_id = said.conversation_id
        quotes = [c.quote for c in said.answer.citations]
        top += bool(quotes) and expected in quotes[0]
        cited += any(expected in q for q in quotes)
        if not quotes or expected not in quotes[0]:
            where = said.answer.citations[0].document_id if quotes else "abstained"
            misses.append(f'"{messages[-1]}" -> {where}')
    return {
        "right first": f"{top}/{len(conversations)}",
        "right cited": f"{cited}/{len(conversations)}",
        "first citation misses": "; ".join(misses) or "-",
    }


def measure(distractors: bool, sets: list[Set]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="qa-followups-") as tmp:
        root = Path(tmp)
        shutil.copytree(ROOT / "seeds", root / "seeds")
        service = build_service(Settings(index_dir=root / "index", seeds_dir=root / "seeds"))
        chat = ChatService(service)
        try:
            service.ingest_seeds_if_empty()
            for doc_id, text in DISTRACTORS.items() if distractors else ():
                service.add_document(Article(text=text), doc_id)
            config = service.answerer.config
            for name, bonuses, conversations in sets:
                for bonus in bonuses:
                    service.answerer.config = dataclasses.replace(config, topic_bonus=bonus)
                    rows.append(
                        {
                            "corpus": "seeds + 5 unrelated" if distractors else "seeds",
                            "conversations": name,
                            "method": "folding",
                            "topic bonus": bonus,
                            **ask_conversations(chat, conversations),
                        }
                    )
        finally:
            service.close()
    return rows


def measure_condensed(
    distractors: bool, conversations: list[tuple[str, str, str]], url: str, model: str
) -> list[dict[str, object]]:
    """The follow-up rewritten by the LLM with prompts/condense.txt, then asked alone."""
    from qa_service.chat.rewriting import condense_prompt
    from qa_service.llm import LLMClient, LLMError

    llm = LLMClient(url, model, timeout=120.0, max_tokens=48)
    with tempfile.TemporaryDirectory(prefix="qa-followups-") as tmp:
        root = Path(tmp)
        shutil.copytree(ROOT / "seeds", root / "seeds")
        service = build_service(Settings(index_dir=root / "index", seeds_dir=root / "seeds"))
        try:
            service.ingest_seeds_if_empty()
            for doc_id, text in DISTRACTORS.items() if distractors else ():
                service.add_document(Article(text=text), doc_id)
            top = cited = 0
            rewrites = []
            for first, follow_up, expected in conversations:
                prompt = condense_prompt(f"- {first}", follow_up)
                try:
                    condensed = "".join(llm.stream_chat(None, prompt)).strip().splitlines()[0]
                except (LLMError, IndexError):
                    condensed = follow_up
                answer = service.answerer.ask(condensed.strip() or follow_up)
                quotes = [c.quote for c in answer.citations]
                top += bool(quotes) and expected in quotes[0]
                cited += any(expected in q for q in quotes)
                rewrites.append(f'"{follow_up}" -> "{condensed[:60]}"')
            return [
                {
                    "corpus": "seeds + 5 unrelated" if distractors else "seeds",
                    "method": f"LLM condense ({model})",
                    "topic bonus": "-",
                    "right first": f"{top}/{len(conversations)}",
                    "right cited": f"{cited}/{len(conversations)}",
                    "first citation misses": "rewrites: " + "; ".join(rewrites),
                }
            ]
        finally:
            service.close()


def main(argv: list[str] | None = None) -> list[dict[str, object]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bonus", type=float, nargs="+", default=[0.0, 0.04, 0.08, 0.12])
    parser.add_argument("--conversations", type=int, default=len(CONVERSATIONS))
    parser.add_argument(
        "--sets",
        nargs="+",
        choices=["german", "english", "long"],
        default=["german", "english", "long"],
        help="german: two turns at every --bonus; english, long: at the default bonus",
    )
    parser.add_argument(
        "--condense",
        action="store_true",
        help="also condense each follow-up with an LLM (prompts/condense.txt) and ask it alone",
    )
    parser.add_argument("--llm-url", help="OpenAI-compatible /v1 URL (default: local Gemma 270M)")
    parser.add_argument("--llm-model", default=None)
    args = parser.parse_args(argv)
    conversations = CONVERSATIONS[: args.conversations]
    english = ENGLISH[: args.conversations]
    sets: list[Set] = []
    if "german" in args.sets:
        sets.append(("German, 2 turns", args.bonus, two_turns(conversations)))
    if "english" in args.sets:
        sets.append(("English, 2 turns", [TOPIC_BONUS], two_turns(english)))
    if "long" in args.sets:
        sets.append(("German, 7 turns", [TOPIC_BONUS], long_ones(conversations, "de")))
        sets.append(("English, 7 turns", [TOPIC_BONUS], long_ones(english, "en")))
    rows = measure(False, sets) + measure(True, sets)
    if args.condense:
        from benchmarks.generative import local_gemma

        own = nullcontext((args.llm_url, args.llm_model)) if args.llm_url else local_gemma()
        with own as (url, model):
            for distractors in (False, True):
                rows += measure_condensed(distractors, conversations, url, model)
    report(
        "Follow-up questions: first citation holds the answer",
        rows,
        [f"default topic bonus: {TOPIC_BONUS} (qa_service/tuning/answer.py)"],
    )
    return rows


if __name__ == "__main__":
    main()
