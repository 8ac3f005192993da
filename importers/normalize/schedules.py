"""Days and times as people write them → HSDS schedules (``freq``/``byday``/``interval``/times).

Handles, in any combination and in one cell or in separate day/time/from/to columns:

* days: ``dinsdag``, ``dinsdags``, ``di``, ``elke/iedere/wekelijks op dinsdag``, ``di + do``,
  ``ma en wo``, ``ma t/m vr``, ``werkdagen``, ``dagelijks``, compounds like ``woensdagmiddag``;
* monthly: ``2e donderdag v/d maand``, ``elke eerste zaterdag van de maand``, ``1x per maand
  (laatste do)``, ``iedere vierde vrijdag``, ``1e en 3e dinsdag``;
* intervals: ``om de week``, ``om de 2 weken``, ``tweewekelijks``;
* times: ``10.00-12.00 uur``, ``10:00 - 12:00``, ``van 10 tot 12``, ``vanaf 19.30 uur``, ``13u30``,
  ``10–11.30 u.``, two ranges in one cell; dayparts ``'s ochtends``, ``middag``, ``avond``;
* course dates: ``(vanaf 12-1-2027)``, ``start 11 jan``, ``2/2 t/m 23/2`` (a year left out is the
  one in which the date falls on the stated weekday, nearest to the reference date).

Nothing is guessed: a daypart stays a daypart (no invented clock times), ``op afspraak`` or
``wisselend`` give no schedule, and text that contains no readable day is reported unreadable so the
importer keeps it as text and flags it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_WORDS = {
    "MO": ("maandag", "maa", "ma", "mon", "monday", "mo"),
    "TU": ("dinsdag", "din", "di", "tue", "tues", "tuesday", "tu"),
    "WE": ("woensdag", "woe", "wo", "wed", "wednesday", "we"),
    "TH": ("donderdag", "don", "do", "thu", "thur", "thursday", "th"),
    "FR": ("vrijdag", "vrij", "vr", "fri", "friday", "fr"),
    "SA": ("zaterdag", "zat", "za", "sat", "saturday", "sa"),
    "SU": ("zondag", "zon", "zo", "sun", "sunday", "su"),
}
_WORD_TO_DAY = {w: d for d, words in _DAY_WORDS.items() for w in words}
_FULL_DAYS = {words[0]: d for d, words in _DAY_WORDS.items()}
_ORDINALS = {
    "1e": 1, "1ste": 1, "eerste": 1, "first": 1, "2e": 2, "2de": 2, "tweede": 2, "second": 2,
    "3e": 3, "3de": 3, "derde": 3, "third": 3, "4e": 4, "4de": 4, "vierde": 4, "fourth": 4,
    "5e": 5, "5de": 5, "vijfde": 5, "laatste": -1, "last": -1, "voorlaatste": -2,
}
_DAYPARTS = {
    "ochtend": "ochtend", "ochtends": "ochtend", "morgen": "ochtend", "morgens": "ochtend",
    "voormiddag": "ochtend", "middag": "middag", "middags": "middag", "namiddag": "middag",
    "avond": "avond", "avonds": "avond", "morning": "ochtend", "afternoon": "middag",
    "evening": "avond",
}
_MONTHS = {
    "jan": 1, "januari": 1, "feb": 2, "februari": 2, "mrt": 3, "maart": 3, "maa": 3, "apr": 4,
    "april": 4, "mei": 5, "jun": 6, "juni": 6, "jul": 7, "juli": 7, "aug": 8, "augustus": 8,
    "sep": 9, "sept": 9, "september": 9, "okt": 10, "oktober": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
}
_NUMBER_WORDS = {"twee": 2, "drie": 3, "vier": 4, "2": 2, "3": 3, "4": 4}
#: Phrases that say there is no fixed day: no schedule, and not an error either.
NO_FIXED_TIME = re.compile(
    r"\b(?:op afspraak|in overleg|wisselend|wisselende|zie (?:de )?website|n\.?o\.?t\.?k|"
    r"nader te bepalen|flexibel|nog niet bekend|onbekend|diverse|verschillende|"
    r"by appointment|varies)\b")

_DAY_ALT = "|".join(sorted(_WORD_TO_DAY, key=len, reverse=True))
_PART_ALT = "|".join(sorted(_DAYPARTS, key=len, reverse=True))
_ORD_ALT = "|".join(sorted((re.escape(o) for o in _ORDINALS), key=len, reverse=True))
_DAY_RE = re.compile(
    rf"(?<![\w])(?P<ords>(?:(?:{_ORD_ALT})\s*(?:,|en|\+|&)?\s*)*)"
    rf"(?P<day>{_DAY_ALT})(?P<s>s)?(?:-?(?P<part>{_PART_ALT}))?(?![a-z])"
)
_RANGE_RE = re.compile(
    rf"(?<![\w])(?P<a>{_DAY_ALT})\w*\s*(?:t/m|tm|tot en met|-|tot|through|to)\s*"
    rf"(?P<b>{_DAY_ALT})\w*(?![a-z])")
_TIME = r"(?P<{n}h>[01]?\d|2[0-4])(?:\s*[.:hu]\s*(?P<{n}m>[0-5]\d))?"
_TIME_RANGE_RE = re.compile(
    r"(?:van\s*|from\s*)?" + _TIME.format(n="a") + r"\s*(?:uur|u\.?|h)?\s*"
    r"(?:-|tot|t/m|until|to|till)\s*" + _TIME.format(n="b") + r"(?![\d/-])\s*(?:uur|u\b\.?|h\b)?")
_TIME_FROM_RE = re.compile(
    r"(?:vanaf|v\.a\.|from|start(?:\s+om)?|om|aanvang)\s*" + _TIME.format(n="a") +
    r"(?![\d/-])")
_TIME_UNTIL_RE = re.compile(r"(?:tot|until|till|t/m)\s*" + _TIME.format(n="b") +
                            r"\s*(?:uur|u\b\.?)(?![\d/-])")
_TIME_ALONE_RE = re.compile(
    r"(?<![\d/-])(?P<ah>[01]?\d|2[0-4])(?:(?P<sep>\s*[.:hu]\s*)(?P<am>[0-5]\d))?"
    r"(?P<unit>\s*(?:uur|u\b\.?|h\b))?(?![\d/-])")
_DATE_NUM = r"(?P<{n}d>[0-3]?\d)[-/.](?P<{n}m>[01]?\d)(?:[-/.](?P<{n}y>(?:19|20)?\d\d))?"
_DATE_TXT = r"(?P<{n}d>[0-3]?\d)\s+(?P<{n}mn>" + "|".join(
    sorted(_MONTHS, key=len, reverse=True)) + r")\.?(?:\s+(?P<{n}y>(?:19|20)\d\d))?(?![a-z])"
_INTERVAL_RE = re.compile(
    r"\b(?:om de (?P<n>\d|twee|drie|vier)?\s*(?P<unit>weken|week|maanden|maand)|"
    r"(?P<m>twee|2|drie|3|vier|4)[- ]?wekelijks|(?:elke|iedere|every) (?P<k>\d|twee|drie|vier) "
    r"(?:weken|weeks))\b")
_MONTHLY_RE = re.compile(
    r"\b(?:van de maand|per maand|maandelijks|in de maand|monthly|of the month|"
    r"(?:1|een|eens) ?(?:x|keer) ?(?:per|in de|p\.?) ?m(?:aand|nd)?)\b")
_EVERY_DAY_RE = re.compile(r"\b(?:dagelijks|elke dag|iedere dag|alle dagen|7 dagen per week|"
                           r"daily|every day)\b")
_WORKDAYS_RE = re.compile(r"\b(?:werkdagen|doordeweeks|op werkdagen|weekdays)\b")
_WEEKEND_RE = re.compile(r"\b(?:weekend|weekends|zaterdag en zondag)\b")


@dataclass(frozen=True)
class ParsedSchedule:
    """One HSDS schedule read from text (times as ``HH:MM``)."""

    freq: str
    byday: str
    interval: int = 1
    opens_at: str | None = None
    closes_at: str | None = None
    daypart: str | None = None
    dtstart: date | None = None
    until: date | None = None
    description: str = ""

    def to_hsds(self) -> dict[str, object]:
        """The HSDS schedule fields (without id); times as ``HH:MM:SS``."""
        out: dict[str, object] = {"freq": self.freq, "byday": self.byday,
                                  "interval": self.interval}
        if self.opens_at:
            out["opens_at"] = self.opens_at + ":00"
        if self.closes_at:
            out["closes_at"] = self.closes_at + ":00"
        if self.dtstart:
            out["dtstart"] = self.dtstart.isoformat()
        if self.until:
            out["until"] = self.until.isoformat()
        if self.description:
            out["description"] = self.description
        return out


@dataclass(frozen=True)
class ScheduleResult:
    """What the text says: schedules, or no fixed time, or unreadable (kept as text)."""

    schedules: tuple[ParsedSchedule, ...] = ()
    #: The text says there is no fixed day ("op afspraak", "wisselend").
    no_fixed_time: bool = False
    #: Text was given but no day could be read from it.
    unreadable: bool = False
    problems: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class TimeResult:
    ranges: tuple[tuple[str | None, str | None], ...] = ()
    daypart: str | None = None
    unreadable: bool = False


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("\u2013", "-").replace("\u2014", "-").replace("\u2019", "'")
    text = re.sub(r"\bv\s*/\s*d\b|\bv\.\s*d\.|\bvd\b", "van de", text)
    text = re.sub(r"\bt\s*/\s*m\b|\bt\.m\.", "t/m", text)
    return " ".join(text.split())


def _hhmm(hour: str, minute: str | None) -> str | None:
    h, m = int(hour), int(minute or 0)
    if h == 24 and m == 0:
        return "23:59"
    if h > 23:
        return None
    return f"{h:02d}:{m:02d}"


def parse_times(text: object) -> TimeResult:
    """Clock times and dayparts in a time cell."""
    if text is None or str(text).strip() == "":
        return TimeResult()
    folded = _fold(str(text))
    ranges, _rest = _find_time_ranges(folded)
    daypart = _find_daypart(folded)
    if not ranges and daypart is None:
        alone = _TIME_ALONE_RE.fullmatch(folded.strip(" .")) if folded else None
        if alone:
            ranges = [(_hhmm(alone["ah"], alone["am"]), None)]
    if not ranges and daypart is None:
        return TimeResult(unreadable=True)
    return TimeResult(tuple(ranges), daypart if not ranges else None)


def _find_daypart(folded: str) -> str | None:
    match = re.search(rf"(?:'s\s*|\b)(?:{_PART_ALT})\b", folded)
    if not match:
        return None
    word = re.sub(r"^'s\s*", "", match.group(0)).strip()
    return _DAYPARTS.get(word)


def _find_time_ranges(folded: str) -> tuple[list[tuple[str | None, str | None]], str]:
    """All ``from-to`` ranges, then open-ended ``vanaf 9.00``; returns them and the rest."""
    found: list[tuple[int, tuple[str | None, str | None]]] = []
    rest = folded

    def take(match: re.Match[str], value: tuple[str | None, str | None]) -> str:
        found.append((match.start(), value))
        return " " * (match.end() - match.start())

    def as_range(match: re.Match[str]) -> str:
        a, b = _hhmm(match["ah"], match["am"]), _hhmm(match["bh"], match["bm"])
        if a is None or b is None:
            return match.group(0)
        return take(match, (a, b))

    rest = _TIME_RANGE_RE.sub(as_range, rest)
    rest = _TIME_FROM_RE.sub(lambda m: take(m, (_hhmm(m["ah"], m["am"]), None)), rest)
    rest = _TIME_UNTIL_RE.sub(lambda m: take(m, (None, _hhmm(m["bh"], m["bm"]))), rest)

    def alone(match: re.Match[str]) -> str:
        if not (match["unit"] or match["sep"]) or match["ah"] is None:
            return match.group(0)
        if match["sep"] and match["sep"].strip() in ".:" and not match["am"]:
            return match.group(0)
        return take(match, (_hhmm(match["ah"], match["am"]), None))

    rest = _TIME_ALONE_RE.sub(alone, rest)
    found.sort(key=lambda item: item[0])
    return [value for _, value in found if value != (None, None)], rest


# -- dates -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _DateRef:
    day: int
    month: int
    year: int | None


def _date_refs(folded: str) -> tuple[list[tuple[str, _DateRef]], str]:
    """(role, date) for every date in the text, role ``start``/``until``; and the text without."""
    pattern = re.compile(
        r"(?P<role>vanaf|v\.a\.|start(?:datum)?|begint|per|m\.i\.v\.|van|t/m|tot en met|tot|"
        r"until|from|starting)?\s*(?:(?:" + _DATE_NUM.format(n="x") + r")|(?:" +
        _DATE_TXT.format(n="t") + r"))(?![\d:.]\d)")
    refs: list[tuple[str, _DateRef]] = []

    def grab(match: re.Match[str]) -> str:
        if match["xd"]:
            day, month, year = int(match["xd"]), int(match["xm"]), match["xy"]
            if match["xy"] is None and "." in match.group(0):
                return match.group(0)  # "10.30" is a time, not the 10th of March
            if match["xy"] is None and "-" in match.group(0) and match["role"] in (None, "van",
                                                                                   "tot"):
                return match.group(0)  # "10-12" is a time range unless "vanaf 10-12" says not
        else:
            day, month, year = int(match["td"]), _MONTHS[match["tmn"]], match["ty"]
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return match.group(0)
        year_n = int(year) if year else None
        if year_n is not None and year_n < 100:
            year_n += 2000
        role = "until" if match["role"] in ("t/m", "tot en met", "tot", "until") else "start"
        if role == "start" and refs and refs[-1][0] == "start" and match["role"] is None:
            role = "until"
        refs.append((role, _DateRef(day, month, year_n)))
        return " "

    rest = pattern.sub(grab, folded)
    rest = re.sub(r"\(\s*\)", " ", rest)
    return refs, rest


def _resolve(ref: _DateRef, weekday: int | None, today: date) -> date | None:
    if ref.year is not None:
        try:
            return date(ref.year, ref.month, ref.day)
        except ValueError:
            return None
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(date(year, ref.month, ref.day))
        except ValueError:
            continue
    matching = [d for d in candidates if weekday is None or d.weekday() == weekday]
    pool = matching or candidates
    return min(pool, key=lambda d: (abs((d - today).days), d < today)) if pool else None


# -- days --------------------------------------------------------------------------------------

@dataclass
class _Group:
    """Days that share the same times (``di + do 14-16``)."""

    days: list[str] = field(default_factory=list)
    ordinals: list[tuple[int, str]] = field(default_factory=list)
    daypart: str | None = None
    times: list[tuple[str | None, str | None]] = field(default_factory=list)


def _day_groups(folded: str) -> tuple[list[_Group], str]:
    """Day groups in reading order, each with the times written after it."""
    events: list[tuple[int, str, object]] = []
    rest = folded

    def blank(match: re.Match[str]) -> str:
        return " " * (match.end() - match.start())

    for match in _RANGE_RE.finditer(rest):
        a, b = DAYS.index(_WORD_TO_DAY[match["a"]]), DAYS.index(_WORD_TO_DAY[match["b"]])
        if a < b:
            events.append((match.start(), "days", list(DAYS[a:b + 1])))
    rest = _RANGE_RE.sub(lambda m: blank(m) if DAYS.index(_WORD_TO_DAY[m["a"]]) <
                         DAYS.index(_WORD_TO_DAY[m["b"]]) else m.group(0), rest)
    for regex, days in ((_EVERY_DAY_RE, list(DAYS)), (_WORKDAYS_RE, list(DAYS[:5])),
                        (_WEEKEND_RE, ["SA", "SU"])):
        for match in regex.finditer(rest):
            events.append((match.start(), "days", days))
        rest = regex.sub(blank, rest)
    for match in _DAY_RE.finditer(rest):
        word = match["day"]
        if len(word) <= 3 and word not in _FULL_DAYS and _ambiguous_short(rest, match):
            continue
        day = _WORD_TO_DAY[word]
        ords = re.findall(_ORD_ALT, match["ords"] or "")
        if ords:
            events.append((match.start(), "ordinal", [(_ORDINALS[o], day) for o in ords]))
        else:
            events.append((match.start(), "days", [day]))
        if match["part"]:
            events.append((match.start() + 1, "part", _DAYPARTS[match["part"]]))
    rest = _DAY_RE.sub(blank, rest)
    _ranges, rest_after_times = _find_time_ranges(rest)
    positioned = _positioned_times(rest)
    for pos, value in positioned:
        events.append((pos, "time", value))
    part = re.search(rf"(?:'s\s*|\b)(?:{_PART_ALT})\b", rest_after_times)
    if part:
        events.append((part.start(), "part", _DAYPARTS[re.sub(r"^'s\s*", "", part.group(0))]))
    events.sort(key=lambda e: e[0])
    groups: list[_Group] = []
    current: _Group | None = None
    for _pos, kind, value in events:
        if kind in ("days", "ordinal"):
            if current is None or current.times:
                current = _Group()
                groups.append(current)
            if kind == "days":
                current.days.extend(d for d in value if d not in current.days)
            else:
                current.ordinals.extend(value)
        elif kind == "part":
            if current is None:
                current = _Group()
                groups.append(current)
            current.daypart = current.daypart or value
        elif current is not None:
            current.times.append(value)
        else:
            current = _Group(times=[value])
            groups.append(current)
    return groups, rest_after_times


def _positioned_times(text: str) -> list[tuple[int, tuple[str | None, str | None]]]:
    out: list[tuple[int, tuple[str | None, str | None]]] = []
    for match in _TIME_RANGE_RE.finditer(text):
        a, b = _hhmm(match["ah"], match["am"]), _hhmm(match["bh"], match["bm"])
        if a and b:
            out.append((match.start(), (a, b)))
    taken = [(m.start(), m.end()) for m in _TIME_RANGE_RE.finditer(text)]
    for match in _TIME_FROM_RE.finditer(text):
        if not any(s <= match.start() < e for s, e in taken):
            out.append((match.start(), (_hhmm(match["ah"], match["am"]), None)))
            taken.append((match.start(), match.end()))
    for match in _TIME_UNTIL_RE.finditer(text):
        if not any(s <= match.start() < e for s, e in taken):
            out.append((match.start(), (None, _hhmm(match["bh"], match["bm"]))))
            taken.append((match.start(), match.end()))
    for match in _TIME_ALONE_RE.finditer(text):
        if any(s <= match.start() < e for s, e in taken):
            continue
        if match["unit"] or (match["sep"] and match["am"]):
            out.append((match.start(), (_hhmm(match["ah"], match["am"]), None)))
    return out


def _ambiguous_short(text: str, match: re.Match[str]) -> bool:
    """Two-letter day abbreviations are also words ("do" in English, "we" in "we are"): accept them
    only beside other day words, ordinals, separators, or alone."""
    word = match["day"]
    if word in ("ma", "di", "wo", "vr", "za", "zo", "do", "din", "woe", "don", "zat", "maa"):
        return False
    return bool(re.search(r"[a-z]{3,}", text.replace(word, "", 1)))


def _interval(folded: str) -> tuple[int, str | None]:
    match = _INTERVAL_RE.search(folded)
    if not match:
        return 1, None
    if match["unit"]:
        n = _NUMBER_WORDS.get(match["n"] or "", 0)
        unit = "MONTHLY" if match["unit"].startswith("maand") else "WEEKLY"
        return (n if n else 2), unit
    n = _NUMBER_WORDS.get(match["m"] or match["k"] or "", 2)
    return n, "WEEKLY"


def parse_schedule(days: object, times: object = None, today: date | None = None) -> ScheduleResult:
    """Read the days (and the times, from ``times`` or from the day text itself)."""
    today = today or date.today()
    day_text = "" if days is None else str(days).strip()
    time_text = "" if times is None else str(times).strip()
    if not day_text:
        if time_text and parse_times(time_text).unreadable:
            return ScheduleResult(unreadable=True, problems=("tijd niet leesbaar",))
        return ScheduleResult()
    folded = _fold(day_text)
    refs, without_dates = _date_refs(folded)
    interval, interval_freq = _interval(without_dates)
    without_interval = _INTERVAL_RE.sub(" ", without_dates)
    groups, _rest = _day_groups(without_interval)
    monthly_words = bool(_MONTHLY_RE.search(without_interval))
    groups = [g for g in groups if g.days or g.ordinals or g.daypart or g.times]
    day_groups = [g for g in groups if g.days or g.ordinals]
    if not day_groups:
        if refs:
            return _from_dates_only(refs, groups, time_text, interval, today, day_text)
        if NO_FIXED_TIME.search(folded):
            return ScheduleResult(no_fixed_time=True)
        return ScheduleResult(unreadable=True, problems=(f"geen dag te lezen in '{day_text}'",))
    column_times = parse_times(time_text) if time_text else TimeResult()
    problems: list[str] = []
    if column_times.unreadable:
        problems.append(f"tijd '{time_text}' niet leesbaar; als tekst bewaard")
    loose = [g for g in groups if not (g.days or g.ordinals)]
    shared_times = [t for g in loose for t in g.times]
    shared_part = next((g.daypart for g in loose if g.daypart), None)
    if len(day_groups) > 1 and day_groups[-1].times and not any(
            g.times for g in day_groups[:-1]):
        shared_times = shared_times + day_groups[-1].times  # "di + do 14-16": times for all
        day_groups[-1].times = []
    out: list[ParsedSchedule] = []
    for group in day_groups:
        ranges = group.times or shared_times or list(column_times.ranges)
        daypart = group.daypart or shared_part or column_times.daypart
        if group.ordinals:
            freq = "MONTHLY"
            byday = ",".join(f"{n}{d}" for n, d in group.ordinals)
            if group.days:
                problems.append("dagen met en zonder rangtelwoord gemengd; alleen de maandelijkse "
                                "gelezen")
        elif monthly_words and interval_freq != "MONTHLY":
            problems.append(f"'{day_text}': maandelijks, maar welke week van de maand staat er "
                            "niet; als tekst bewaard")
            return ScheduleResult(unreadable=True, problems=tuple(problems))
        else:
            freq = interval_freq or "WEEKLY"
            byday = ",".join(d for d in DAYS if d in group.days)
        weekday = DAYS.index(group.days[0]) if len(group.days) == 1 and not group.ordinals \
            else None
        dtstart, until = _dates(refs, weekday, today)
        for opens, closes in (ranges or [(None, None)]):
            out.append(ParsedSchedule(
                freq=freq, byday=byday, interval=interval, opens_at=opens, closes_at=closes,
                daypart=daypart if not (opens or closes) else None, dtstart=dtstart, until=until,
                description=describe(freq, byday, interval, opens, closes, daypart, dtstart,
                                     until)))
    return ScheduleResult(tuple(out), problems=tuple(problems))


def _dates(refs: list[tuple[str, _DateRef]], weekday: int | None,
           today: date) -> tuple[date | None, date | None]:
    start = next((r for role, r in refs if role == "start"), None)
    end = next((r for role, r in refs if role == "until"), None)
    dtstart = _resolve(start, weekday, today) if start else None
    until = _resolve(end, weekday, dtstart or today) if end else None
    if dtstart and until and until < dtstart and end and end.year is None:
        until = replace(end, year=dtstart.year + 1)  # type: ignore[assignment]
        until = _resolve(until, None, dtstart)  # type: ignore[arg-type]
    return dtstart, until


def _from_dates_only(refs: list[tuple[str, _DateRef]], groups: list[_Group], time_text: str,
                     interval: int, today: date, day_text: str) -> ScheduleResult:
    """``vanaf 12-1-2027`` without a weekday: the weekday is the start date's."""
    dtstart, until = _dates(refs, None, today)
    if dtstart is None:
        return ScheduleResult(unreadable=True, problems=(f"geen dag te lezen in '{day_text}'",))
    byday = DAYS[dtstart.weekday()]
    column = parse_times(time_text) if time_text else TimeResult()
    ranges = [t for g in groups for t in g.times] or list(column.ranges) or [(None, None)]
    daypart = next((g.daypart for g in groups if g.daypart), None) or column.daypart
    out = tuple(ParsedSchedule("WEEKLY", byday, interval, o, c, daypart if not (o or c) else None,
                               dtstart, until,
                               describe("WEEKLY", byday, interval, o, c, daypart, dtstart, until))
                for o, c in ranges)
    return ScheduleResult(out, problems=("weekdag afgeleid van de startdatum",))


