"""Runs the node scripts in tests/browser (puppeteer-core driving Debian's chromium).

`make setup-dev` installs what they need on a fresh machine: chromium (apt) and
node_modules (`npm ci` from package-lock.json). A missing piece fails the test with the
command that fixes it; the browser tests are never skipped.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

BROWSER_DIR = Path(__file__).resolve().parents[1] / "browser"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def run_node(
    script: str, *args: str, timeout: float = 300, env: dict[str, str] | None = None
) -> str:
    """``node SCRIPT ARGS`` in tests/browser; its stdout, or a failure with its stderr."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: `make setup-dev` installs it (apt nodejs npm)")
    if not (BROWSER_DIR / "node_modules" / "puppeteer-core").is_dir():
        pytest.fail("puppeteer-core is missing: run `make setup-dev` (npm ci in tests/browser)")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no chromium at {CHROMIUM}: `make setup-dev` installs it (apt chromium)")
    proc = subprocess.run(
        [node, script, *args],
        cwd=BROWSER_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "CHROMIUM": CHROMIUM, **(env or {})},
    )
    if proc.returncode != 0:
        raise AssertionError(f"node {script} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc.stdout


def run_scenario(
    name: str, url: str, out_dir: Path, question: str = "", env: dict[str, str] | None = None
) -> dict[str, Any]:
    """One scenario of page.mjs; its screenshots and JSON land in ``out_dir``."""
    return json.loads(run_node("page.mjs", name, url, str(out_dir), question, env=env))
