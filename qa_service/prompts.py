"""Prompt templates as files in ``prompts/``, filled with strictly checked variables.

A template is ``string.Template`` text (``$question``). Filling one checks both ways: a
variable the template uses but the caller did not give, and a value the caller gave that
the template never uses, are errors. A renamed variable in a prompt file would otherwise
silently drop the evidence or the question from what the LLM sees.
"""

import functools
from pathlib import Path
from string import Template

from qa_service.answer.language import Language

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"


class PromptError(ValueError):
    """A prompt file is missing, or was filled with the wrong variables."""


@functools.cache
def _template(path: Path) -> Template:
    try:
        template = Template(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PromptError(f"cannot read prompt {path}: {exc}") from None
    if not template.is_valid():
        raise PromptError(f"prompt {path} has a '$' that is neither $name nor $$")
    return template


def prompt_path(name: str, language: Language | None = None, folder: Path | None = None) -> Path:
    """``prompts/NAME.LANG.txt`` when it exists, else ``prompts/NAME.txt``."""
    folder = folder or PROMPTS_DIR
    if language is not None and (folder / f"{name}.{language}.txt").is_file():
        return folder / f"{name}.{language}.txt"
    return folder / f"{name}.txt"


def render(path: Path, **values: str) -> str:
    """The template at ``path`` filled with exactly the variables it uses."""
    template = _template(path)
    wanted = set(template.get_identifiers())
    if missing := wanted - values.keys():
        raise PromptError(f"prompt {path.name} needs {', '.join(sorted(missing))}")
    if unknown := values.keys() - wanted:
        raise PromptError(f"prompt {path.name} has no variable {', '.join(sorted(unknown))}")
    return template.substitute(values)


def render_prompt(
    name: str, language: Language | None = None, folder: Path | None = None, **values: str
) -> str:
    return render(prompt_path(name, language, folder), **values)