_NL_DAYS = dict(zip(DAYS, ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag",
                           "zondag"), strict=True))
_NL_ORD = {1: "1e", 2: "2e", 3: "3e", 4: "4e", 5: "5e", -1: "laatste", -2: "voorlaatste"}


def describe(freq: str, byday: str, interval: int, opens: str | None, closes: str | None,
             daypart: str | None, dtstart: date | None = None, until: date | None = None) -> str:
    """A Dutch summary for ``schedule.description``: "Elke dinsdag 10:00-12:00"."""
    parts = []
    for token in byday.split(","):
        match = re.fullmatch(r"(-?\d)?([A-Z]{2})", token)
        if not match:
            continue
        name = _NL_DAYS[match.group(2)]
        parts.append(f"{_NL_ORD[int(match.group(1))]} {name}" if match.group(1) else name)
    days = ", ".join(parts[:-1]) + (" en " if len(parts) > 1 else "") + parts[-1] if parts else ""
    if freq == "MONTHLY":
        text = f"{days} van de maand"
    elif interval > 1:
        text = f"om de {interval} weken op {days}"
    else:
        text = f"elke {days}"
    if opens and closes:
        text += f" {opens}-{closes} uur"
    elif opens:
        text += f" vanaf {opens} uur"
    elif closes:
        text += f" tot {closes} uur"
    elif daypart:
        text += f", 's {daypart}s"
    if dtstart:
        text += f" (vanaf {dtstart.day}-{dtstart.month}-{dtstart.year}"
        text += f" t/m {until.day}-{until.month}-{until.year})" if until else ")"
    return text[0].upper() + text[1:]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
