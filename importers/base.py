"""The interface every importer shares, and the errors it reports.

An importer reads one source (a file, a folder, a zip) and yields, per service it finds, either
an :class:`ImportedRecord` holding a *canonical* HSDS 3.0 service (see below) or a
:class:`RecordError` saying which record and field is wrong and why. Input that cannot be read
at all (not JSON, missing files, wrong encoding) raises :class:`UnusableInput` before anything is
yielded, so the caller changes nothing (exit status 2).

The canonical service is the nested JSON shape ``GET /services/{id}`` returns, cleaned up:

* ``organization`` is always embedded (a full organization object with its own ``phones``,
  ``organization_identifiers``...); ``organization_id`` equals ``organization["id"]``;
* ``service_at_locations[]`` each embed a ``location`` with ``addresses``, ``phones``,
  ``schedules``, ``accessibility``, ``languages``, ``contacts`` and ``attributes``;
* ``phones``, ``schedules``, ``service_areas``, ``languages``, ``cost_options``, ``contacts``,
  ``attributes`` (each with an embedded ``taxonomy_term``, which may embed ``taxonomy_detail``),
  ``metadata`` and ``urls`` are lists (possibly empty);
* missing, ``null`` and ``""`` are the same: the key is left out;
* parent foreign keys of embedded children are left out (the position says the parent);
* numbers are numbers, times are ``HH:MM:SS``, dates ``YYYY-MM-DD``; unknown keys are dropped.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar


class UnusableInput(Exception):
    """The input as a whole cannot be read; nothing may be imported from it."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


@dataclass(frozen=True)
class RecordError:
    """One rejected record: where it is and what is wrong with it."""

    source: str
    reason: str
    record_id: str | None = None
    line: int | None = None
    field: str | None = None
    record_type: str = "service"

    def __str__(self) -> str:
        where = self.source + (f":{self.line}" if self.line else "")
        what = f"{self.record_type} {self.record_id}" if self.record_id else self.record_type
        field_part = f", field '{self.field}'" if self.field else ""
        return f"{where}: {what}{field_part}: {self.reason}"


@dataclass
class ImportedRecord:
    """One valid service, in canonical form, with where it came from."""

    service: dict[str, Any]
    source: str
    line: int | None = None
    warnings: list[str] = field(default_factory=list)
    #: The publisher's own id for the service, before it was mapped to a UUID (provenance).
    source_id: str | None = field(default=None, compare=False)

    @property
    def id(self) -> str:
        return self.service["id"]


ReadResult = ImportedRecord | RecordError


class Importer(ABC):
    """Base class of all importers. Subclasses set ``name`` and implement two methods."""

    #: The format name used by ``--format`` and the registry.
    name: ClassVar[str]
    #: A one-line description for ``--help``.
    description: ClassVar[str] = ""

    @classmethod
    @abstractmethod
    def sniff(cls, path: Path) -> bool:
        """Whether ``path`` looks like this format, judged by its name and its content."""

    @abstractmethod
    def read(self, path: Path) -> Iterator[ReadResult]:
        """Yield one result per service record found in ``path``.

        Raise :class:`UnusableInput` (before yielding) when the input cannot be read at all.
        """
