"""Documentation stays true: every setting, CLI command and importer is documented."""

from __future__ import annotations

from dataclasses import fields

from conftest import REPO

from importers.registry import importers
from sociale_kaart.cli import main
from sociale_kaart.config import Settings


def test_every_setting_is_documented():
    text = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    for setting in fields(Settings):
        assert f"`{setting.name}`" in text, setting.name


def test_every_cli_command_is_in_the_readme():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert f"sociale-kaart --instance inst {name}" in text or \
            f"inst {name}" in text, name


def test_every_importer_is_documented():
    text = (REPO / "docs" / "importing.md").read_text(encoding="utf-8")
    for name in importers(load_plugins=False):
        assert f"`{name}`" in text, name


def test_readme_quick_start_uses_the_makefile_targets():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    assert "\ndemo:" in makefile and "\ntest:" in makefile
