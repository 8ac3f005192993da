"""The Whoosh index on disk: incremental updates, and a rebuild aside with an atomic swap.

``<instance>/index`` is a symbolic link to ``index-<generation>/``. A rebuild writes a complete
new generation beside the live one and then replaces the link in one ``rename`` (atomic on
POSIX), so searches keep working during a rebuild and a failed rebuild harms nothing (Moin's
``index-build --tmp`` + ``index-move``). Incremental updates take Whoosh's writer lock, so
several web processes can search while one process writes; readers reopen when the index (or
the link) changed.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import LockError

from .compounds import load_default_splitter
from .schema import SCHEMA_VERSION, make_schema

log = logging.getLogger(__name__)
WRITER_TIMEOUT_S = 30.0
VOCABULARY_FILE = "vocabulary.txt"


class IndexError_(RuntimeError):
    """The index cannot be opened or written (e.g. the folder is not writable)."""


def _spell_text(document: dict) -> str:
    return " ".join(document.get(name, "") for name in
                    ("name", "categories_text", "organization", "description"))


class IndexStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._index = None
        self._target: Path | None = None

    # -- locations on disk -----------------------------------------------------------------
    def _live_target(self) -> Path | None:
        if self.path.is_symlink():
            return (self.path.parent / os.readlink(self.path)).resolve()
        if self.path.is_dir():
            return self.path  # a plain folder (older layout or a copy): still usable
        return None

    def exists(self) -> bool:
        target = self._live_target()
        return target is not None and whoosh_index.exists_in(str(target))

    def _new_generation_dir(self) -> Path:
        stamp = time.strftime("%Y%m%d%H%M%S")
        for n in range(1000):
            candidate = self.path.parent / f"{self.path.name}-{stamp}-{os.getpid()}-{n}"
            if not candidate.exists():
                candidate.mkdir(parents=True)
                return candidate
        raise IndexError_("could not make a new index folder")

    def _point_link_at(self, target: Path) -> None:
        tmp_link = self.path.parent / f".{self.path.name}.link-{os.getpid()}"
        if tmp_link.is_symlink() or tmp_link.exists():
            tmp_link.unlink()
        os.symlink(target.name, tmp_link)
        if self.path.exists() and not self.path.is_symlink():
            shutil.rmtree(self.path)  # replace a plain folder by the link layout
        os.replace(tmp_link, self.path)

    # -- opening ---------------------------------------------------------------------------
    def create_empty(self) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            target = self._new_generation_dir()
            whoosh_index.create_in(str(target), make_schema())
            (target / "SCHEMA_VERSION").write_text(str(SCHEMA_VERSION))
            old = self._live_target()
            self._point_link_at(target)
            if old is not None and old != target and old.exists():
                shutil.rmtree(old, ignore_errors=True)
            self._index = None

    def open(self):
        """The live index, reopened when a rebuild swapped in a new generation."""
        with self._lock:
            target = self._live_target()
            if target is None or not whoosh_index.exists_in(str(target)):
                self.create_empty()
                target = self._live_target()
            if self._index is None or target != self._target:
                self._index = whoosh_index.open_dir(str(target))
                self._target = target
            return self._index

    def needs_rebuild(self) -> bool:
        target = self._live_target()
        if target is None:
            return True
        version_file = target / "SCHEMA_VERSION"
        return not version_file.exists() or version_file.read_text().strip() != str(SCHEMA_VERSION)

    # -- writing ---------------------------------------------------------------------------
    def update(self, documents: Iterable[tuple[str, dict | None]]) -> int:
        """Add, replace or delete documents (``None`` deletes); returns how many were written."""
        items = list(documents)
        if not items:
            return 0
        index = self.open()
        try:
            writer = index.writer(timeout=WRITER_TIMEOUT_S)
        except LockError as error:
            raise IndexError_(f"the search index is locked by another process: {error}") from error
        except OSError as error:
            raise IndexError_(f"cannot write the search index in {self.path}: {error}") from error
        try:
            for service_id, document in items:
                if document is None:
                    writer.delete_by_term("id", service_id)
                else:
                    writer.update_document(spell=_spell_text(document), **document)
            # Merging small segments keeps their number (and the cost of reopening) low.
            writer.commit(merge=True)
        except BaseException:
            writer.cancel()
            raise
        return len(items)

    def vocabulary(self) -> list[str]:
        """The listing vocabulary saved with the live index (see ``rebuild``)."""
        target = self._live_target()
        path = target / VOCABULARY_FILE if target else None
        if path is None or not path.exists():
            return []
        return path.read_text(encoding="utf-8").split()

    def rebuild(self, documents: Iterable[tuple[str, dict | None]],
                vocabulary: Iterable[str] = ()) -> int:
        """Build a complete new index beside the live one, then swap it in atomically.

        ``vocabulary`` (words of the listings) is saved with the index, so every process that
        opens this index splits compounds with the same words as the build did.
        """
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            target = self._new_generation_dir()
            count = 0
            try:
                words = sorted(set(vocabulary))
                (target / VOCABULARY_FILE).write_text("\n".join(words), encoding="utf-8")
                load_default_splitter().add_words(words)
                index = whoosh_index.create_in(str(target), make_schema())
                writer = index.writer(limitmb=256, procs=1)
                for _service_id, document in documents:
                    if document is not None:
                        writer.add_document(spell=_spell_text(document), **document)
                        count += 1
                writer.commit(optimize=True)
                (target / "SCHEMA_VERSION").write_text(str(SCHEMA_VERSION))
            except BaseException:
                shutil.rmtree(target, ignore_errors=True)
                raise
            old = self._live_target()
            self._point_link_at(target)
            self._index = None
            if old is not None and old != target:
                # Processes that still have the old generation open keep their file handles.
                shutil.rmtree(old, ignore_errors=True)
            self._cleanup_stale(keep=target)
            return count

    def _cleanup_stale(self, keep: Path) -> None:
        for candidate in self.path.parent.glob(f"{self.path.name}-*"):
            if candidate.is_dir() and candidate != keep:
                age = time.time() - candidate.stat().st_mtime
                if age > 3600:
                    shutil.rmtree(candidate, ignore_errors=True)
