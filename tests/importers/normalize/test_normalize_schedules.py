"""Days and times as people write them → HSDS schedules, table-driven with real spellings."""

from __future__ import annotations

from datetime import date

import pytest

from importers.normalize.schedules import parse_schedule, parse_times

TODAY = date(2026, 12, 1)


def _rows(days, times=None):
    result = parse_schedule(days, times, TODAY)
    return [(s.freq, s.byday, s.interval, s.opens_at, s.closes_at, s.daypart,
             s.dtstart.isoformat() if s.dtstart else None,
             s.until.isoformat() if s.until else None) for s in result.schedules]


W, M = "WEEKLY", "MONTHLY"


@pytest.mark.parametrize(("days", "times", "expected"), [
    ("elke dinsdag 10.00-12.00 uur", None, [(W, "TU", 1, "10:00", "12:00", None, None, None)]),
    ("dinsdags", "'s ochtends", [(W, "TU", 1, None, None, "ochtend", None, None)]),
    ("Iedere woensdagmiddag", None, [(W, "WE", 1, None, None, "middag", None, None)]),
    ("wekelijks op donderdag", "9.00–11.00 u.", [(W, "TH", 1, "09:00", "11:00", None, None,
                                                 None)]),
    ("di + do", "14.00–16.00 u.", [(W, "TU,TH", 1, "14:00", "16:00", None, None, None)]),
    ("ma en wo", None, [(W, "MO,WE", 1, None, None, None, None, None)]),
    ("ma t/m vr", "09.00 tot 17.00 uur", [(W, "MO,TU,WE,TH,FR", 1, "09:00", "17:00", None,
                                          None, None)]),
    ("werkdagen", "9-17", [(W, "MO,TU,WE,TH,FR", 1, "09:00", "17:00", None, None, None)]),
    ("2e donderdag v/d maand", "'s middags", [(M, "2TH", 1, None, None, "middag", None, None)]),
    ("3e di vd maand", "19.30–21.30 u.", [(M, "3TU", 1, "19:30", "21:30", None, None, None)]),
    ("elke eerste zaterdag van de maand", None, [(M, "1SA", 1, None, None, None, None, None)]),
    ("1x per maand (laatste do)", "19.30-21.00", [(M, "-1TH", 1, "19:30", "21:00", None, None,
                                                   None)]),
    ("1x per maand (2e wo)", "avond", [(M, "2WE", 1, None, None, "avond", None, None)]),
    ("iedere vierde vrijdag", "17.30-19.30", [(M, "4FR", 1, "17:30", "19:30", None, None, None)]),
    ("1e en 3e dinsdag", "10-12", [(M, "1TU,3TU", 1, "10:00", "12:00", None, None, None)]),
    ("Elke eerste dinsdagmiddag van de maand", None, [(M, "1TU", 1, None, None, "middag", None,
                                                       None)]),
    ("om de 2 weken op dinsdag", "10-12", [(W, "TU", 2, "10:00", "12:00", None, None, None)]),
    ("om de week op vrijdag", None, [(W, "FR", 2, None, None, None, None, None)]),
    ("tweewekelijks op maandag", "10:00-11:00", [(W, "MO", 2, "10:00", "11:00", None, None,
                                                  None)]),
    ("woensdag", "van 10 tot 12", [(W, "WE", 1, "10:00", "12:00", None, None, None)]),
    ("maandag", "vanaf 9.00 uur", [(W, "MO", 1, "09:00", None, None, None, None)]),
    ("woensdags", "10:00 uur", [(W, "WE", 1, "10:00", None, None, None, None)]),
    ("dinsdag", "14 - 16", [(W, "TU", 1, "14:00", "16:00", None, None, None)]),
    ("vrijdag", "14u - 16:00", [(W, "FR", 1, "14:00", "16:00", None, None, None)]),
    ("woensdags", "9u30 - 12u", [(W, "WE", 1, "09:30", "12:00", None, None, None)]),
    ("Maandag", "13u30", [(W, "MO", 1, "13:30", None, None, None, None)]),
    ("iedere maandag", "middag (wisselend)", [(W, "MO", 1, None, None, "middag", None, None)]),
    ("dinsdag 10.00-12.00 en 13.30-16.00", None, [(W, "TU", 1, "10:00", "12:00", None, None,
                                                   None),
                                                  (W, "TU", 1, "13:30", "16:00", None, None,
                                                   None)]),
    ("di 10-12, do 14-16", None, [(W, "TU", 1, "10:00", "12:00", None, None, None),
                                  (W, "TH", 1, "14:00", "16:00", None, None, None)]),
    ("elke dinsdag (vanaf 9-3-2027)", "19:30-21:30 uur",
     [(W, "TU", 1, "19:30", "21:30", None, "2027-03-09", None)]),
    ("maandag, start 11 jan", "'s ochtends",
     [(W, "MO", 1, None, None, "ochtend", "2027-01-11", None)]),  # the year with a Monday
    ("2/2 t/m 23/2", "19.30-21.30", [(W, "TU", 1, "19:30", "21:30", None, "2027-02-02",
                                      "2027-02-23")]),
])
def test_days_and_times(days, times, expected):
    assert _rows(days, times) == expected


@pytest.mark.parametrize("text", ["op afspraak", "in overleg", "wisselend", "zie website"])
def test_no_fixed_time_is_no_schedule_and_no_error(text):
    result = parse_schedule(text, None, TODAY)
    assert result.schedules == () and result.no_fixed_time and not result.unreadable


@pytest.mark.parametrize("text", ["blabla", "maandelijks op dinsdag", "na de kerkdienst"])
def test_unreadable_text_is_flagged_not_guessed(text):
    result = parse_schedule(text, None, TODAY)
    assert result.schedules == () and result.unreadable


def test_empty_day_is_no_schedule():
    assert parse_schedule(None, "10-12", TODAY).schedules == ()


@pytest.mark.parametrize(("text", "ranges", "daypart"), [
    ("10.00-12.00 uur", (("10:00", "12:00"),), None),
    ("'s avonds", (), "avond"),
    ("vanaf 19.30 uur", (("19:30", None),), None),
    ("09:30", (("09:30", None),), None),
])
def test_times(text, ranges, daypart):
    result = parse_times(text)
    assert (result.ranges, result.daypart) == (ranges, daypart)


def test_hsds_form_has_seconds_and_description():
    schedule = parse_schedule("elke dinsdag", "10-12", TODAY).schedules[0]
    data = schedule.to_hsds()
    assert data["opens_at"] == "10:00:00" and data["closes_at"] == "12:00:00"
    assert data["description"] == "Elke dinsdag 10:00-12:00 uur"
