"""Fixing a search from the dashboard: a beheerder adds a synonym to the local thesaurus.

The line goes to ``thesaurus-lokaal.txt`` in the instance folder (the shipped files in
``data/thesaurus/`` stay untouched, so an upgrade never overwrites local work). Before the file
is changed, the whole thesaurus is loaded *with* the new line, so a malformed or clashing entry
is refused with the thesaurus's own message and nothing is written. After writing, the running
search engine's planner gets the reloaded thesaurus, so the next search already uses it; the
index itself does not change (the thesaurus works at query time).
"""

from __future__ import annotations

import logging
import tempfile
import threading
from pathlib import Path

from flask_babel import lazy_gettext as _l

from ..config import Settings
from ..search.query import thesaurus_key
from ..search.thesaurus import (
    ALGEMEEN,
    DEFAULT_THESAURUS_DIR,
    LOCAL_THESAURUS_FILE,
    Thesaurus,
    ThesaurusError,
    load_section_codes,
    load_thesaurus,
)

log = logging.getLogger(__name__)
_lock = threading.Lock()
HEADER = ("# Lokale aanvullingen op de zoekthesaurus, toegevoegd via /inzicht.\n"
          "# Formaat: zie docs/thesaurus.md.\n")


class SynonymError(ValueError):
    """A synonym that cannot be added; ``field`` names the form field."""

    def __init__(self, field: str, message) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def local_file(settings: Settings) -> Path:
    return settings.instance_path / LOCAL_THESAURUS_FILE


def thesaurus_paths(settings: Settings, extra_file: Path | None = None) -> list[Path]:
    paths = [DEFAULT_THESAURUS_DIR]
    if settings.thesaurus_path:
        paths.append(settings.thesaurus_path)
    local = extra_file or local_file(settings)
    if local.exists():
        paths.append(local)
    return paths


def load_full(settings: Settings, extra_file: Path | None = None) -> Thesaurus:
    return load_thesaurus(thesaurus_paths(settings, extra_file), key=thesaurus_key,
                          sections=load_section_codes())


def entry_line(term: str, targets: str, kind: str) -> str:
    """``term, a, b`` (means the same) or ``term => a, b`` (also search for)."""
    term = " ".join(term.split()).lower()
    words = [" ".join(t.split()).lower() for t in targets.split(",") if t.strip()]
    if not term:
        raise SynonymError("term", _l("Vul het zoekwoord in."))
    if not words:
        raise SynonymError("synonyms", _l("Vul minstens één woord in dat wel iets vindt."))
    if kind == "related":
        return f"{term} => {', '.join(words)}"
    return ", ".join([term] + words)


def add_synonym(settings: Settings, term: str, targets: str, section: str,
                kind: str = "synonym") -> str:
    """Check and append one entry; returns the line written. Raises :class:`SynonymError`."""
    if section not in load_section_codes():
        raise SynonymError("section", _l("Kies een onderwerp uit de lijst."))
    line = entry_line(term, targets, kind)
    path = local_file(settings)
    with _lock:
        current = path.read_text(encoding="utf-8") if path.exists() else HEADER
        if not current.endswith("\n"):
            current += "\n"
        new_text = f"{current}\n[{section}]\n{line}\n"
        with tempfile.TemporaryDirectory() as tmp:
            trial = Path(tmp) / LOCAL_THESAURUS_FILE
            trial.write_text(new_text, encoding="utf-8")
            try:
                load_full(settings, trial)
            except ThesaurusError as error:
                raise SynonymError("synonyms", _l("Dit kan niet in de thesaurus: %(reason)s",
                                                  reason=error.reason)) from error
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp_path = path.with_suffix(".tmp")
        tmp_path.write_text(new_text, encoding="utf-8")
        tmp_path.replace(path)
    return line


def planners(search) -> list:
    """The query planners of a running search service (the engine's, and any other)."""
    found = []
    for owner in (search, getattr(search, "engine", None)):
        planner = getattr(owner, "planner", None)
        if planner is not None and hasattr(planner, "thesaurus") and planner not in found:
            found.append(planner)
    return found


def apply_local_thesaurus(settings: Settings, search) -> bool:
    """Give the running planner(s) the thesaurus with the local file; False on failure (the
    search then keeps its current thesaurus)."""
    try:
        thesaurus = load_full(settings)
    except ThesaurusError:
        log.exception("the local thesaurus %s could not be loaded", local_file(settings))
        return False
    for planner in planners(search):
        planner.thesaurus = thesaurus
    return True


__all__ = ["ALGEMEEN", "SynonymError", "add_synonym", "apply_local_thesaurus", "local_file"]
