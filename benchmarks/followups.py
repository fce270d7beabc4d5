"""Follow-up questions in a conversation: the seed articles, then with unrelated articles added.

    .venv/bin/python -m benchmarks.followups [--bonus 0 0.04 0.08 0.12]

Ten two-turn conversations over the seed articles ("Wer wurde zum Chef der Drohnentruppen
ernannt?" then "Wann war das?" ...), each follow-up judged by whether its first citation
(or any citation) holds the expected words, for each topic bonus (the preference for the
conversation's article; ``TOPIC_BONUS`` in qa_service/tuning/answer.py). Then the same with
five short unrelated articles added, full of the dates and numbers a follow-up like "Wann
war das?" asks for. In-process (the chat service over a temporary index), real model:
quality, not speed.
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


def measure(
    distractors: bool, bonuses: list[float], conversations: list[tuple[str, str, str]]
) -> list[dict[str, object]]:
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
            for bonus in bonuses:
                config = service.answerer.config
                service.answerer.config = dataclasses.replace(config, topic_bonus=bonus)
                top = cited = 0
                misses = []
                for first, follow_up, expected in conversations:
                    earlier = chat.chat(first)
                    answer = chat.chat(follow_up, earlier.conversation_id).answer
                    quotes = [c.quote for c in answer.citations]
                    top += bool(quotes) and expected in quotes[0]
                    cited += any(expected in q for q in quotes)
                    if not quotes or expected not in quotes[0]:
                        where = answer.citations[0].document_id if quotes else "abstained"
                        misses.append(f'"{follow_up}" -> {where}')
                rows.append(
                    {
                        "corpus": "seeds + 5 unrelated" if distractors else "seeds",
                        "method": "folding",
                        "topic bonus": bonus,
                        "right first": f"{top}/{len(conversations)}",
                        "right cited": f"{cited}/{len(conversations)}",
                        "first citation misses": "; ".join(misses) or "-",
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
        "--condense",
        action="store_true",
        help="also condense each follow-up with an LLM (prompts/condense.txt) and ask it alone",
    )
    parser.add_argument("--llm-url", help="OpenAI-compatible /v1 URL (default: local Gemma 270M)")
    parser.add_argument("--llm-model", default=None)
    args = parser.parse_args(argv)
    conversations = CONVERSATIONS[: args.conversations]
    rows = measure(False, args.bonus, conversations) + measure(True, args.bonus, conversations)
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
