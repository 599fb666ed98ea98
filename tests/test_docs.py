"""The documentation keeps up with the product."""

import typer.main

from noac.cli import app
from tests.conftest import ROOT


def _commands(group, prefix=""):
    for command in group.commands.values():
        name = f"{prefix}{command.name}"
        if hasattr(command, "commands"):
            yield from _commands(command, f"{name} ")
        else:
            yield name


def test_readme_mentions_every_command():
    readme = (ROOT / "README.md").read_text()
    missing = [c for c in _commands(typer.main.get_command(app)) if f"noac {c}" not in readme]
    assert missing == []


def test_readme_shows_the_test_command_that_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "make test" in (ROOT / "README.md").read_text()
