"""``sociale-kaart report`` and ``sociale-kaart analytics purge``."""

from __future__ import annotations

import kit_database
import pytest
from kit_insight import PERIOD, SEARCHES, build
from openpyxl import load_workbook

from sociale_kaart.cli import main


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build(tmp_path_factory.mktemp("cli"))


def _instance(world):
    return str(world.app.extensions["sociale_kaart.settings"].instance_path)


def _run(runner, world, *args, env=None):
    return runner.invoke(main, ["--instance", _instance(world), *args],
                         env={"SOCIALE_KAART_TODAY": "2026-11-22",
                              "SOCIALE_KAART_INSIGHT_MUNICIPALITIES": "Altena", **(env or {})})


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "pdf"])
def test_report_formats(runner, world, tmp_path, fmt):
    target = tmp_path / "uit" / f"inzicht.{fmt}"
    result = _run(runner, world, "report", "--from", PERIOD[0].isoformat(), "--to",
                  PERIOD[1].isoformat(), "--format", fmt, str(target))
    assert result.exit_code == 0, result.output
    assert str(target) in result.output
    data = target.read_bytes()
    if fmt == "xlsx":
        book = load_workbook(target)
        figures = {r[0]: r[1] for r in book["Overzicht"].iter_rows(values_only=True) if r[0]}
        assert figures["Zoekopdrachten"] == str(sum(
            1 for s in SEARCHES if PERIOD[0] <= s.day <= PERIOD[1] and s.page == 1))
    elif fmt == "pdf":
        assert data.startswith(b"%PDF")
    else:
        assert data.decode("utf-8-sig").startswith("Inzicht sociale kaart;2026-01-01")


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2026-13-01", "--to", "2026-12-31"], "geen datum"),
    (["--from", "2026-05-01", "--to", "2026-01-01"], "ligt voor"),
    (["--from", "2010-01-01", "--to", "2026-01-01"], "vijf jaar"),
])
def test_report_bad_dates(runner, world, tmp_path, args, message):
    target = tmp_path / "x.xlsx"
    result = _run(runner, world, "report", *args, "--format", "xlsx", str(target))
    assert result.exit_code == 2
    assert message in result.output
    assert not target.exists()


def test_report_unwritable_target(runner, world, tmp_path):
    blocker = tmp_path / "bestand"
    blocker.write_text("x")
    result = _run(runner, world, "report", "--from", "2026-01-01", "--to", "2026-02-01",
                  "--format", "csv", str(blocker / "sub" / "r.csv"))
    assert result.exit_code == 2
    assert "kan" in result.output and "niet schrijven" in result.output


def test_purge_keeps_the_retention_period(runner, tmp_path):
    world = build(tmp_path)
    result = _run(runner, world, "analytics", "purge", "--months", "12")
    assert result.exit_code == 0, result.output
    # 12 months before 2026-11-22 is 2025-11-22: older searches and their clicks go.
    old = [s for s in SEARCHES if s.day.isoformat() < "2025-11-22"]
    assert f"{len(old)} zoekopdrachten en {sum(len(s.clicks) for s in old)} kliks" \
        in result.output
    days = [str(d) for (d,) in kit_database.execute_on_app(world.app,
                                                           "select day from search_event")]
    orphans = kit_database.execute_on_app(
        world.app, "select count(*) from search_click c where not exists "
        "(select 1 from search_event e where e.id = c.search_id)")[0][0]
    assert min(days) >= "2025-11-22" and orphans == 0
    # The default comes from the setting (24 months): nothing more to delete.
    again = _run(runner, world, "analytics", "purge")
    assert "0 zoekopdrachten en 0 kliks ouder dan 24 maanden" in again.output
