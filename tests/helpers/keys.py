"""API keys made with the real CLI (`qa-service keys create`), for tests that need them."""

import os
import subprocess
from pathlib import Path

import httpx

from tests.helpers.engines import run_cli


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QA_INDEX_DIR": str(root / "index"), "QA_SEEDS_DIR": str(root / "seeds")}
    return run_cli(env, *args)


def create_key(root: Path, name: str, scope: str, *origins: str) -> str:
    extra = [arg for origin in origins for arg in ("--origin", origin)]
    result = cli(root, "keys", "create", "--name", name, "--scope", scope, *extra)
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert key.startswith("qa-") and "\n" not in key  # the key alone on stdout
    assert name in result.stderr and key not in result.stderr
    return key


def guess_keys(url: str, count: int, prefix: str) -> list[httpx.Response]:
    """``count`` requests, each with another made-up key, from this one client address."""
    made_up = (f"Bearer {prefix}{i:05d}-not-a-key" for i in range(count))
    return [httpx.get(f"{url}/v1/documents", headers={"authorization": k}) for k in made_up]
