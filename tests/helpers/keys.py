"""API keys made with the real CLI (`qa-service keys create`), for tests that need them."""

import os
import subprocess
import sys
from pathlib import Path


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QA_INDEX_DIR": str(root / "index"), "QA_SEEDS_DIR": str(root / "seeds")}
    return subprocess.run(
        [sys.executable, "-m", "qa_service", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def create_key(root: Path, name: str, scope: str, *origins: str) -> str:
    extra = [arg for origin in origins for arg in ("--origin", origin)]
    result = cli(root, "keys", "create", "--name", name, "--scope", scope, *extra)
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert key.startswith("qa-") and "\n" not in key  # the key alone on stdout
    assert name in result.stderr and key not in result.stderr
    return key
