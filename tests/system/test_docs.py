"""The documentation stays true to the code."""

from __future__ import annotations

import re

from plaudit.cli import app
from plaudit.config import Settings
from tests.fixtures.paths import ROOT


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"`PLAUDIT_([A-Z_]+)`", text))
    expected = {name.upper() for name in Settings.model_fields}
    assert expected <= documented, f"undocumented: {sorted(expected - documented)}"


def test_readme_make_targets_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z-]+):", makefile, flags=re.MULTILINE))
    for target in re.findall(r"`?make ([a-z-]+)", readme):
        assert target in targets, f"README names 'make {target}', which the Makefile lacks"


def test_readme_cli_commands_exist() -> None:
    import typer

    readme = (ROOT / "README.md").read_text()
    command = typer.main.get_command(app)
    for line in re.findall(r"`plaudit ([a-z][a-z -]*?)(?: \[|`| --| [A-Z])", readme):
        ctx_command = command
        for word in line.split():
            sub = getattr(ctx_command, "commands", {}).get(word)
            if sub is None:
                break
            ctx_command = sub
        else:
            continue
        assert ctx_command is not command, f"README names 'plaudit {line}', which does not exist"
