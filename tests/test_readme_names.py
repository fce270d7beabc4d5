"""Every setting, command, option and make target the README names exists: a newcomer who
copies one from it gets what it says, not "No such option" (fix20: checked by hand once,
kept checked here)."""

import re
from collections.abc import Iterator
from typing import Any

import typer

from qa_service.cli import app
from qa_service.config import Settings
from tests.helpers.paths import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCED = re.compile(r"^```[a-z]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
# "qa-service keys create ops --role admin", up to the end of the line or of inline code.
COMMAND_LINE = re.compile(r"qa-service((?: [a-z][a-z-]*)+)([^\n`|]*)")
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z-]*")


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for name, command in group.commands.items():  # a group's (Typer's own click)
        yield (*path, name), command
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))


COMMANDS = dict(_commands(typer.main.get_command(app)))


def _options(command: Any) -> set[str]:
    options = {"--help"}
    for param in command.params:
        options.update(param.opts, getattr(param, "secondary_opts", []))
    for sub in getattr(command, "commands", {}).values():
        options |= _options(sub)
    return options


def test_every_setting_named_is_one_and_every_setting_is_named() -> None:
    named = set(re.findall(r"\bQA_[A-Z0-9_]+\b", README))
    settings = {f"QA_{field.upper()}" for field in Settings.model_fields}
    assert named - settings == set(), "README names settings that do not exist"
    assert settings - named == set(), "settings the README does not document"


def test_every_command_and_option_named_exists() -> None:
    wrong = []
    for match in COMMAND_LINE.finditer(README):
        words = tuple(match.group(1).split())
        # the longest prefix that is a command: "keys create ops" -> ("keys", "create")
        path = next((words[:n] for n in range(len(words), 0, -1) if words[:n] in COMMANDS), ())
        if not path:
            wrong.append(f"qa-service {words[0]}: no such command")
            continue
        rest = " ".join(words[len(path) :]) + match.group(2)
        for option in OPTION.findall(rest):
            if option not in _options(COMMANDS[path]):
                wrong.append(f"qa-service {' '.join(path)} {option}: no such option")
    assert wrong == []
    assert len(COMMANDS) >= 10  # the walk found the commands at all


def test_every_make_target_named_exists() -> None:
    targets = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.M))
    named = {
        target
        for block in FENCED.findall(README)
        for target in re.findall(r"^\s*make ([a-z][a-z-]*)", block, re.MULTILINE)
    }
    assert {"run", "test"} <= named
    assert named - targets == set()
