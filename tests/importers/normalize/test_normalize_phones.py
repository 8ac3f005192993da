"""Phone numbers as Dutch lists write them → E.164; what is no number stays unread."""

from __future__ import annotations

import pytest

from importers.normalize.phones import normalize_phone, parse_phones


@pytest.mark.parametrize(("text", "expected"), [
    ("0183-612480", "+31183612480"),
    ("0183 612 480", "+31183612480"),
    ("(0183) 612480", "+31183612480"),
    ("+31 (0)183 612 480", "+31183612480"),
    ("0031 183 612480", "+31183612480"),
    ("tel. 0183-612480", "+31183612480"),
    ("Telefoon: 0183 - 61 24 80", "+31183612480"),
    ("06 12345678", "+31612345678"),
    ("06-33904118", "+31633904118"),
    ("+31 (0)6-19582643", "+31619582643"),
    ("413344020", "+31413344020"),  # Excel dropped the leading zero
    (413344020, "+31413344020"),  # and stored it as a number
    ("085-3037781", "+31853037781"),
    ("088 110 4420", "+31881104420"),
    ("0800-1234567", "+318001234567"),
    ("12345", None),
    ("bellen via de balie", None),
    ("", None),
    (None, None),
])
def test_normalize_phone(text, expected):
    assert normalize_phone(text) == expected


def test_two_numbers_in_one_cell():
    result = parse_phones("0183-612480 / 06-12345678")
    assert result.numbers == ("+31183612480", "+31612345678")
    assert result.first == "+31183612480"


def test_unreadable_part_is_kept_as_text():
    result = parse_phones("0183-612480 of 1234")
    assert result.numbers == ("+31183612480",)
    assert result.unreadable == ("1234",)


def test_text_without_digits_is_unreadable():
    assert parse_phones("via de website").unreadable == ("via de website",)
