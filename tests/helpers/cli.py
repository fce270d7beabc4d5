"""The command line in another process: what an operator's `qa-service ingest` or
`qa-service delete` does to an index a server is reading."""

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.paths import ROOT


def run_cli(index_dir: Path, seeds_dir: Path, *args: str) -> None:
    """``python -m qa_service ARGS`` on ``index_dir``; fails the test unless it succeeds."""
    env = {
        **os.environ,
        "QA_INDEX_DIR": str(index_dir),
        "QA_SEEDS_DIR": str(seeds_dir),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "qa_service", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
