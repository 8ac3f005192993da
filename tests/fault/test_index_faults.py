"""The search index folder unwritable, or its disk full: a clear error, and the database (the
source of truth) and the live index unharmed.

Method: the index lives on a small tmpfs of its own (``mount -t tmpfs -o size=...``; CI runs
as root). *Disk full* is that filesystem filled up to the last byte with a filler file (what a
full disk looks like to the program: ``ENOSPC`` on the next write); *unwritable* is the same
filesystem remounted read-only (``EROFS``; a plain ``chmod`` does not stop root). Then:

- ``sociale-kaart index rebuild`` exits non-zero with a one-line message that names the folder
  and the reason, and leaves the live index in place;
- ``sociale-kaart import`` still stores its records (the database does not depend on the
  index) and says the index could not follow;
- searches keep working on the live index;
- once space is back, ``index rebuild`` catches up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SAMPLE_JSON
from kit_fault import FAULT_ENV, Site, cli

pytestmark = pytest.mark.fault

MOUNT_SIZE = "16m"


@pytest.fixture
def index_mount(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of its own for the search index, unmounted afterwards."""
    mount_point = tmp_path / "index-disk"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={MOUNT_SIZE},mode=0755", "tmpfs",
                    str(mount_point)], check=True)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill_up(folder: Path) -> Path:
    """Write zeros until the filesystem says it is full; returns the filler file."""
    filler = folder / "filler"
    block = b"\0" * 65536
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(block)
        except OSError:
            pass
        try:
            while True:
                handle.write(b"\0")
        except OSError:
            pass
    return filler


def changed_listing(tmp_path: Path) -> tuple[Path, str, str]:
    """The first sample listing with a new, findable name."""
    record = json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))[0]
    record["name"] = "Zwaluwstaartbijeenkomst"
    path = tmp_path / "changed.json"
    path.write_text(json.dumps([record]), encoding="utf-8")
    return path, record["id"], record["name"]


def search_ids(fault_site: Site, env: dict[str, str], query: str) -> list[str]:
    """Ids found by the search API, through the app (in a subprocess, like a web process)."""
    script = ("import json, sys\n"
              "from sociale_kaart import create_app\n"
              "client = create_app().test_client()\n"
              "answer = client.get('/api/v1/search', query_string={'q': sys.argv[1]})\n"
              "assert answer.status_code == 200, answer.status_code\n"
              "print(' '.join(r['id'] for r in answer.get_json()['results']))\n")
    result = subprocess.run(
        [sys.executable, "-c", script, query], capture_output=True, text=True,
        env=dict(os.environ, SOCIALE_KAART_DATABASE_URL=fault_site.url,
                 SOCIALE_KAART_INSTANCE=str(fault_site.instance), SOCIALE_KAART_TODAY="2026-11-22",
                 **FAULT_ENV, **env), timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    return lines[-1].split() if lines else []


def table_counts(fault_site: Site) -> dict[str, int]:
    return {table: fault_site.count(table) for table in ("service", "organization", "location")}


@pytest.mark.parametrize("fault", ["disk-full", "read-only"])
def test_index_fault_gives_clear_error_and_database_unaffected(fault_site, index_mount, tmp_path,
                                                                fault):
    env = {"SOCIALE_KAART_INDEX_PATH": str(index_mount / "index")}
    built = cli(fault_site.url, fault_site.instance, "index", "rebuild", env=env)
    assert built.returncode == 0
    found_before = search_ids(fault_site, env, "maatschappelijk werk")
    assert found_before
    counts = table_counts(fault_site)

    filler = None
    if fault == "disk-full":
        filler = fill_up(index_mount)
    else:
        subprocess.run(["mount", "-o", "remount,ro", str(index_mount)], check=True)
    try:
        rebuild = cli(fault_site.url, fault_site.instance, "index", "rebuild", env=env, check=False)
        assert rebuild.returncode == 1
        assert "Traceback" not in rebuild.stderr
        message = rebuild.stderr.strip().splitlines()[-1]
        assert "zoekindex" in message.lower() and str(index_mount) in message
        reason = "No space left on device" if fault == "disk-full" else "Read-only file system"
        assert reason in message

        # The live index and the database are as they were.
        assert table_counts(fault_site) == counts
        assert search_ids(fault_site, env, "maatschappelijk werk") == found_before

        # An import still stores its records; the index cannot follow and that is said.
        path, service_id, name = changed_listing(tmp_path)
        imported = cli(fault_site.url, fault_site.instance, "import", str(path), env=env,
                       check=False)
        assert imported.returncode == 0, imported.stderr[-2000:]
        assert "search index" in imported.stderr.lower()
        assert fault_site.rows(f"SELECT name FROM service WHERE id = '{service_id}'")[0][0] == name
        assert table_counts(fault_site) == counts
    finally:
        if filler is not None:
            filler.unlink()
        else:
            subprocess.run(["mount", "-o", "remount,rw", str(index_mount)], check=True)

    # With space (or write access) back, a rebuild catches up with the database.
    cli(fault_site.url, fault_site.instance, "index", "rebuild", env=env)
    assert search_ids(fault_site, env, "zwaluwstaartbijeenkomst")[0] == service_id
