"""Where the repository and its seed articles are."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
EVAL_DATA = ROOT / "tests" / "evaluation" / "data"
